package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestActionsPostLogin runs post-login Actions inside password and
// password-realm token requests through the real binary: the event the
// Action checks itself, access- and ID-token claims, api.access.deny,
// scope changes, api.user metadata persisted after the flow and seen by
// the next login and the Users API, and the methods that cannot apply to
// a password exchange (issue 17, compat-spec §7).
func TestActionsPostLogin(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, _ := in.passwordApps()
	annID := in.ann()["user_id"].(string)
	admin := newActionsAdmin(in)
	id := admin.createDeployed(t, "login-under-test", "post-login", `exports.onExecutePostLogin = async (event, api) => {};`,
		map[string]any{"secrets": []map[string]string{{"name": "SIGNING_KEY", "value": "k-42"}}})
	admin.bind(t, "post-login", id)

	login := func(t *testing.T, kv ...string) (body, access map[string]any) {
		t.Helper()
		body = pwStatus(t, in.login(confID, confSecret, "ann", annPassword, kv...), 200, "login")
		return body, claims(t, body["access_token"].(string))
	}

	t.Run("the event, checked by the Action", func(t *testing.T) {
		for _, grant := range []struct {
			name string
			kv   []string
		}{
			{"password", []string{"scope", "openid read:data"}},
			{"password-realm", []string{"scope", "openid read:data", "grant_type", realmGrant, "realm", dbConn}},
		} {
			t.Run(grant.name, func(t *testing.T) {
				admin.redeploy(t, id, fmt.Sprintf(`exports.onExecutePostLogin = async (event, api) => {
  const problems = [];
  const check = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(what + ': ' + JSON.stringify(got) + ' != ' + JSON.stringify(want));
  };
  const u = event.user;
  check('user.user_id', u.user_id, %[1]q);
  check('user.email', u.email, 'ann@example.com');
  check('user.email_verified', u.email_verified, true);
  check('user.name', u.name, 'Ann Example');
  check('user.nickname', u.nickname, 'annie');
  check('user.picture', u.picture, 'https://example.com/ann.png');
  check('user.username', u.username, 'ann');
  check('user.app_metadata.plan', u.app_metadata.plan, 'full');
  check('user.user_metadata.hobby', u.user_metadata.hobby, 'surfing');
  check('user.identities[0].provider', u.identities[0].provider, 'auth0');
  check('user.identities[0].connection', u.identities[0].connection, %[2]q);
  check('user.logins_count type', typeof u.logins_count, 'number');
  check('user.created_at parses', isNaN(Date.parse(u.created_at)), false);
  check('user.updated_at parses', isNaN(Date.parse(u.updated_at)), false);
  check('client.client_id', event.client.client_id, %[3]q);
  check('client.name', event.client.name, 'backend');
  check('connection.name', event.connection.name, %[2]q);
  check('connection.strategy', event.connection.strategy, 'auth0');
  check('connection.id type', typeof event.connection.id, 'string');
  check('request.ip', event.request.ip, '127.0.0.1');
  check('request.method', event.request.method, 'POST');
  check('request.body.username', event.request.body.username, 'ann');
  check('request.body has no password', 'password' in event.request.body, false);
  check('request.body has no client_secret', 'client_secret' in event.request.body, false);
  check('transaction.protocol', event.transaction.protocol, 'oauth2-password');
  check('transaction.requested_scopes', event.transaction.requested_scopes, ['openid', 'read:data']);
  check('resource_server.identifier', event.resource_server.identifier, %[4]q);
  check('authorization.roles', event.authorization.roles, []);
  check('stats.logins_count type', typeof event.stats.logins_count, 'number');
  check('tenant.id type', typeof event.tenant.id, 'string');
  check('secrets.SIGNING_KEY', event.secrets.SIGNING_KEY, 'k-42');
  api.accessToken.setCustomClaim('https://example.com/problems', problems);
};`, annID, dbConn, confID, usersAPI))
				_, access := login(t, grant.kv...)
				problems(t, access, "https://example.com/problems")
			})
		}
	})

	t.Run("access and ID token claims", func(t *testing.T) {
		admin.redeploy(t, id, `exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(namespace + '/roles', event.authorization.roles);
    api.accessToken.setCustomClaim(namespace + '/roles', event.authorization.roles);
  }
  api.idToken.setCustomClaim(namespace + '/favorite_color', event.user.user_metadata.favorite_color || 'blue');
  api.accessToken.setCustomClaim(namespace + '/plan', event.user.app_metadata.plan);
  api.accessToken.setCustomClaim('plain_claim', 'allowed');
  api.idToken.setCustomClaim('sub', 'evil');
  api.accessToken.setCustomClaim('sub', 'evil');
};`)
		body, access := login(t, "scope", "openid profile read:data")
		id := claims(t, body["id_token"].(string))
		if id["https://example.com/favorite_color"] != "blue" || mustJSONs(id["https://example.com/roles"]) != "[]" || id["sub"] != annID {
			t.Fatalf("id token %v", id)
		}
		if _, ok := id["https://example.com/plan"]; ok {
			t.Fatalf("an access-token claim reached the ID token: %v", id)
		}
		if access["https://example.com/plan"] != "full" || access["plain_claim"] != "allowed" || access["sub"] != annID {
			t.Fatalf("access token %v", access)
		}
		if _, ok := access["https://example.com/favorite_color"]; ok {
			t.Fatalf("an ID-token claim reached the access token: %v", access)
		}
	})

	t.Run("scopes", func(t *testing.T) {
		admin.redeploy(t, id, `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.addScope('write:data');
  api.accessToken.removeScope('read:data');
};`)
		body, access := login(t, "scope", "openid read:data")
		if scopeSet(access["scope"]) != "openid write:data" || scopeSet(body["scope"]) != "openid write:data" {
			t.Fatalf("scope %v / %v", access["scope"], body["scope"])
		}
	})

	t.Run("deny", func(t *testing.T) {
		admin.redeploy(t, id, `exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.plan === 'full' && event.client.name === 'backend') {
    api.access.deny('Access to backend is restricted on Sundays.');
  }
};`)
		pwOAuthError(t, in.login(confID, confSecret, "ann", annPassword), 403, "access_denied", "Access to backend is restricted on Sundays.", "denied login")
		// A wrong password never reaches the Action.
		pwOAuthError(t, in.login(confID, confSecret, "ann", "wrong password"), 403, "invalid_grant", "Wrong email or password.", "wrong password")
	})

	t.Run("metadata persisted and seen by the next login", func(t *testing.T) {
		admin.redeploy(t, id, `exports.onExecutePostLogin = async (event, api) => {
  const visits = (event.user.app_metadata.visits || 0) + 1;
  api.accessToken.setCustomClaim('https://example.com/seen', event.user.app_metadata.visits || 0);
  api.accessToken.setCustomClaim('https://example.com/theme', event.user.user_metadata.theme || 'none');
  api.user.setAppMetadata('visits', visits);
  api.user.setUserMetadata('theme', 'dark');
  api.user.setAppMetadata('removed_at_once', 'x');
  api.user.setAppMetadata('removed_at_once', null);
};`)
		for want := 0; want < 3; want++ {
			_, access := login(t)
			if access["https://example.com/seen"] != float64(want) {
				t.Fatalf("login %d saw visits %v", want+1, access["https://example.com/seen"])
			}
			if theme := access["https://example.com/theme"]; (want == 0 && theme != "none") || (want > 0 && theme != "dark") {
				t.Fatalf("login %d saw theme %v", want+1, theme)
			}
		}
		u := pwStatus(t, in.api("GET", "users/"+strings.ReplaceAll(annID, "|", "%7C"), nil), 200, "get user")
		am, _ := u["app_metadata"].(map[string]any)
		um, _ := u["user_metadata"].(map[string]any)
		if am["visits"] != 3.0 || am["plan"] != "full" || um["theme"] != "dark" || um["hobby"] != "surfing" {
			t.Fatalf("user after three logins: app_metadata %v user_metadata %v", am, um)
		}
		if _, ok := am["removed_at_once"]; ok {
			t.Fatalf("a key set to null was kept: %v", am)
		}
	})

	t.Run("methods that cannot apply to a password exchange", func(t *testing.T) {
		// Real post-login code calls these on some paths; here they must
		// exist and neither crash nor stop the login when guarded.
		admin.redeploy(t, id, `exports.onExecutePostLogin = async (event, api) => {
  const calls = {
    'redirect.sendUserTo': () => api.redirect.sendUserTo('https://example.com/consent', {query: {state: 'x'}}),
    'redirect.encodeToken': () => api.redirect.encodeToken({secret: 'a-long-enough-secret', payload: {a: 1}}),
    'redirect.validateToken': () => api.redirect.validateToken({secret: 'a-long-enough-secret', tokenParameterName: 'session_token'}),
    'multifactor.enable': () => api.multifactor.enable('any', {allowRememberBrowser: false}),
    'authentication.challengeWith': () => api.authentication.challengeWith({type: 'otp'}),
    'prompt.render': () => api.prompt.render('form-id'),
  };
  const missing = [], notFunction = [];
  for (const [name, call] of Object.entries(calls)) {
    const [obj, fn] = name.split('.');
    if (!api[obj] || typeof api[obj][fn] !== 'function') { missing.push(name); continue; }
    try { call(); } catch (e) { if (/is not a function|of undefined/.test(String(e && e.message))) notFunction.push(name + ': ' + e.message); }
  }
  api.accessToken.setCustomClaim('https://example.com/problems', missing.concat(notFunction));
};`)
		_, access := login(t)
		problems(t, access, "https://example.com/problems")
	})
}

// TestActionsPostLoginAfterHook: a password-exchange Hook and a post-login
// Action on one login. The Hook runs first; its claims are in the tokens
// unless the Action sets the same name, which it then wins; the tenant
// log event of the login names the execution (issue 17).
func TestActionsPostLoginAfterHook(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	confID, confSecret, _ := in.passwordApps()
	in.ann()
	admin := newActionsAdmin(in)
	newHookAdmin(in).createHook(t, "legacy-login", "password-exchange", `module.exports = function (user, client, scope, audience, context, cb) {
  cb(null, {accessToken: {scope: scope, 'https://example.com/who': 'hook', 'https://example.com/hook': true},
            idToken: {'https://example.com/id_who': 'hook'}});
};`, true)
	id := admin.createDeployed(t, "after-hook", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/who', 'action');
  api.idToken.setCustomClaim('https://example.com/id_who', 'action');
  api.accessToken.setCustomClaim('https://example.com/action', true);
};`, nil)
	admin.bind(t, "post-login", id)
	body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", "openid read:data"), 200, "login")
	access := claims(t, body["access_token"].(string))
	if access["https://example.com/who"] != "action" || access["https://example.com/hook"] != true || access["https://example.com/action"] != true ||
		access["scope"] != "openid read:data" {
		t.Fatalf("access token %v", access)
	}
	if idt := claims(t, body["id_token"].(string)); idt["https://example.com/id_who"] != "action" {
		t.Fatalf("id token %v", idt)
	}
	ev := admin.logEventWith(t, "type:sepft", func(ev map[string]any) bool { return len(executionIDs(ev)) > 0 })
	exe := admin.must(t, 200, "GET", "executions/"+executionIDs(ev)[0], nil)
	if results, _ := exe["results"].([]any); exe["trigger_id"] != "post-login" || len(results) != 1 || results[0].(map[string]any)["action_name"] != "after-hook" {
		t.Fatalf("execution %v", exe)
	}
}
