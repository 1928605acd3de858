;module.exports = (function (exported) {
  // Appended to every Action's code (glue.go): turns the exports of an
  // Action into the hook-style function both runtimes call, and records
  // what the code asks of `api` for the server to apply after the run.
  'use strict';
  var hasOwn = Object.prototype.hasOwnProperty;

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

  function checkScope(method, s) {
    if (typeof s !== 'string' || s.length === 0 || /\s/.test(s)) {
      throw new TypeError(method + ': invalid scope ' + JSON.stringify(s) + ' (a scope is a non-empty string without spaces)');
    }
    return s;
  }

  function checkClaimName(method, name) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(method + ': the claim name must be a non-empty string');
    }
    return name;
  }

  function unavailable(name, why) {
    return function () {
      throw new Error('api.' + name + ' is not available here: ' + why);
    };
  }

  // The cache: a snapshot of the trigger's records, this execution's
  // writes applied on top and listed for the server (cache.go).
  function makeCache(state, rec) {
    var L = state.cache_limits;
    var now = state.now;
    var records = {};
    var src = state.cache || {};
    for (var k in src) if (hasOwn.call(src, k)) records[k] = src[k];
    var effects = 0;
    function live(key) {
      var r = hasOwn.call(records, key) ? records[key] : undefined;
      return r && r.expires_at > now ? r : undefined;
    }
    function fail(code) { return { type: 'error', code: code }; }
    return {
      get: function (key) {
        var r = live(String(key));
        return r ? { value: r.value, expires_at: r.expires_at } : undefined;
      },
      set: function (key, value, options) {
        key = String(key);
        if (++effects > L.side_effects) return fail('MaxSideEffectsExceeded');
        if (utf8Length(key) > L.key_bytes) return fail('CacheKeySizeExceeded');
        value = String(value);
        if (utf8Length(value) > L.value_bytes) return fail('CacheValueSizeExceeded');
        options = options || {};
        var exp;
        if (options.expires_at !== undefined && options.expires_at !== null) {
          exp = Number(options.expires_at);
          if (!isFinite(exp)) return fail('InvalidExpiry');
          if (exp <= now) return fail('ItemAlreadyExpired');
          if (exp > now + L.max_ttl) return fail('InvalidExpiry');
        } else if (options.ttl !== undefined && options.ttl !== null) {
          var ttl = Number(options.ttl);
          if (!isFinite(ttl) || ttl <= 0 || ttl > L.max_ttl) return fail('InvalidExpiry');
          exp = now + ttl;
        } else {
          exp = now + L.default_ttl;
        }
        exp = Math.floor(exp);
        var count = 1, total = utf8Length(key) + utf8Length(value);
        for (var k in records) {
          if (hasOwn.call(records, k) && k !== key && live(k)) {
            count++;
            total += utf8Length(k) + utf8Length(records[k].value);
          }
        }
        if (count > L.entries || total > L.total_bytes) return fail('CacheSizeExceeded');
        records[key] = { value: value, expires_at: exp };
        rec.cache.push({ op: 'set', key: key, value: value, expires_at: exp });
        return { type: 'success', record: { value: value, expires_at: exp } };
      },
      delete: function (key) {
        key = String(key);
        if (++effects > L.side_effects) return fail('MaxSideEffectsExceeded');
        var r = live(key);
        if (!r) return fail('CacheKeyDoesNotExist');
        delete records[key];
        rec.cache.push({ op: 'delete', key: key });
        return { type: 'success', record: { value: r.value, expires_at: r.expires_at } };
      }
    };
  }

  function credentialsExchangeAPI(event, state, rec) {
    var api = {};
    // Each namespace inherits from api, so calls chain both ways:
    // api.accessToken.setCustomClaim(a, 1).setCustomClaim(b, 2) and
    // api.accessToken.setCustomClaim(a, 1).access.deny(...).
    function ns(o) { return Object.assign(Object.create(api), o); }
    var scopes = (state.scope || []).slice();
    function setScopes(list) {
      scopes = list;
      rec.scope = scopes.slice();
      if (event.accessToken) event.accessToken.scope = scopes.slice();
    }
    api.access = ns({
      deny: function (code, reason) {
        if (code !== 'invalid_scope' && code !== 'invalid_request' && code !== 'server_error') {
          throw new TypeError('api.access.deny: code must be "invalid_scope", "invalid_request" or "server_error", not ' + JSON.stringify(code));
        }
        if (!rec.deny) rec.deny = { code: code, reason: reason === undefined || reason === null ? '' : String(reason) };
        return api.access;
      }
    });
    api.accessToken = ns({
      setCustomClaim: function (name, value) {
        rec.access_claims[checkClaimName('api.accessToken.setCustomClaim', name)] = value === undefined ? null : value;
        return api.accessToken;
      }
    });
    api.transaction = ns({
      addTargetScope: function (scope) {
        checkScope('api.transaction.addTargetScope', scope);
        if (scopes.indexOf(scope) < 0) setScopes(scopes.concat([scope])); else setScopes(scopes);
        return api.transaction;
      },
      removeTargetScope: function (scope) {
        checkScope('api.transaction.removeTargetScope', scope);
        setScopes(scopes.filter(function (s) { return s !== scope; }));
        return api.transaction;
      },
      setTargetScopes: function (list) {
        if (!Array.isArray(list)) throw new TypeError('api.transaction.setTargetScopes: expects an array of scopes');
        var out = [];
        list.forEach(function (s) {
          checkScope('api.transaction.setTargetScopes', s);
          if (out.indexOf(s) < 0) out.push(s);
        });
        setScopes(out);
        return api.transaction;
      },
      clearTargetScopes: function () {
        setScopes([]);
        return api.transaction;
      }
    });
    api.cache = makeCache(state, rec);
    return api;
  }

  function postLoginAPI(event, state, rec) {
    var api = {};
    // Each namespace inherits from api, so calls chain both ways:
    // api.accessToken.setCustomClaim(a, 1).setCustomClaim(b, 2) and
    // api.accessToken.setCustomClaim(a, 1).access.deny(...).
    function ns(o) { return Object.assign(Object.create(api), o); }
    var scopes = (state.scope || []).slice();
    var noPassword = 'the password grant (oauth2-password) has no browser, session or second factor';
    function deny(reason) {
      if (!rec.deny) rec.deny = { code: 'access_denied', reason: reason === undefined || reason === null ? '' : String(reason) };
      return api.access;
    }
    function noop() { return this || api; }
    function setMetadata(kind, eventKey) {
      return function (name, value) {
        if (typeof name !== 'string' || name.length === 0) {
          throw new TypeError('api.user.' + kind + ': the property name must be a non-empty string');
        }
        var v = value === undefined ? null : value;
        // Persisted when the flow ends; the next Actions' event.user
        // shows it (runner.go), this one's event stays as it came.
        rec[eventKey][name] = v;
        return api.user;
      };
    }
    api.access = ns({ deny: deny });
    api.accessToken = ns({
      setCustomClaim: function (name, value) {
        rec.access_claims[checkClaimName('api.accessToken.setCustomClaim', name)] = value === undefined ? null : value;
        return api.accessToken;
      },
      addScope: function (scope) {
        checkScope('api.accessToken.addScope', scope);
        if (scopes.indexOf(scope) < 0) scopes.push(scope);
        rec.scope = scopes.slice();
        return api.accessToken;
      },
      removeScope: function (scope) {
        checkScope('api.accessToken.removeScope', scope);
        scopes = scopes.filter(function (s) { return s !== scope; });
        rec.scope = scopes.slice();
        return api.accessToken;
      }
    });
    api.idToken = ns({
      setCustomClaim: function (name, value) {
        rec.id_claims[checkClaimName('api.idToken.setCustomClaim', name)] = value === undefined ? null : value;
        return api.idToken;
      }
    });
    api.user = ns({
      setAppMetadata: setMetadata('setAppMetadata', 'app_metadata'),
      setUserMetadata: setMetadata('setUserMetadata', 'user_metadata')
    });
    api.transaction = ns({
      setMetadata: function (name, value) {
        if (typeof name !== 'string' || name.length === 0) {
          throw new TypeError('api.transaction.setMetadata: the key must be a non-empty string');
        }
        var v = value === undefined ? null : value;
        rec.tx_metadata[name] = v;
        return api.transaction;
      }
    });
    api.cache = makeCache(state, rec);
    // What a password grant cannot do: a clear error, never "is not a
    // function" (docs/actions.md lists each).
    api.redirect = ns({
      sendUserTo: unavailable('redirect.sendUserTo', noPassword),
      encodeToken: unavailable('redirect.encodeToken', noPassword),
      validateToken: unavailable('redirect.validateToken', noPassword),
      canRedirect: function () { return false; }
    });
    api.multifactor = ns({ enable: unavailable('multifactor.enable', noPassword) });
    api.prompt = ns({ render: unavailable('prompt.render', noPassword) });
    api.authentication = ns({
      challengeWith: unavailable('authentication.challengeWith', noPassword),
      challengeWithAny: unavailable('authentication.challengeWithAny', noPassword),
      enrollWith: unavailable('authentication.enrollWith', noPassword),
      enrollWithAny: unavailable('authentication.enrollWithAny', noPassword),
      setPrimaryUser: unavailable('authentication.setPrimaryUser', 'account linking is not supported on this server'),
      recordMethod: noop
    });
    // No session and no refresh token come out of this exchange: their
    // settings change nothing; revoking them refuses the login, as on Auth0.
    api.session = ns({
      revoke: function (reason) { return deny(reason === undefined ? 'The session was revoked' : reason); },
      setExpiresAt: noop, setIdleExpiresAt: noop,
      setMetadata: noop, deleteMetadata: noop, evictMetadata: noop
    });
    api.refreshToken = ns({
      revoke: function (reason) { return deny(reason === undefined ? 'The refresh token was revoked' : reason); },
      setExpiresAt: noop, setIdleExpiresAt: noop,
      setMetadata: noop, deleteMetadata: noop, evictMetadata: noop
    });
    api.samlResponse = new Proxy({}, {
      get: function (target, name) {
        return typeof name === 'string' && name.indexOf('set') === 0 ? noop : undefined;
      }
    });
    api.validation = ns({
      error: function (code, message) {
        if (!rec.deny) rec.deny = { code: String(code || 'access_denied'), reason: message === undefined ? '' : String(message), validation: true };
        return api.validation;
      }
    });
    api.rules = ns({ wasExecuted: function () { return false; } });
    return api;
  }

  var makers = { 'credentials-exchange': credentialsExchangeAPI, 'post-login': postLoginAPI };

  return function (event, state, cb) {
    var handler = exported && exported[state.export];
    if (typeof handler !== 'function') {
      cb(new Error('The Action does not export ' + state.export + ': set exports.' + state.export + ' = async (event, api) => {...}'));
      return;
    }
    var rec = { access_claims: {}, id_claims: {}, app_metadata: {}, user_metadata: {}, tx_metadata: {}, cache: [] };
    var api = makers[state.trigger](event, state, rec);
    var settled = false;
    function done(err) {
      if (settled) return;
      settled = true;
      if (err !== undefined) cb(err); else cb(null, rec);
    }
    var out;
    try {
      out = handler.call(exported, event, api);
    } catch (e) {
      done(e === undefined ? new Error('undefined was thrown') : e);
      return;
    }
    if (out && typeof out.then === 'function') {
      out.then(function () { done(); }, function (e) {
        done(e === undefined || e === null ? new Error('The Action rejected with ' + e) : e);
      });
    } else {
      done();
    }
  };
})(module.exports);
