package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestActionsOnNode: Actions with an npm dependency run on the Node.js
// runtime; the same api surface works there as on the embedded engine:
// the event, chained claims, target scopes intersected with the grant,
// deny codes, a thrown error, api.cache across requests, and at
// post-login the ID token, deny and api.user metadata persisted (issue 17).
func TestActionsOnNode(t *testing.T) {
	needNodeAndNPM(t)
	in := start(t, options{args: fastBcrypt, env: npmEnv(t)})
	app := newM2MApp(t, in)
	confID, confSecret, _ := in.passwordApps()
	annID := in.ann()["user_id"].(string)
	admin := newActionsAdmin(in)
	deps := map[string]any{"dependencies": []map[string]string{{"name": "lodash", "version": "4.17.21"}},
		"secrets": []map[string]string{{"name": "API_KEY", "value": "on-node"}}}

	cx := admin.createDeployed(t, "node-m2m", "credentials-exchange", fmt.Sprintf(`const _ = require('lodash');

exports.onExecuteCredentialsExchange = async (event, api) => {
  const op = event.request.body.op;
  if (op === 'deny') return api.access.deny(event.request.body.code, 'denied on node: ' + event.request.body.code);
  if (op === 'throw') throw new Error('thrown on node');
  const problems = [];
  const check = (what, got, want) => { if (!_.isEqual(got, want)) problems.push(what + ': ' + JSON.stringify(got)); };
  check('client_id', event.client.client_id, %q);
  check('metadata', event.client.metadata, {plan: 'gold'});
  check('audience', event.resource_server.identifier, %q);
  check('requested_scopes', event.transaction.requested_scopes, ['read:orders']);
  check('no client_secret', _.has(event.request.body, 'client_secret'), false);
  check('secret', event.secrets.API_KEY, 'on-node');
  check('node', typeof process.versions.node, 'string');
  const cached = api.cache.get('counter');
  const n = cached ? Number(cached.value) : 0;
  api.cache.set('counter', String(n + 1), {ttl: 60000});
  api.transaction.addTargetScope('write:orders');
  api.transaction.addTargetScope('admin:orders');
  api.accessToken
    .setCustomClaim('https://example.com/problems', problems)
    .setCustomClaim('https://example.com/n', n)
    .setCustomClaim('tier', _.upperFirst('gold'));
};`, app.id, app.aud), deps)
	admin.bind(t, "credentials-exchange", cx)

	t.Run("credentials-exchange", func(t *testing.T) {
		for want := 0; want < 3; want++ {
			body, tok := app.ok(t, "scope", "read:orders")
			problems(t, tok, "https://example.com/problems")
			if tok["https://example.com/n"] != float64(want) || tok["tier"] != "Gold" {
				t.Fatalf("token %d: %v", want, tok)
			}
			if scopeSet(tok["scope"]) != "read:orders write:orders" || scopeSet(body["scope"]) != "read:orders write:orders" {
				t.Fatalf("scope %v", tok["scope"])
			}
		}
		oauthError(t, app.token("op", "deny", "code", "invalid_scope"), 400, "invalid_scope", "denied on node: invalid_scope")
		oauthError(t, app.token("op", "deny", "code", "invalid_request"), 400, "invalid_request", "denied on node: invalid_request")
		oauthError(t, app.token("op", "deny", "code", "server_error"), 500, "server_error", "denied on node: server_error")
		oauthError(t, app.token("op", "throw"), 500, "server_error", "")
	})

	pl := admin.createDeployed(t, "node-login", "post-login", fmt.Sprintf(`const _ = require('lodash');

exports.onExecutePostLogin = async (event, api) => {
  if (event.request.body.op === 'deny') return api.access.deny('denied on node');
  const problems = [];
  const check = (what, got, want) => { if (!_.isEqual(got, want)) problems.push(what + ': ' + JSON.stringify(got)); };
  check('user_id', event.user.user_id, %q);
  check('email', event.user.email, 'ann@example.com');
  check('protocol', event.transaction.protocol, 'oauth2-password');
  check('strategy', event.connection.strategy, 'auth0');
  check('no password', _.has(event.request.body, 'password'), false);
  const count = _.get(event.user, 'app_metadata.count', 0);
  api.idToken.setCustomClaim('https://example.com/nick', _.upperFirst(event.user.nickname));
  api.accessToken.setCustomClaim('https://example.com/count', count);
  api.accessToken.setCustomClaim('https://example.com/problems', problems);
  api.user.setAppMetadata('count', count + 1);
};`, annID), deps)
	admin.bind(t, "post-login", pl)

	t.Run("post-login", func(t *testing.T) {
		for want := 0; want < 2; want++ {
			body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword, "scope", "openid"), 200, "login")
			access := claims(t, body["access_token"].(string))
			problems(t, access, "https://example.com/problems")
			if access["https://example.com/count"] != float64(want) {
				t.Fatalf("login %d saw count %v", want, access["https://example.com/count"])
			}
			if id := claims(t, body["id_token"].(string)); id["https://example.com/nick"] != "Annie" {
				t.Fatalf("id token %v", id)
			}
		}
		u := pwStatus(t, in.api("GET", "users/"+strings.ReplaceAll(annID, "|", "%7C"), nil), 200, "get user")
		if am, _ := u["app_metadata"].(map[string]any); am["count"] != 2.0 || am["plan"] != "full" {
			t.Fatalf("app_metadata %v", u["app_metadata"])
		}
		pwOAuthError(t, in.login(confID, confSecret, "ann", annPassword, "op", "deny"), 403, "access_denied", "denied on node", "denied on node")
	})
}
