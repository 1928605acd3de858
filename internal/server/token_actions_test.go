package server_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/server/servertest"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Actions inside token requests, in process: both triggers, every api
// method the password and client-credentials exchanges have, deny codes,
// api.cache with the clock stepped, the hook first and the Actions after
// it in binding order, the tenant log's execution record, and the main
// cases on the Node.js runtime too.

// action creates an Action for trigger, deploys it and returns its id.
func (tn *tenant) action(name, trigger, code string, secrets ...map[string]string) string {
	tn.T.Helper()
	version := map[string]string{"credentials-exchange": "v2", "post-login": "v3"}[trigger]
	body := map[string]any{"name": name, "code": code,
		"supported_triggers": []map[string]string{{"id": trigger, "version": version}}}
	if len(secrets) > 0 {
		body["secrets"] = secrets
	}
	a := tn.MustAPI(201, "POST", "actions/actions", body)
	id := a["id"].(string)
	if a["status"] != "built" {
		tn.T.Fatalf("action %s not built at once: %v", name, a)
	}
	tn.MustAPI(202, "POST", "actions/actions/"+id+"/deploy", nil)
	return id
}

// bind makes names trigger's bindings, in that order.
func (tn *tenant) bind(trigger string, names ...string) {
	tn.T.Helper()
	list := []map[string]any{}
	for _, n := range names {
		list = append(list, map[string]any{"ref": map[string]string{"type": "action_name", "value": n}, "display_name": n})
	}
	tn.MustAPI(200, "PATCH", "actions/triggers/"+trigger+"/bindings", map[string]any{"bindings": list})
}

func accessClaims(t *testing.T, r servertest.Response) map[string]any {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	return servertest.Claims(t, r.JSON(t)["access_token"].(string))
}

// lastEvent is the newest tenant log event of type typ, once the writer
// has stored it.
func (tn *tenant) lastEvent(t *testing.T, typ, clientID string, after int) map[string]any {
	t.Helper()
	var ev map[string]any
	eventually(t, "the tenant log event", func() bool {
		r := tn.API("GET", "logs?include_totals=true&per_page=1&sort=date:-1&q="+url.QueryEscape("type:"+typ+" AND client_id:"+clientID), nil)
		body := r.JSON(t)
		list, _ := body["logs"].([]any)
		if total, _ := body["total"].(float64); int(total) <= after || len(list) == 0 {
			return false
		}
		ev = list[0].(map[string]any)
		return true
	})
	return ev
}

func TestActionsCredentialsExchange(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	tn.MustAPI(201, "POST", "hooks", map[string]any{"name": "first", "triggerId": "credentials-exchange", "enabled": true,
		"script": `module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope.concat(['from-hook']), 'https://example.com/hook': 1});
};`})
	tn.action("one", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('seen_scope', event.accessToken.scope);
  api.accessToken.setCustomClaim('seen_claims', event.accessToken.customClaims);
  api.accessToken.setCustomClaim('plan', event.client.metadata.plan).setCustomClaim('who', 'one');
  api.accessToken.setCustomClaim('secret', event.secrets.K + process.env.K);
  api.accessToken.setCustomClaim('sub', 'nope').setCustomClaim('scope', 'nope');
  api.transaction.addTargetScope('write').addTargetScope('not-in-grant');
};`, map[string]string{"name": "K", "value": "s"})
	tn.action("two", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('who', 'two');
  api.accessToken.setCustomClaim('two_saw', event.accessToken.scope);
  api.accessToken.setCustomClaim('body', event.request.body);
};`)
	// The grant has read and write on the API; the hook adds from-hook.
	tn.MustAPI(200, "PATCH", "client-grants/"+tn.grantID(t), map[string]any{"scope": []string{"read", "write"}})
	tn.bind("credentials-exchange", "one", "two")
	c := accessClaims(t, tn.Token(tn.cc("scope", "read")))
	if got := strings.Join(toStrings(c["seen_scope"]), " "); got != "read from-hook" {
		t.Errorf("the first Action saw scope %q, want the hook's", got)
	}
	if m, _ := c["seen_claims"].(map[string]any); m["https://example.com/hook"] != 1.0 {
		t.Errorf("the first Action saw claims %v", c["seen_claims"])
	}
	if got := strings.Join(toStrings(c["two_saw"]), " "); got != "read from-hook write" {
		t.Errorf("the second Action saw scope %q, want the first one's target scopes", got)
	}
	if c["scope"] != "read from-hook write" || c["who"] != "two" || c["plan"] != "gold" || c["secret"] != "ss" ||
		c["sub"] != tn.ccID+"@clients" || c["https://example.com/hook"] != 1.0 {
		t.Errorf("claims %v", c)
	}
	if body, _ := c["body"].(map[string]any); body["client_secret"] != nil || body["grant_type"] != "client_credentials" {
		t.Errorf("event.request.body %v", c["body"])
	}
	ev := tn.lastEvent(t, "seccft", tn.ccID, 0)
	details, _ := ev["details"].(map[string]any)
	acts, _ := details["actions"].(map[string]any)
	if acts == nil || acts["trigger_id"] != "credentials-exchange" || len(acts["results"].([]any)) != 2 ||
		toStrings(acts["executions"])[0] != ev["log_id"] {
		t.Fatalf("details.actions %v (event %v)", acts, ev)
	}
	if details["hook"] == nil {
		t.Errorf("the hook's run is not in the event: %v", details)
	}
	exec := tn.MustAPI(200, "GET", "actions/executions/"+ev["log_id"].(string), nil)
	if exec["trigger_id"] != "credentials-exchange" || exec["status"] != "final" || len(exec["results"].([]any)) != 2 {
		t.Errorf("execution %v", exec)
	}

	// Deny with each code; the Action after it does not run.
	for _, tc := range []struct {
		code   string
		status int
	}{{"invalid_scope", 400}, {"invalid_request", 400}, {"server_error", 500}} {
		tn.MustAPI(200, "PATCH", "actions/actions/"+tn.actionID(t, "one"), map[string]any{"code": `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.access.deny('` + tc.code + `', 'denied for ' + event.client.name);
};`})
		tn.MustAPI(202, "POST", "actions/actions/"+tn.actionID(t, "one")+"/deploy", nil)
		wantError(t, tn.Token(tn.cc()), tc.status, tc.code, "denied for m2m")
	}
	// A thrown error is a server_error with its message.
	tn.MustAPI(200, "PATCH", "actions/actions/"+tn.actionID(t, "one"), map[string]any{"code": `exports.onExecuteCredentialsExchange = async () => { throw new Error('broken'); };`})
	tn.MustAPI(202, "POST", "actions/actions/"+tn.actionID(t, "one")+"/deploy", nil)
	wantError(t, tn.Token(tn.cc()), 500, "server_error", "broken")
	ev = tn.lastEvent(t, "feccft", tn.ccID, 3)
	res := ev["details"].(map[string]any)["actions"].(map[string]any)["results"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["error"] == nil {
		t.Errorf("failed execution results %v", res)
	}
	// Unbound, nothing runs.
	tn.bind("credentials-exchange")
	if c := accessClaims(t, tn.Token(tn.cc())); c["who"] != nil {
		t.Errorf("an unbound Action ran: %v", c)
	}
}

func (tn *tenant) grantID(t *testing.T) string {
	t.Helper()
	r := tn.API("GET", "client-grants?client_id="+tn.ccID, nil)
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil || len(list) == 0 {
		t.Fatalf("client grants: %s", r.Body)
	}
	return list[0]["id"].(string)
}

func (tn *tenant) actionID(t *testing.T, name string) string {
	t.Helper()
	body := tn.MustAPI(200, "GET", "actions/actions?actionName="+url.QueryEscape(name), nil)
	list, _ := body["actions"].([]any)
	if len(list) != 1 {
		t.Fatalf("actions named %s: %v", name, body)
	}
	return list[0].(map[string]any)["id"].(string)
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestActionsPostLogin(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	tn.MustAPI(201, "POST", "hooks", map[string]any{"name": "pw", "triggerId": "password-exchange", "enabled": true,
		"script": `module.exports = function (user, client, scope, audience, context, cb) {
  cb(null, {accessToken: {'https://example.com/hook': user.email}});
};`})
	tn.action("login", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.banned) return api.access.deny('banned: ' + event.user.email);
  api.accessToken.setCustomClaim('logins', event.stats.logins_count).setCustomClaim('protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim('app', event.user.app_metadata).setCustomClaim('user', event.user.user_metadata);
  api.accessToken.setCustomClaim('connection', event.connection.name + '/' + event.connection.strategy);
  api.accessToken.addScope('extra').removeScope('write:data');
  api.idToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan);
  api.user.setAppMetadata('visits', (event.user.app_metadata.visits || 0) + 1);
  api.user.setUserMetadata('theme', 'dark');
  api.session.setExpiresAt(Date.now());
  api.refreshToken.setIdleExpiresAt(Date.now());
  try { api.redirect.sendUserTo('https://example.com'); } catch (e) { api.accessToken.setCustomClaim('redirect', e.message); }
};`)
	tn.bind("post-login", "login")
	r := tn.Token(tn.pw("scope", "openid read:data write:data"))
	c := accessClaims(t, r)
	if c["scope"] != "openid read:data extra" || c["logins"] != 1.0 || c["protocol"] != "oauth2-password" ||
		c["https://example.com/hook"] != "ann@example.com" || c["connection"] != dbConn+"/auth0" {
		t.Errorf("claims %v", c)
	}
	if app, _ := c["app"].(map[string]any); app["plan"] != "full" || app["visits"] != nil {
		t.Errorf("event.user.app_metadata %v", c["app"])
	}
	if s, _ := c["redirect"].(string); !strings.Contains(s, "not available") {
		t.Errorf("api.redirect.sendUserTo: %q", s)
	}
	id := servertest.Claims(t, r.JSON(t)["id_token"].(string))
	if id["https://example.com/plan"] != "full" {
		t.Errorf("id token %v", id)
	}
	// The metadata writes are stored and the next login sees them.
	u := tn.MustAPI(200, "GET", "users/"+url.PathEscape(tn.annID), nil)
	if u["app_metadata"].(map[string]any)["visits"] != 1.0 || u["user_metadata"].(map[string]any)["theme"] != "dark" {
		t.Fatalf("user after login %v", u)
	}
	c = accessClaims(t, tn.Token(tn.pw(("grant_type"), realmGrant, "realm", dbConn)))
	if app, _ := c["app"].(map[string]any); app["visits"] != 1.0 || c["logins"] != 2.0 {
		t.Errorf("second login saw %v, logins %v", c["app"], c["logins"])
	}
	if user, _ := c["user"].(map[string]any); user["theme"] != "dark" {
		t.Errorf("second login saw user_metadata %v", c["user"])
	}
	// Deny: 403 access_denied with the reason; a throw likewise.
	tn.MustAPI(200, "PATCH", "users/"+url.PathEscape(tn.annID), map[string]any{"app_metadata": map[string]any{"banned": true}})
	wantError(t, tn.Token(tn.pw()), 403, "access_denied", "banned: ann@example.com")
	tn.MustAPI(200, "PATCH", "actions/actions/"+tn.actionID(t, "login"), map[string]any{"code": `exports.onExecutePostLogin = async () => { throw new Error('nope'); };`})
	tn.MustAPI(202, "POST", "actions/actions/"+tn.actionID(t, "login")+"/deploy", nil)
	wantError(t, tn.Token(tn.pw()), 403, "access_denied", "nope")
}

func TestActionsCache(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	tn.action("cache", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  const hit = api.cache.get('tok');
  if (hit) { api.accessToken.setCustomClaim('cached', hit.value); return; }
  const r = api.cache.set('tok', 'v-' + Date.now(), {ttl: 60000});
  api.accessToken.setCustomClaim('set', r);
};`)
	tn.bind("credentials-exchange", "cache")
	c := accessClaims(t, tn.Token(tn.cc()))
	set, _ := c["set"].(map[string]any)
	if set["type"] != "success" {
		t.Fatalf("set: %v", c)
	}
	record := set["record"].(map[string]any)
	if want := float64(tn.Clock.Now().Add(time.Minute).UnixMilli()); record["expires_at"] != want {
		t.Errorf("expires_at %v, want %v", record["expires_at"], want)
	}
	c = accessClaims(t, tn.Token(tn.cc()))
	if c["cached"] != record["value"] {
		t.Fatalf("the next request did not find the value: %v", c)
	}
	tn.Clock.Advance(61 * time.Second)
	if c = accessClaims(t, tn.Token(tn.cc())); c["set"] == nil {
		t.Fatalf("an expired value was found: %v", c)
	}
}

// TestActionsOnNode: Actions that need Node.js run there, both triggers.
func TestActionsOnNode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: the Node.js runtime runs in make test")
	}
	tn := newTenant(t)
	tn.action("node-ce", "credentials-exchange", `const path = require('path');
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('joined', path.join('a', 'b'));
  api.accessToken.setCustomClaim('cache', api.cache.set('k', 'v').type);
  api.transaction.addTargetScope('write');
};`)
	a := tn.MustAPI(200, "GET", "actions/actions/"+tn.actionID(t, "node-ce"), nil)
	if a["status"] != "built" {
		t.Fatalf("node action %v", a)
	}
	tn.bind("credentials-exchange", "node-ce")
	r := tn.Token(tn.cc())
	if r.Status == 500 && strings.Contains(string(r.Body), "Node.js") {
		t.Skipf("no Node.js here: %s", r.Body)
	}
	c := accessClaims(t, r)
	if c["joined"] != "a/b" || c["cache"] != "success" || c["scope"] != "read" {
		t.Errorf("claims %v", c)
	}
	tn.action("node-pl", "post-login", `const path = require('path');
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.email === 'nobody@example.com') api.access.deny('no');
  api.idToken.setCustomClaim('https://example.com/p', path.basename('/x/' + event.user.username));
  api.user.setAppMetadata('node', true);
};`)
	tn.bind("post-login", "node-pl")
	r = tn.Token(tn.pw("scope", "openid"))
	if r.Status != 200 {
		t.Fatalf("password grant: %d %s", r.Status, r.Body)
	}
	if id := servertest.Claims(t, r.JSON(t)["id_token"].(string)); id["https://example.com/p"] != "ann" {
		t.Errorf("id token %v", id)
	}
	if u := tn.MustAPI(200, "GET", "users/"+url.PathEscape(tn.annID), nil); u["app_metadata"].(map[string]any)["node"] != true {
		t.Errorf("metadata %v", u["app_metadata"])
	}
}

// A user's metadata stays bounded and keeps Auth0's field-name rule
// whoever writes it: an Action that adds a property on every login fails
// the login once the record would pass the cap, and the Management API
// refuses the same.
func TestUserMetadataBounded(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	tn.action("grow", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata('k' + event.stats.logins_count, 'x'.repeat(30000));
};`)
	tn.bind("post-login", "grow")
	for i := 0; i < 2; i++ {
		if r := tn.Token(tn.pw()); r.Status != 200 {
			t.Fatalf("login %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	wantError(t, tn.Token(tn.pw()), 403, "access_denied", "api.user: app_metadata is too large (90039 bytes, at most 65536)")
	u := tn.MustAPI(200, "GET", "users/"+url.PathEscape(tn.annID), nil)
	app := u["app_metadata"].(map[string]any)
	if app["k1"] == nil || app["k2"] == nil || app["k3"] != nil {
		t.Errorf("app_metadata kept %d properties, want the logins' before the cap and not the one past it", len(app))
	}
	tn.MustAPI(200, "PATCH", "actions/actions/"+tn.actionID(t, "grow"), map[string]any{"code": `exports.onExecutePostLogin = async (event, api) => {
  api.user.setUserMetadata('a.b', 1);
};`})
	tn.MustAPI(202, "POST", "actions/actions/"+tn.actionID(t, "grow")+"/deploy", nil)
	wantError(t, tn.Token(tn.pw()), 403, "access_denied", "api.user: user_metadata has an invalid property name (a.b): names may not start with '$' nor contain '.'")

	tn.MustAPI(400, "PATCH", "users/"+url.PathEscape(tn.annID), map[string]any{"user_metadata": map[string]any{"$set": 1}})
	tn.MustAPI(400, "PATCH", "users/"+url.PathEscape(tn.annID), map[string]any{"app_metadata": map[string]any{"big": strings.Repeat("x", storage.MaxMetadataBytes)}})
}
