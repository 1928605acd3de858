package actions

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// convertOK converts src and checks the Action compiles.
func convertOK(t *testing.T, point, src string) Conversion {
	t.Helper()
	if err := hooks.Check(src); err != nil {
		t.Fatalf("the test's Hook does not compile: %v", err)
	}
	out, err := ConvertHook(src, point)
	if err != nil {
		t.Fatalf("ConvertHook: %v", err)
	}
	if err := hooks.Check(out.Code); err != nil {
		t.Fatalf("the Action does not compile: %v\n%s", err, out.Code)
	}
	return out
}

func TestConvertCredentialsExchange(t *testing.T) {
	src := `const axios = require('axios@0.21.1');
// a comment that stays
module.exports = function (client, scope, audience, context, cb) {
  if (client.metadata.blocked === 'true') {
    return cb(new InvalidRequestError('client ' + client.name + ' is blocked'));
  }
  if (audience !== 'https://api.example.com/') cb(new InvalidScopeError(` + "`bad ${audience}`" + `));
  var access_token = { scope: scope };
  access_token['https://example.com/plan'] = client.metadata.plan || 'free';
  access_token.plain = 1;
  access_token["https://example.com/key"] = context.webtask.secrets.API_KEY;
  access_token['https://example.com/id'] = client.id + '@' + client.tenant;
  if (scope.includes('admin')) access_token['https://example.com/admin'] = context.webtask.secrets['ADMIN'];
  cb(null, access_token);
};
`
	out := convertOK(t, hooks.CredentialsExchange, src)
	want := `const axios = require('axios');
// a comment that stays
exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.blocked === 'true') {
    return api.access.deny('invalid_request', 'client ' + event.client.name + ' is blocked');
  }
  if (event.resource_server.identifier !== 'https://api.example.com/') return api.access.deny('invalid_scope', ` + "`bad ${event.resource_server.identifier}`" + `);
  api.accessToken.setCustomClaim('https://example.com/plan', event.client.metadata.plan || 'free');
  api.accessToken.setCustomClaim("https://example.com/key", event.secrets.API_KEY);
  api.accessToken.setCustomClaim('https://example.com/id', event.client.client_id + '@' + event.tenant.id);
  if (event.accessToken.scope.includes('admin')) api.accessToken.setCustomClaim('https://example.com/admin', event.secrets['ADMIN']);
};
`
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
	if out.Trigger != CredentialsExchange {
		t.Errorf("trigger %q", out.Trigger)
	}
	if !slices.Equal(out.Secrets, []string{"ADMIN", "API_KEY"}) {
		t.Errorf("secrets %v", out.Secrets)
	}
	if len(out.Dependencies) != 1 || out.Dependencies[0] != (Dependency{"axios", "0.21.1"}) {
		t.Errorf("dependencies %v", out.Dependencies)
	}
	// The non-namespaced claim the Hook dropped is left out, and said so.
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], `line 10: the Hook dropped the claim "plain"`) {
		t.Errorf("notes %q", out.Notes)
	}
}

// The starter code (every line that does something is commented out but
// the scope one) converts to an empty Action that compiles.
func TestConvertStarters(t *testing.T) {
	for _, point := range []string{hooks.CredentialsExchange, hooks.PasswordExchange} {
		p, _ := hooks.Lookup(point)
		out := convertOK(t, point, p.StarterCode)
		tr, _ := ActionTriggerFor(point)
		if !strings.Contains(out.Code, "exports."+tr.Export+" = async (event, api) => {") || strings.Contains(out.Code, "cb(") && !strings.Contains(out.Code, "// ") {
			t.Errorf("%s:\n%s", point, out.Code)
		}
		for _, line := range strings.Split(out.Code, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "//") && !strings.HasPrefix(l, "@") && !strings.HasPrefix(l, "/**") && !strings.HasPrefix(l, "*/") &&
				l != "exports."+tr.Export+" = async (event, api) => {" && l != "};" {
				t.Errorf("%s: unexpected line %q in\n%s", point, l, out.Code)
			}
		}
	}
}

func TestConvertPasswordExchange(t *testing.T) {
	src := `module.exports = function (user, client, scope, audience, context, cb) {
  const response = { accessToken: {}, idToken: {} };
  if (!user.emailVerified) return cb(new Error('verify your email'));
  response.accessToken['https://example.com/plan'] = user.app_metadata.plan;
  response.accessToken.scope = scope;
  response.idToken['https://example.com/hobby'] = user.user_metadata && user.user_metadata.hobby;
  if (user.email.endsWith('@example.com'))
    response.accessToken['https://example.com/staff'] = true;
  cb(null, response);
};`
	out := convertOK(t, hooks.PasswordExchange, src)
	want := `exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email_verified) return api.access.deny('verify your email');
  api.accessToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan);
  api.idToken.setCustomClaim('https://example.com/hobby', event.user.user_metadata && event.user.user_metadata.hobby);
  if (event.user.email.endsWith('@example.com'))
    api.accessToken.setCustomClaim('https://example.com/staff', true);
};`
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
	if out.Trigger != PostLogin {
		t.Errorf("trigger %q", out.Trigger)
	}
	if len(out.Notes) != 0 {
		t.Errorf("notes %q", out.Notes)
	}

	// Separate objects named in the callback's literal, and a literal.
	src = `module.exports = function (u, c, s, a, ctx, done) {
  var id_token = {};
  id_token['https://x.example/name'] = u.displayName;
  if (s.indexOf('admin') >= 0) return done(new InvalidScopeError('no admin here'));
  done(null, { accessToken: { 'https://x.example/a': c.metadata.tier, scope: s }, idToken: id_token });
};`
	out = convertOK(t, hooks.PasswordExchange, src)
	want = `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://x.example/name', event.user.name);
  if (event.transaction.requested_scopes.indexOf('admin') >= 0) return api.access.deny('no admin here');
  api.accessToken.setCustomClaim('https://x.example/a', event.client.metadata.tier);
};`
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
	// The status a post-login deny answers differs, and the scope
	// argument maps to what was asked for: both are said.
	if len(out.Notes) != 2 || !strings.Contains(out.Notes[1], "line 4: the Hook's scope was the granted scopes") ||
		!strings.Contains(out.Notes[0], "line 4: the Hook answered invalid_scope here; a post-login Action's api.access.deny answers 403 access_denied") {
		t.Errorf("notes %q", out.Notes)
	}
}

// A callback in an if without braces becomes a block when it needs more
// than one statement; claims in the callback's literal are set there.
func TestConvertCallbackLiteral(t *testing.T) {
	src := `module.exports = async function (client, scope, audience, context, cb) {
  if (client.metadata.legacy) cb(null, { scope: scope, 'https://a.example/legacy': true });
  else cb(null, { scope, 'https://a.example/n': client.name, [client.metadata.ns + 'x']: 1 });
};`
	out := convertOK(t, hooks.CredentialsExchange, src)
	want := `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.legacy) { api.accessToken.setCustomClaim('https://a.example/legacy', true); return; }
  else { api.accessToken.setCustomClaim('https://a.example/n', event.client.name); api.accessToken.setCustomClaim(event.client.metadata.ns + 'x', 1); return; }
};`
	// The last call needs no return but is one statement of an else.
	want = strings.Replace(want, "event.client.metadata.ns + 'x', 1); return; }", "event.client.metadata.ns + 'x', 1); }", 1)
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "computed") {
		t.Errorf("notes %q", out.Notes)
	}
}

// The Hooks starter's scope.push adds to the granted scopes: the Action's
// equivalent, with the grant's intersection said at credentials-exchange.
func TestConvertScopePush(t *testing.T) {
	src := `module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token['https://foo.com/claim'] = 'bar';
  access_token.scope = scope;
  access_token.scope.push('extra');
  cb(null, access_token);
};
`
	out := convertOK(t, hooks.CredentialsExchange, src)
	want := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://foo.com/claim', 'bar');
  api.transaction.addTargetScope('extra');
};
`
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "line 5: the Hook added these scopes whatever the client grant") {
		t.Errorf("notes %q", out.Notes)
	}
	src = `module.exports = function (user, client, scope, audience, context, cb) {
  var r = { accessToken: { scope: scope }, idToken: {} };
  r.accessToken.scope.push('read:' + user.app_metadata.tier);
  cb(null, r);
};`
	out = convertOK(t, hooks.PasswordExchange, src)
	want = `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.addScope('read:' + event.user.app_metadata.tier);
};`
	if out.Code != want || len(out.Notes) != 0 {
		t.Errorf("code:\n%s\nwant:\n%s\nnotes %q", out.Code, want, out.Notes)
	}
}

// The common async shape: await in a try, the response object declared
// in the block, a deny in the catch.
func TestConvertAsyncTry(t *testing.T) {
	src := `module.exports = async function (client, scope, audience, context, cb) {
  const axios = require('axios');
  try {
    const res = await axios.get('https://api.example.com/plan/' + client.id, { headers: { authorization: context.webtask.secrets.TOKEN } });
    const access_token = { scope };
    access_token['https://example.com/plan'] = res.data.plan;
    cb(null, access_token);
  } catch (e) {
    cb(new ServerError('plan lookup failed'));
  }
};`
	out := convertOK(t, hooks.CredentialsExchange, src)
	want := `exports.onExecuteCredentialsExchange = async (event, api) => {
  const axios = require('axios');
  try {
    const res = await axios.get('https://api.example.com/plan/' + event.client.client_id, { headers: { authorization: event.secrets.TOKEN } });
    api.accessToken.setCustomClaim('https://example.com/plan', res.data.plan);
    return;
  } catch (e) {
    return api.access.deny('server_error', 'plan lookup failed');
  }
};`
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
}

// Everything the converter cannot prove equivalent is refused with the
// construct and its line.
func TestConvertRefuses(t *testing.T) {
	cases := []struct {
		name, point, src string
		line             int
		want             string
	}{
		{"webtask storage", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  context.webtask.storage.get(function (err, data) {
    cb(null, { scope: scope, 'https://a.example/n': data.n });
  });
};`, 2, "context.webtask.storage: Actions have no per-Hook storage"},
		{"scope replacement", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = ['read:all'];
  cb(null, access_token);
};`, 3, "access_token.scope = ['read:all']: replaces the token's scopes (a scope reset or replacement)"},
		{"scope push", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  scope.push('extra');
  access_token.scope = scope;
  cb(null, access_token);
};`, 3, "scope.push: changes the scope argument (a scope change)"},
		{"scope reset", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token['https://a.example/x'] = 1;
  cb(null, access_token);
};`, 4, "has no scope here, which resets the token's scopes to none (a scope reset)"},
		{"empty callback resets", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  cb();
};`, 2, "a scope reset"},
		{"literal without scope", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { 'https://a.example/x': 1 });
};`, 2, "a scope reset"},
		{"scope pop on the response", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;
  access_token.scope.pop();
  cb(null, access_token);
};`, 4, "access_token.scope.pop: changes the token's scopes (a scope change)"},
		{"different responses", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var t = { scope: scope };
  t['https://a.example/x'] = 1;
  if (client.metadata.plain) return cb(null, { scope: scope });
  cb(null, t);
};`, 4, "answers without t, whose claims are set before it"},
		{"conditional scope", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var t = {};
  if (client.metadata.keep) t.scope = scope;
  cb(null, t);
};`, 3, "keeps the granted scopes only on some paths"},
		{"async callback", hooks.CredentialsExchange, `const request = require('request');
module.exports = function (client, scope, audience, context, cb) {
  request.get('https://api.example.com/x', function (err, res, body) {
    if (err) return cb(err);
    cb(null, { scope: scope, 'https://a.example/x': body });
  });
};`, 4, "cb: the callback is called from a function nested in the Hook"},
		{"promise then", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  fetch('https://api.example.com/').then(r => cb(null, { scope }));
};`, 2, "called from a function nested"},
		{"error value", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  try { JSON.parse(client.metadata.x); } catch (e) { return cb(e); }
  cb(null, { scope });
};`, 2, "e: the converter only maps an error created in place"},
		{"unknown error class", hooks.CredentialsExchange, `class MyError extends Error {}
module.exports = function (client, scope, audience, context, cb) {
  cb(new MyError('x'));
};`, 3, "an error of a class the Hook defined or imported"},
		{"client as a whole", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var t = { scope: scope };
  t['https://a.example/c'] = JSON.stringify(client);
  cb(null, t);
};`, 3, "client: uses the client argument as a whole"},
		{"unknown client property", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: scope, 'https://a.example/c': client.app_type });
};`, 2, "client.app_type: client.app_type has no Action equivalent"},
		{"webtask meta", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: scope, 'https://a.example/h': context.webtask.meta['hook-name'] });
};`, 2, "context.webtask.meta has no Action equivalent"},
		{"shadowed argument", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  [1].forEach(function (client) { console.log(client); });
  cb(null, { scope });
};`, 2, "declares a variable named like the Hook's client argument"},
		{"a variable named api", hooks.CredentialsExchange, `const api = require('axios').create({ baseURL: 'https://api.example.com/' });
module.exports = async function (client, scope, audience, context, cb) {
  const res = await api.get('/plan');
  cb(null, { scope, 'https://a.example/plan': res.data });
};`, 3, "api: the Hook uses a variable named api, the name of an Action argument"},
		{"error class in a helper", hooks.CredentialsExchange, `function check(c) { if (!c.metadata.ok) throw new InvalidRequestError('no'); }
module.exports = function (client, scope, audience, context, cb) {
  check(client.metadata);
  cb(null, { scope });
};`, 1, "InvalidRequestError: uses a Hook error class outside the Hook's function"},
		{"response read", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  var t = { scope: scope };
  console.log(t);
  cb(null, t);
};`, 3, "uses the response object other than by setting its properties"},
		{"callback in an expression", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  client.metadata.ok ? cb(null, { scope }) : cb(new Error('no'));
};`, 2, "the callback is called inside an expression"},
		{"returned response", hooks.CredentialsExchange, `module.exports = async function (client, scope, audience, context, cb) {
  return { scope: scope };
};`, 2, "returns a value from the Hook"},
		{"spread", hooks.CredentialsExchange, `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope, ...client.metadata });
};`, 2, "spreads an object into the response"},
		{"reference export", hooks.CredentialsExchange, `function hook(client, scope, audience, context, cb) { cb(null, { scope }); }
module.exports = hook;`, 2, "not a reference to a function defined elsewhere"},
		{"no export", hooks.CredentialsExchange, `function hook() {}`, 0, "no module.exports = function"},
		{"other point", hooks.PreUserRegistration, `module.exports = function (user, context, cb) { cb(); };`, 0, "a pre-user-registration hook has no Action trigger here"},
		{"does not compile", hooks.CredentialsExchange, "module.exports = function (client) { var s = 'x; };", 1, "unterminated string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConvertHook(tc.src, tc.point)
			var ce *ConvertError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConvertError, got %v", err)
			}
			if ce.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q (line %d), want line %d and %q", err, ce.Line, tc.line, tc.want)
			}
		})
	}
}

// Strings, comments, templates and regular expressions that look like the
// Hook's names are left alone; property names too.
func TestConvertLeavesLookalikes(t *testing.T) {
	src := `module.exports = function (client, scope, audience, context, cb) {
  // client.id in a comment, cb(null) too
  const re = /client\.id/g;
  const o = { client: 'x', audience: 1 };
  const s = 'context.webtask.secrets.X' + ` + "`client ${client.name} ${'}'}`" + `;
  console.log(o.client, re.test(s), o.audience);
  cb(null, { scope: scope });
};`
	out := convertOK(t, hooks.CredentialsExchange, src)
	want := `exports.onExecuteCredentialsExchange = async (event, api) => {
  // client.id in a comment, cb(null) too
  const re = /client\.id/g;
  const o = { client: 'x', audience: 1 };
  const s = 'context.webtask.secrets.X' + ` + "`client ${event.client.name} ${'}'}`" + `;
  console.log(o.client, re.test(s), o.audience);
};`
	if out.Code != want {
		t.Errorf("code:\n%s\nwant:\n%s", out.Code, want)
	}
}

// FuzzConvertHook: any source converts or is refused, never a panic.
func FuzzConvertHook(f *testing.F) {
	p, _ := hooks.Lookup(hooks.CredentialsExchange)
	f.Add(p.StarterCode, false)
	p, _ = hooks.Lookup(hooks.PasswordExchange)
	f.Add(p.StarterCode, true)
	f.Add("module.exports = function (client, scope, audience, context, cb) { var t = {scope: scope}; t['https://a/x'] = context.webtask.secrets.K; if (x) cb(new Error('x')); cb(null, t); };", false)
	f.Add("module.exports = function (u, c, s, a, ctx, cb) { cb(null, {accessToken: {scope: s}, idToken: it}); var it = {}; };", true)
	f.Add("module.exports = (a, b) => { return a => a; function f(){ cb() } `${`${x}`}` };", false)
	f.Fuzz(func(t *testing.T, src string, password bool) {
		point := hooks.CredentialsExchange
		if password {
			point = hooks.PasswordExchange
		}
		_, _ = ConvertHook(src, point)
	})
}
