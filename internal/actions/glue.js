;module.exports = (function (exported) {
  // Appended to every Action's code (glue.go): turns the exports of an
  // Action into the hook-style function both runtimes call, and records
  // what the code asks of `api` for the server to apply after the run.
  //
  // Everything but the per-execution state is built once, when the module
  // loads: an execution's `api` is a plain object of small namespace
  // objects holding shared methods, which find their execution through a
  // symbol, so an execution allocates no closure per method.
  'use strict';
  var LIMITS = __CACHE_LIMITS__;
  var MAX_MESSAGE = __MAX_MESSAGE__;
  var hasOwn = Object.prototype.hasOwnProperty;
  var CTX = typeof Symbol === 'function' ? Symbol('execution') : '__execution';
  var noPassword = 'the password grant (oauth2-password) has no browser, session or second factor';

  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  // ctxOf is the execution a method was called for; a method called
  // detached from its namespace says so instead of failing obscurely.
  function ctxOf(self, method) {
    var c = self !== undefined && self !== null ? self[CTX] : undefined;
    if (!c) throw new TypeError('api.' + method + ' must be called on its api object (api.' + method + '(...))');
    return c;
  }

  function checkScope(method, s) {
    if (typeof s !== 'string' || s.length === 0 || /\s/.test(s)) {
      throw new TypeError('api.' + method + ': invalid scope ' + JSON.stringify(s) + ' (a scope is a non-empty string without spaces)');
    }
    return s;
  }

  function checkName(method, name, what) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError('api.' + method + ': the ' + what + ' must be a non-empty string');
    }
    return name;
  }

  function orNull(v) { return v === undefined ? null : v; }

  // record: what the server applies after the run; parts appear when used.
  function part(c, key) { return c.rec[key] || (c.rec[key] = {}); }

  function scopesOf(c) {
    if (!c.scopes) c.scopes = (c.state.scope || []).slice();
    return c.scopes;
  }

  function setScopes(c, list) {
    c.scopes = list;
    c.rec.scope = list.slice();
    if (c.event.accessToken && c.trigger === 'credentials-exchange') c.event.accessToken.scope = list.slice();
  }

  // clip keeps an author's deny text small enough to travel back in the
  // record; the server cuts it to its exact byte cap (runner.go denied).
  function clip(s) { return s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE + 1) : s; }

  function deny(c, code, reason, validation) {
    if (!c.rec.deny) {
      c.rec.deny = { code: clip(code), reason: reason === undefined || reason === null ? '' : clip(String(reason)) };
      if (validation) c.rec.deny.validation = true;
    }
  }

  // api.cache: the trigger's records as the execution started, its own
  // writes on top (listed for the server, cache.go).
  function cacheRecords(c) {
    if (!c.records) {
      c.records = {};
      var src = c.state.cache;
      if (src) for (var k in src) if (hasOwn.call(src, k)) c.records[k] = src[k];
    }
    return c.records;
  }
  function live(c, key) {
    var records = cacheRecords(c);
    var r = hasOwn.call(records, key) ? records[key] : undefined;
    return r && r.expires_at > c.state.now ? r : undefined;
  }
  function cacheOps(c) { return c.rec.cache || (c.rec.cache = []); }
  function fail(code) { return { type: 'error', code: code }; }

  var cacheProto = {
    get: function (key) {
      var r = live(ctxOf(this, 'cache.get'), String(key));
      return r ? { value: r.value, expires_at: r.expires_at } : undefined;
    },
    set: function (key, value, options) {
      var c = ctxOf(this, 'cache.set');
      var now = c.state.now;
      key = String(key);
      if (++c.effects > LIMITS.side_effects) return fail('MaxSideEffectsExceeded');
      if (utf8Length(key) > LIMITS.key_bytes) return fail('CacheKeySizeExceeded');
      value = String(value);
      if (utf8Length(value) > LIMITS.value_bytes) return fail('CacheValueSizeExceeded');
      options = options || {};
      var exp;
      if (options.expires_at !== undefined && options.expires_at !== null) {
        exp = Number(options.expires_at);
        if (!isFinite(exp)) return fail('InvalidExpiry');
        if (exp <= now) return fail('ItemAlreadyExpired');
        if (exp > now + LIMITS.max_ttl) return fail('InvalidExpiry');
      }
      if (options.ttl !== undefined && options.ttl !== null) {
        // Given both, the earlier expiry wins (Auth0's rule).
        var ttl = Number(options.ttl);
        if (!isFinite(ttl) || ttl <= 0 || ttl > LIMITS.max_ttl) return fail('InvalidExpiry');
        exp = exp === undefined ? now + ttl : Math.min(exp, now + ttl);
      }
      if (exp === undefined) {
        exp = now + LIMITS.default_ttl;
      }
      exp = Math.floor(exp);
      var records = cacheRecords(c);
      var count = 1, total = utf8Length(key) + utf8Length(value);
      for (var k in records) {
        if (hasOwn.call(records, k) && k !== key && live(c, k)) {
          count++;
          total += utf8Length(k) + utf8Length(records[k].value);
        }
      }
      if (count > LIMITS.entries || total > LIMITS.total_bytes) return fail('CacheSizeExceeded');
      records[key] = { value: value, expires_at: exp };
      cacheOps(c).push({ op: 'set', key: key, value: value, expires_at: exp });
      return { type: 'success', record: { value: value, expires_at: exp } };
    },
    delete: function (key) {
      var c = ctxOf(this, 'cache.delete');
      key = String(key);
      if (++c.effects > LIMITS.side_effects) return fail('MaxSideEffectsExceeded');
      var r = live(c, key);
      if (!r) return fail('CacheKeyDoesNotExist');
      delete cacheRecords(c)[key];
      cacheOps(c).push({ op: 'delete', key: key });
      return { type: 'success', record: { value: r.value, expires_at: r.expires_at } };
    }
  };

  // A claim set to undefined is no claim, as on Auth0, where the value
  // travels as JSON (a claim an earlier Action set stays).
  function setClaim(tokenKey, method) {
    return function setCustomClaim(name, value) {
      var c = ctxOf(this, method);
      var claims = part(c, tokenKey);
      checkName(method, name, 'claim name');
      if (value === undefined) delete claims[name];
      else claims[name] = value;
      return this;
    };
  }

  function unavailable(method, why) {
    return function () { throw new Error('api.' + method + ' is not available here: ' + why); };
  }
  function noop() { return this; }

  // The api of each trigger: namespace name → its methods.
  var namespaces = {
    'credentials-exchange': {
      access: {
        deny: function (code, reason) {
          var c = ctxOf(this, 'access.deny');
          if (code !== 'invalid_scope' && code !== 'invalid_request' && code !== 'server_error') {
            throw new TypeError('api.access.deny: code must be "invalid_scope", "invalid_request" or "server_error", not ' + JSON.stringify(code));
          }
          deny(c, code, reason);
          return this;
        }
      },
      accessToken: { setCustomClaim: setClaim('access_claims', 'accessToken.setCustomClaim') },
      transaction: {
        addTargetScope: function (scope) {
          var c = ctxOf(this, 'transaction.addTargetScope');
          checkScope('transaction.addTargetScope', scope);
          setScopes(c, scopesOf(c).indexOf(scope) < 0 ? scopesOf(c).concat([scope]) : scopesOf(c));
          return this;
        },
        removeTargetScope: function (scope) {
          var c = ctxOf(this, 'transaction.removeTargetScope');
          checkScope('transaction.removeTargetScope', scope);
          setScopes(c, scopesOf(c).filter(function (s) { return s !== scope; }));
          return this;
        },
        setTargetScopes: function (list) {
          var c = ctxOf(this, 'transaction.setTargetScopes');
          if (!Array.isArray(list)) throw new TypeError('api.transaction.setTargetScopes: expects an array of scopes');
          var out = [];
          for (var i = 0; i < list.length; i++) {
            checkScope('transaction.setTargetScopes', list[i]);
            if (out.indexOf(list[i]) < 0) out.push(list[i]);
          }
          setScopes(c, out);
          return this;
        },
        clearTargetScopes: function () {
          setScopes(ctxOf(this, 'transaction.clearTargetScopes'), []);
          return this;
        }
      },
      cache: cacheProto
    },
    'post-login': {
      access: {
        deny: function (reason) {
          deny(ctxOf(this, 'access.deny'), 'access_denied', reason);
          return this;
        }
      },
      accessToken: {
        setCustomClaim: setClaim('access_claims', 'accessToken.setCustomClaim'),
        addScope: function (scope) {
          var c = ctxOf(this, 'accessToken.addScope');
          checkScope('accessToken.addScope', scope);
          setScopes(c, scopesOf(c).indexOf(scope) < 0 ? scopesOf(c).concat([scope]) : scopesOf(c));
          return this;
        },
        removeScope: function (scope) {
          var c = ctxOf(this, 'accessToken.removeScope');
          checkScope('accessToken.removeScope', scope);
          setScopes(c, scopesOf(c).filter(function (s) { return s !== scope; }));
          return this;
        }
      },
      idToken: { setCustomClaim: setClaim('id_claims', 'idToken.setCustomClaim') },
      // Persisted when the flow ends; the next Actions' event.user shows
      // the change (runner.go), this one's event stays as it came.
      user: {
        setAppMetadata: function (name, value) {
          var c = ctxOf(this, 'user.setAppMetadata');
          part(c, 'app_metadata')[checkName('user.setAppMetadata', name, 'property name')] = orNull(value);
          return this;
        },
        setUserMetadata: function (name, value) {
          var c = ctxOf(this, 'user.setUserMetadata');
          part(c, 'user_metadata')[checkName('user.setUserMetadata', name, 'property name')] = orNull(value);
          return this;
        }
      },
      // Transaction metadata shows in this execution's
      // event.transaction.metadata at once, as Auth0 documents.
      transaction: {
        setMetadata: function (name, value) {
          var c = ctxOf(this, 'transaction.setMetadata');
          part(c, 'tx_metadata')[checkName('transaction.setMetadata', name, 'key')] = orNull(value);
          var tx = c.event.transaction;
          if (tx && tx.metadata && typeof tx.metadata === 'object') {
            if (value === undefined || value === null) delete tx.metadata[name];
            else tx.metadata[name] = value;
          }
          return this;
        }
      },
      cache: cacheProto,
      // What a password grant cannot do: a clear error, never "is not a
      // function" (docs/actions.md lists each).
      redirect: {
        sendUserTo: unavailable('redirect.sendUserTo', noPassword),
        encodeToken: unavailable('redirect.encodeToken', noPassword),
        validateToken: unavailable('redirect.validateToken', noPassword),
        canRedirect: function () { return false; }
      },
      // enable('none') turns MFA off for the login, which holds here.
      multifactor: {
        enable: function (provider) {
          if (provider === 'none') return this;
          return unavailable('multifactor.enable', noPassword)();
        }
      },
      prompt: { render: unavailable('prompt.render', noPassword) },
      authentication: {
        challengeWith: unavailable('authentication.challengeWith', noPassword),
        challengeWithAny: unavailable('authentication.challengeWithAny', noPassword),
        enrollWith: unavailable('authentication.enrollWith', noPassword),
        enrollWithAny: unavailable('authentication.enrollWithAny', noPassword),
        setPrimaryUser: unavailable('authentication.setPrimaryUser', 'account linking is not supported on this server'),
        recordMethod: noop
      },
      // No session and no refresh token come out of this exchange: their
      // settings change nothing; revoking them refuses the login, as on
      // Auth0.
      session: {
        revoke: function (reason) {
          deny(ctxOf(this, 'session.revoke'), 'access_denied', reason === undefined ? 'The session was revoked' : reason);
          return this;
        },
        setExpiresAt: noop, setIdleExpiresAt: noop, setCookieMode: noop, setMetadata: noop, deleteMetadata: noop, evictMetadata: noop
      },
      refreshToken: {
        revoke: function (reason) {
          deny(ctxOf(this, 'refreshToken.revoke'), 'access_denied', reason === undefined ? 'The refresh token was revoked' : reason);
          return this;
        },
        setExpiresAt: noop, setIdleExpiresAt: noop, setMetadata: noop, deleteMetadata: noop, evictMetadata: noop
      },
      samlResponse: {},
      validation: {
        error: function (code, message) {
          deny(ctxOf(this, 'validation.error'), String(code || 'access_denied'), message, true);
          return this;
        }
      },
      rules: { wasExecuted: function () { return false; } }
    }
  };

  // Every SAML setter Auth0 documents is a no-op here.
  ['setAttribute', 'setAudience', 'setIssuer', 'setEncryptionPublicKey', 'setRecipient', 'setCreateUpnClaim',
    'setPassthroughClaimsWithNoMapping', 'setMapUnknownClaimsAsIs', 'setMapIdentities', 'setDestination',
    'setRelayState', 'setLifetimeInSeconds', 'setSignResponse', 'setNameIdentifierFormat',
    'setNameIdentifierProbes', 'setAuthnContextClassRef', 'setSigningCert', 'setIncludeAttributeNameFormat',
    'setMappings', 'setCert', 'setKey', 'setSignatureAlgorithm', 'setDigestAlgorithm', 'setTypedAttributes',
    'setEncryptionCert', 'setEncryptionAlgorithm'].forEach(function (m) { namespaces['post-login'].samlResponse[m] = noop; });

  // api is a plain object whose namespaces are its own enumerable
  // properties, each holding its methods as own properties, as on Auth0:
  // Object.keys(api), 'idToken' in api, api.hasOwnProperty and
  // console.log(api) see them. Each namespace inherits from its api, so
  // calls chain both ways: api.accessToken.setCustomClaim(a, 1)
  // .setCustomClaim(b, 2) and api.accessToken.setCustomClaim(a, 1)
  // .access.deny(...). The execution hides behind a non-enumerable symbol.
  var shapes = {};
  Object.keys(namespaces).forEach(function (trigger) {
    shapes[trigger] = Object.keys(namespaces[trigger]).map(function (name) {
      var methods = namespaces[trigger][name];
      return { name: name, methods: methods, keys: Object.keys(methods) };
    });
  });
  var hidden = { value: null, enumerable: false, writable: false, configurable: false };

  function makeApi(trigger, c) {
    var api = {};
    var shape = shapes[trigger];
    hidden.value = c;
    for (var i = 0; i < shape.length; i++) {
      var s = shape[i];
      var ns = Object.create(api);
      Object.defineProperty(ns, CTX, hidden);
      for (var j = 0; j < s.keys.length; j++) ns[s.keys[j]] = s.methods[s.keys[j]];
      api[s.name] = ns;
    }
    hidden.value = null;
    return api;
  }

  return function (event, state, cb) {
    var handler = exported && exported[state.export];
    if (typeof handler !== 'function') {
      cb(new Error('The Action does not export ' + state.export + ': set exports.' + state.export + ' = async (event, api) => {...}'));
      return;
    }
    var c = { trigger: state.trigger, event: event, state: state, scopes: null,
      rec: {}, effects: 0, records: null };
    var api = makeApi(state.trigger, c);
    var out;
    try {
      out = handler.call(exported, event, api);
    } catch (e) {
      cb(e === undefined ? new Error('undefined was thrown') : e);
      return;
    }
    // The runtimes keep the first answer only: no guard needed here.
    if (out && typeof out.then === 'function') {
      out.then(function () { cb(null, c.rec); }, function (e) {
        cb(e === undefined || e === null ? new Error('The Action rejected with ' + e) : e);
      });
    } else {
      cb(null, c.rec);
    }
  };
})(module.exports);
