package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestActionsCredentialsExchange runs credentials-exchange Actions written
// as Auth0 customers write them through the real binary: custom claims
// (namespaced and not, restricted names dropped), api.access.deny with each
// code, the target-scope methods intersected with the client grant, and an
// event the Action checks itself (issue 17, compat-spec §7).
func TestActionsCredentialsExchange(t *testing.T) {
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	id := admin.createDeployed(t, "m2m-under-test", "credentials-exchange",
		`exports.onExecuteCredentialsExchange = async (event, api) => {};`,
		map[string]any{"secrets": []map[string]string{{"name": "API_KEY", "value": "s3cr3t"}}})
	admin.bind(t, "credentials-exchange", id)

	t.Run("claims", func(t *testing.T) {
		admin.redeploy(t, id, `/**
 * Handler that will be called during the execution of a Client Credentials exchange.
 *
 * @param {Event} event - Details about client credentials grant request.
 * @param {CredentialsExchangeAPI} api - Interface whose methods can be used to change the behavior of client credentials grant.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  const namespace = 'https://example.com/';
  api.accessToken.setCustomClaim(namespace + 'plan', event.client.metadata.plan);
  api.accessToken.setCustomClaim(namespace + 'key', event.secrets.API_KEY);
  api.accessToken
    .setCustomClaim('tier', 'premium')
    .setCustomClaim(namespace + 'nested', {roles: ['a', 'b'], n: 1});
  // Restricted names are dropped silently.
  api.accessToken.setCustomClaim('sub', 'evil');
  api.accessToken.setCustomClaim('aud', 'https://evil.example/');
  api.accessToken.setCustomClaim('gty', 'password');
  api.accessToken.setCustomClaim(namespace + 'overwritten', 'first');
  api.accessToken.setCustomClaim(namespace + 'overwritten', 'second');
};`)
		body, tok := app.ok(t)
		got := customClaims(t, body["access_token"].(string), "tier")
		want := map[string]any{"plan": "gold", "key": "s3cr3t", "tier": "premium", "nested": map[string]any{"roles": []any{"a", "b"}, "n": 1.0},
			"overwritten": "second"}
		if mustJSONs(got) != mustJSONs(want) {
			t.Fatalf("claims %s, want %s", mustJSONs(got), mustJSONs(want))
		}
		if tok["sub"] != app.id+"@clients" || tok["aud"] != app.aud || tok["gty"] != "client-credentials" || tok["iss"] != in.base {
			t.Fatalf("restricted claims changed: %v", tok)
		}
		if scopeSet(tok["scope"]) != "delete:orders read:orders write:orders" {
			t.Fatalf("scope %v: an Action that does not touch scopes keeps the granted ones", tok["scope"])
		}
	})

	t.Run("the event, checked by the Action", func(t *testing.T) {
		admin.redeploy(t, id, fmt.Sprintf(`exports.onExecuteCredentialsExchange = async (event, api) => {
  const problems = [];
  const check = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(what + ': ' + JSON.stringify(got) + ' != ' + JSON.stringify(want));
  };
  check('client.client_id', event.client.client_id, %q);
  check('client.name', event.client.name, 'app for https://orders.example/');
  check('client.metadata', event.client.metadata, {plan: 'gold'});
  check('resource_server.identifier', event.resource_server.identifier, 'https://orders.example/');
  check('tenant.id type', typeof event.tenant.id, 'string');
  check('request.ip', event.request.ip, '127.0.0.1');
  check('request.method', event.request.method, 'POST');
  check('request.hostname type', typeof event.request.hostname, 'string');
  check('request.user_agent', event.request.user_agent, 'orders-batch/1.0');
  check('request.body.grant_type', event.request.body.grant_type, 'client_credentials');
  check('request.body.audience', event.request.body.audience, 'https://orders.example/');
  check('request.body.client_id', event.request.body.client_id, %q);
  check('request.body.custom', event.request.body.custom_param, 'hello');
  check('request.body has no client_secret', 'client_secret' in event.request.body, false);
  check('transaction.requested_scopes', event.transaction.requested_scopes, ['read:orders', 'write:orders']);
  check('accessToken.scope', [...event.accessToken.scope].sort(), ['read:orders', 'write:orders']);
  check('accessToken.customClaims', event.accessToken.customClaims, {});
  check('secrets.API_KEY', event.secrets.API_KEY, 's3cr3t');
  check('api.access.deny', typeof api.access.deny, 'function');
  check('api.cache.get', typeof api.cache.get, 'function');
  api.accessToken.setCustomClaim('https://example.com/problems', problems);
};`, app.id, app.id))
		r := in.do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(
			"grant_type=client_credentials&client_id="+app.id+"&client_secret="+app.secret+"&audience="+app.aud+
				"&scope=read:orders+write:orders&custom_param=hello"), map[string][]string{"User-Agent": {"orders-batch/1.0"}})
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		problems(t, claims(t, r.json(t)["access_token"].(string)), "https://example.com/problems")
	})

	t.Run("deny", func(t *testing.T) {
		for _, c := range []struct {
			call   string
			status int
			code   string
			desc   string
		}{
			{`api.access.deny('invalid_scope', 'Client is not allowed these scopes.')`, 400, "invalid_scope", "Client is not allowed these scopes."},
			{`api.access.deny('invalid_request', 'Missing the x-tenant parameter.')`, 400, "invalid_request", "Missing the x-tenant parameter."},
			{`api.access.deny('server_error', 'Upstream policy service unavailable.')`, 500, "server_error", "Upstream policy service unavailable."},
			// deny is chainable and wins over claims set before or after it.
			{`api.accessToken.setCustomClaim('https://example.com/x', 1); api.access.deny('invalid_request', 'chained').accessToken.setCustomClaim('y', 2)`,
				400, "invalid_request", "chained"},
		} {
			t.Run(c.code, func(t *testing.T) {
				admin.redeploy(t, id, `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.plan === 'gold') {
    `+c.call+`;
  }
};`)
				oauthError(t, app.token(), c.status, c.code, c.desc)
			})
		}
		t.Run("an Action that throws", func(t *testing.T) {
			admin.redeploy(t, id, `exports.onExecuteCredentialsExchange = async (event, api) => {
  throw new Error('unexpected failure in the Action');
};`)
			oauthError(t, app.token(), 500, "server_error", "")
		})
	})

	t.Run("target scopes", func(t *testing.T) {
		for _, c := range []struct {
			name, code, requested, want string
		}{
			{"add a granted scope", `api.transaction.addTargetScope('write:orders');`, "read:orders", "read:orders write:orders"},
			{"add a scope outside the grant: dropped", `api.transaction.addTargetScope('admin:orders');`, "read:orders", "read:orders"},
			{"add an unknown scope: dropped", `api.transaction.addTargetScope('launch:rockets');`, "read:orders", "read:orders"},
			{"remove", `api.transaction.removeTargetScope('read:orders');`, "read:orders write:orders", "write:orders"},
			{"set, intersected with the grant", `api.transaction.setTargetScopes(['delete:orders', 'admin:orders', 'read:orders']);`, "read:orders", "delete:orders read:orders"},
			{"clear", `api.transaction.clearTargetScopes();`, "read:orders write:orders", ""},
			{"clear then add", `api.transaction.clearTargetScopes(); api.transaction.addTargetScope('delete:orders');`, "read:orders", "delete:orders"},
			{"no scope requested: all granted, then removed", `api.transaction.removeTargetScope('delete:orders');`, "", "read:orders write:orders"},
		} {
			t.Run(c.name, func(t *testing.T) {
				admin.redeploy(t, id, `exports.onExecuteCredentialsExchange = async (event, api) => {
  `+c.code+`
  api.accessToken.setCustomClaim('https://example.com/case', `+fmt.Sprintf("%q", c.name)+`);
};`)
				var kv []string
				if c.requested != "" {
					kv = []string{"scope", c.requested}
				}
				body, tok := app.ok(t, kv...)
				if tok["https://example.com/case"] != c.name {
					t.Fatalf("the Action did not run: %v", tok)
				}
				if scopeSet(tok["scope"]) != c.want {
					t.Fatalf("token scope %q, want %q", tok["scope"], c.want)
				}
				if rs, _ := body["scope"].(string); scopeSet(rs) != c.want {
					t.Fatalf("response scope %q, want %q", rs, c.want)
				}
			})
		}
		t.Run("invalid scopes throw", func(t *testing.T) {
			admin.redeploy(t, id, `exports.onExecuteCredentialsExchange = async (event, api) => {
  const threw = [];
  for (const bad of [42, null, {}]) {
    try { api.transaction.addTargetScope(bad); } catch (e) { threw.push(String(bad)); }
  }
  try { api.transaction.setTargetScopes('read:orders'); } catch (e) { threw.push('set string'); }
  api.accessToken.setCustomClaim('https://example.com/threw', threw);
};`)
			_, tok := app.ok(t, "scope", "read:orders")
			if mustJSONs(tok["https://example.com/threw"]) != `["42","null","[object Object]","set string"]` || tok["scope"] != "read:orders" {
				t.Fatalf("threw %v, scope %v", tok["https://example.com/threw"], tok["scope"])
			}
		})
	})

	t.Run("unbound: the Action no longer runs", func(t *testing.T) {
		admin.redeploy(t, id, `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_request', 'bound'); };`)
		oauthError(t, app.token(), 400, "invalid_request", "bound")
		// Never for tokenhook's own Management API (as for hooks): an
		// Action that denies everything does not lock operators out.
		if r := in.apiWith(in.adminToken(), "GET", "actions/triggers/credentials-exchange/bindings", nil); r.status != 200 {
			t.Fatalf("Management API with a deny-all Action bound: %d %s", r.status, r.body)
		}
		admin.must(t, 200, "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{}})
		if _, tok := app.ok(t); scopeSet(tok["scope"]) != "delete:orders read:orders write:orders" {
			t.Fatalf("token without Actions %v", tok)
		}
	})
}

// TestActionsNodeGlobals: an Action written for current Node uses its
// globals without a require (crypto.randomUUID(), structuredClone, Intl)
// and syntax the embedded parser lacks (for await, the RegExp d flag), as
// on Auth0's node22; it is saved for the Node.js runtime and runs.
func TestActionsNodeGlobals(t *testing.T) {
	needNodeAndNPM(t)
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	id := admin.createDeployed(t, "modern-globals", "credentials-exchange", `/**
 * @param {Event} event - Details about client credentials grant request.
 * @param {CredentialsExchangeAPI} api - Interface whose methods can be used to change the behavior of client credentials grant.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  const meta = structuredClone(event.client.metadata);
  meta.plan = meta.plan.toUpperCase();
  api.accessToken.setCustomClaim('https://example.com/request_id', crypto.randomUUID());
  api.accessToken.setCustomClaim('https://example.com/plan', meta.plan + '/' + event.client.metadata.plan);
  api.accessToken.setCustomClaim('https://example.com/year', new Intl.DateTimeFormat('en-US', {year: 'numeric', timeZone: 'UTC'}).format(new Date(0)));
  async function* pages() { yield 1; yield 2; }
  let n = 0;
  for await (const p of pages()) n += p;
  api.accessToken.setCustomClaim('https://example.com/syntax', [n, /b/d.exec('abc').indices[0][0]]);
};`, nil)
	admin.bind(t, "credentials-exchange", id)
	_, tok := app.ok(t)
	if rid, _ := tok["https://example.com/request_id"].(string); len(rid) != 36 || tok["https://example.com/plan"] != "GOLD/gold" || tok["https://example.com/year"] != "1970" ||
		mustJSONs(tok["https://example.com/syntax"]) != "[3,1]" {
		t.Fatalf("token %v", tok)
	}
}
