package actions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/noderun"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// fixture is a Runner on the real engines and a clock tests step.
type fixture struct {
	runner *actions.Runner
	now    time.Time
	engine string // the Engine field bound Actions get
}

func newFixture(t *testing.T, node bool) *fixture { return newTB(t, node) }

func newBenchFixture(b *testing.B) *fixture { return newTB(b, false) }

func newTB(t testing.TB, node bool) *fixture {
	t.Helper()
	opts := sandbox.Options{Timeout: 10 * time.Second}
	embedded, err := jsvm.NewInProcess(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { embedded.Close() })
	hr := &hooks.Runner{Engine: embedded}
	f := &fixture{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if node {
		if testing.Short() {
			t.Skip("-short: the real Node.js runtime runs in make test")
		}
		n, err := noderun.New(noderun.Options{Options: opts})
		if err != nil {
			t.Skipf("Node.js unavailable: %v", err)
		}
		t.Cleanup(func() { n.Close() })
		hr.Node = n
		f.engine = storage.RuntimeNode
	}
	f.runner = actions.NewRunner(hr, func() time.Time { return f.now })
	return f
}

var versionSeq int

func (f *fixture) bound(name, code string, secrets ...storage.ActionSecret) storage.BoundAction {
	versionSeq++
	id := name + "-" + string(rune('a'+versionSeq%26))
	return storage.BoundAction{
		Binding:    storage.ActionBinding{Tenant: "t", ID: "b-" + id, ActionID: "act-" + id, DisplayName: name},
		ActionName: name,
		Version:    storage.ActionVersion{Tenant: "t", ID: "ver-" + id, ActionID: "act-" + id, Code: code, Engine: f.engine, Secrets: secrets},
	}
}

func ccInput() *actions.Input {
	return &actions.Input{
		Tenant: "t", RequestID: "r1",
		Client:    actions.Client{ClientID: "cid", Name: "M2M", Metadata: map[string]string{"tier": "gold"}},
		Audience:  "https://api.example.com/",
		Requested: []string{"read:a"},
		Allowed:   []string{"read:a", "write:a", "admin"},
		Request: actions.Request{IP: "10.0.0.1", Method: "POST", Host: "auth.example.com:8443", UserAgent: "ua/1",
			Language: "fr-CA,fr;q=0.9", Params: map[string]string{"grant_type": "client_credentials", "client_secret": "s3cret", "scope": "read:a"}},
	}
}

func plInput() *actions.Input {
	in := ccInput()
	in.Request.Params = map[string]string{"grant_type": "password", "username": "ann", "password": "pw"}
	in.Requested = []string{"openid", "read:a"}
	in.User = &storage.User{Tenant: "t", UserID: "auth0|u1", Email: "ann@example.com", EmailVerified: true, Name: "Ann",
		Nickname: "ann", Username: "ann", AppMetadata: map[string]any{"plan": "pro"}, UserMetadata: map[string]any{"color": "red"},
		LoginsCount: 2, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}
	return in
}

func claim(t *testing.T, c map[string]json.RawMessage, name string) any {
	t.Helper()
	raw, ok := c[name]
	if !ok {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func engines(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("embedded", func(t *testing.T) { fn(t, newFixture(t, false)) })
	t.Run("node", func(t *testing.T) { fn(t, newFixture(t, true)) })
}

func TestCredentialsExchangeEventAndClaims(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		code := `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('event', event).setCustomClaim('plain', 1);
  api.accessToken.setCustomClaim('sub', 'evil').setCustomClaim('https://auth0.com/x', 1).setCustomClaim('gty', 'x');
  api.accessToken.setCustomClaim('env', process.env.KEY);
};`
		res := f.runner.Run(context.Background(), actions.CredentialsExchange,
			[]storage.BoundAction{f.bound("a", code, storage.ActionSecret{Name: "KEY", Value: "v1"})}, ccInput(),
			hooks.Changes{Access: hooks.TokenChanges{Scope: []string{"read:a"}, ScopeSet: true,
				Claims: map[string]json.RawMessage{"https://h/x": json.RawMessage(`"hook"`)}}}, []string{"read:a"})
		if res.Err != nil {
			t.Fatalf("err %+v", res.Err)
		}
		c := res.Changes.Access.Claims
		if claim(t, c, "plain") != 1.0 || claim(t, c, "env") != "v1" || claim(t, c, "https://h/x") != "hook" {
			t.Fatalf("claims %s", c)
		}
		for _, n := range []string{"sub", "https://auth0.com/x", "gty"} {
			if _, ok := c[n]; ok {
				t.Fatalf("restricted claim %s kept", n)
			}
		}
		ev := claim(t, c, "event").(map[string]any)
		want := map[string]any{
			"client":          map[string]any{"client_id": "cid", "name": "M2M", "metadata": map[string]any{"tier": "gold"}},
			"resource_server": map[string]any{"identifier": "https://api.example.com/"},
			"tenant":          map[string]any{"id": "t"},
			"transaction":     map[string]any{"requested_scopes": []any{"read:a"}},
			"accessToken":     map[string]any{"scope": []any{"read:a"}, "customClaims": map[string]any{"https://h/x": "hook"}},
			"secrets":         map[string]any{"KEY": "v1"},
		}
		for k, v := range want {
			if got, _ := json.Marshal(ev[k]); string(got) != mustJSON(v) {
				t.Errorf("event.%s = %s, want %s", k, got, mustJSON(v))
			}
		}
		req := ev["request"].(map[string]any)
		if req["ip"] != "10.0.0.1" || req["method"] != "POST" || req["hostname"] != "auth.example.com" || req["user_agent"] != "ua/1" || req["language"] != "fr-CA" {
			t.Errorf("event.request %v", req)
		}
		if body := req["body"].(map[string]any); body["client_secret"] != nil || body["grant_type"] != "client_credentials" {
			t.Errorf("event.request.body %v", body)
		}
		if len(res.Results) != 1 || res.Results[0].Error != nil || res.Results[0].ActionName != "a" {
			t.Errorf("results %+v", res.Results)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCredentialsExchangeDeny(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			code   string
			status int
		}{{"invalid_scope", 400}, {"invalid_request", 400}, {"server_error", 500}} {
			code := `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('` + tc.code + `', 'no ' + event.client.name); };`
			second := f.bound("second", `exports.onExecuteCredentialsExchange = async () => { throw new Error('must not run'); };`)
			res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("d", code), second}, ccInput(), hooks.Changes{}, nil)
			if res.Err == nil || res.Err.Code != tc.code || res.Err.Status != tc.status || res.Err.Description != "no M2M" {
				t.Fatalf("%s: %+v", tc.code, res.Err)
			}
			if len(res.Results) != 1 {
				t.Fatalf("the Action after a deny ran: %+v", res.Results)
			}
		}
		// An unknown code is the code's mistake: a server_error naming it.
		res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{
			f.bound("d", `exports.onExecuteCredentialsExchange = async (e, api) => { api.access.deny('nope', 'x'); };`)}, ccInput(), hooks.Changes{}, nil)
		if res.Err == nil || res.Err.Status != 500 || !strings.Contains(res.Err.Description, "invalid_scope") || res.Results[0].Error == nil {
			t.Fatalf("unknown code: %+v", res.Err)
		}
		// A thrown error is a server_error with its message.
		res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{
			f.bound("t", `exports.onExecuteCredentialsExchange = async () => { throw new Error('boom'); };`)}, ccInput(), hooks.Changes{}, nil)
		if res.Err == nil || res.Err.Code != "server_error" || res.Err.Description != "boom" || res.Results[0].Error.Msg != "boom" {
			t.Fatalf("throw: %+v", res.Err)
		}
		// No export: a clear error.
		res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{
			f.bound("n", `exports.onExecutePostLogin = async () => {};`)}, ccInput(), hooks.Changes{}, nil)
		if res.Err == nil || !strings.Contains(res.Err.Description, "onExecuteCredentialsExchange") {
			t.Fatalf("no export: %+v", res.Err)
		}
	})
}

func TestTargetScopesInOrder(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		first := f.bound("first", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.transaction.addTargetScope('write:a').addTargetScope('not:granted');
  api.accessToken.setCustomClaim('x', 'first');
};`)
		second := f.bound("second", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('seen', event.accessToken.scope);
  api.transaction.removeTargetScope('read:a');
  api.accessToken.setCustomClaim('x', 'second');
};`)
		res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{first, second}, ccInput(), hooks.Changes{}, []string{"read:a"})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if got := mustJSON(claim(t, res.Changes.Access.Claims, "seen")); got != `["read:a","write:a"]` {
			t.Errorf("second saw %s", got)
		}
		if claim(t, res.Changes.Access.Claims, "x") != "second" {
			t.Errorf("last setCustomClaim does not win")
		}
		if !res.Changes.Access.ScopeSet || !slices.Equal(res.Changes.Access.Scope, []string{"write:a"}) {
			t.Errorf("scope %v", res.Changes.Access.Scope)
		}
		res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("set", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.transaction.setTargetScopes(['admin', 'read:a', 'bogus']);
};`)}, ccInput(), hooks.Changes{}, []string{"read:a"})
		if res.Err != nil || !slices.Equal(res.Changes.Access.Scope, []string{"admin", "read:a"}) {
			t.Errorf("setTargetScopes: %v %v", res.Err, res.Changes.Access.Scope)
		}
		res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("clear", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.transaction.clearTargetScopes();
};`)}, ccInput(), hooks.Changes{}, []string{"read:a"})
		if res.Err != nil || !res.Changes.Access.ScopeSet || len(res.Changes.Access.Scope) != 0 {
			t.Errorf("clearTargetScopes: %v %v", res.Err, res.Changes.Access)
		}
		res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("bad", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.transaction.addTargetScope('two words');
};`)}, ccInput(), hooks.Changes{}, []string{"read:a"})
		if res.Err == nil || !strings.Contains(res.Err.Description, "invalid scope") {
			t.Errorf("invalid scope: %+v", res.Err)
		}
	})
}

func TestCache(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		run := func(code string) map[string]json.RawMessage {
			t.Helper()
			res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{
				f.bound("c", "exports.onExecuteCredentialsExchange = async (event, api) => {\n"+code+"\n};")}, ccInput(), hooks.Changes{}, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			return res.Changes.Access.Claims
		}
		c := run(`api.accessToken.setCustomClaim('miss', api.cache.get('k') === undefined);
api.accessToken.setCustomClaim('set', api.cache.set('k', 'v1'));
api.accessToken.setCustomClaim('short', api.cache.set('s', 'v2', {ttl: 1000}));
api.accessToken.setCustomClaim('get', api.cache.get('k'));`)
		now := f.now.UnixMilli()
		if claim(t, c, "miss") != true || mustJSON(claim(t, c, "set")) != mustJSON(map[string]any{"type": "success", "record": map[string]any{"value": "v1", "expires_at": now + 15*60*1000}}) ||
			mustJSON(claim(t, c, "get")) != mustJSON(map[string]any{"value": "v1", "expires_at": now + 15*60*1000}) {
			t.Fatalf("first run: %s", c)
		}
		// The next execution finds both; after a second only the long one.
		c = run(`api.accessToken.setCustomClaim('k', api.cache.get('k')); api.accessToken.setCustomClaim('s', api.cache.get('s'));`)
		if claim(t, c, "k") == nil || claim(t, c, "s") == nil {
			t.Fatalf("second run: %s", c)
		}
		f.now = f.now.Add(1001 * time.Millisecond)
		c = run(`api.accessToken.setCustomClaim('k', api.cache.get('k') ? 'y' : 'n'); api.accessToken.setCustomClaim('s', api.cache.get('s') ? 'y' : 'n');
api.accessToken.setCustomClaim('del', api.cache.delete('k')); api.accessToken.setCustomClaim('del2', api.cache.delete('k'));`)
		if claim(t, c, "k") != "y" || claim(t, c, "s") != "n" || claim(t, c, "del").(map[string]any)["type"] != "success" ||
			mustJSON(claim(t, c, "del2")) != `{"code":"CacheKeyDoesNotExist","type":"error"}` {
			t.Fatalf("after a second: %s", c)
		}
		c = run(`api.accessToken.setCustomClaim('gone', api.cache.get('k') === undefined);`)
		if claim(t, c, "gone") != true {
			t.Fatal("delete not applied")
		}
		// Limits and their codes.
		c = run(`const r = {};
r.key = api.cache.set('x'.repeat(65), 'v').code;
r.value = api.cache.set('v', 'x'.repeat(4097)).code;
r.past = api.cache.set('p', 'v', {expires_at: Date.now() - 1e12}).code;
r.ttl = api.cache.set('t', 'v', {ttl: 25 * 3600 * 1000}).code;
r.neg = api.cache.set('t', 'v', {ttl: -5}).code;
for (let i = 0; i < 4; i++) r['big' + i] = api.cache.set('big' + i, 'x'.repeat(3000)).type;
api.accessToken.setCustomClaim('r', r);`)
		want := `{"big0":"success","big1":"success","big2":"error","big3":"error","key":"CacheKeySizeExceeded","neg":"InvalidExpiry","past":"ItemAlreadyExpired","ttl":"InvalidExpiry","value":"CacheValueSizeExceeded"}`
		if got := mustJSON(claim(t, c, "r")); got != want {
			t.Fatalf("limits: %s\nwant %s", got, want)
		}
		c = run(`const codes = [];
for (let i = 0; i < 30; i++) { const r = api.cache.set('n' + i, 'v'); if (r.type === 'error') codes.push(r.code); }
api.accessToken.setCustomClaim('codes', codes);`)
		codes := claim(t, c, "codes").([]any)
		if len(codes) == 0 || !slices.Contains(codes, any("CacheSizeExceeded")) || !slices.Contains(codes, any("MaxSideEffectsExceeded")) {
			t.Fatalf("entry limit: %v", codes)
		}
	})
}

func TestPostLogin(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		first := f.bound("first", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('event', event).addScope('extra').removeScope('read:a');
  api.idToken.setCustomClaim('https://x/plan', event.user.app_metadata.plan);
  api.user.setAppMetadata('plan', 'enterprise').setUserMetadata('color', undefined).setUserMetadata('lang', 'fr');
  api.transaction.setMetadata('k', 'v');
  api.session.setExpiresAt(1).setMetadata('a', 'b');
  api.refreshToken.setExpiresAt(1);
  api.samlResponse.setAttribute('a', 'b');
  api.authentication.recordMethod('https://x');
  api.accessToken.setCustomClaim('was', api.rules.wasExecuted('r1'));
  for (const m of ['redirect.sendUserTo', 'multifactor.enable', 'prompt.render', 'authentication.challengeWith']) {
    const [o, f] = m.split('.');
    try { api[o][f]('x'); } catch (e) { api.accessToken.setCustomClaim(m, e.message); }
  }
};`)
		second := f.bound("second", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('seen', {app: event.user.app_metadata, user: event.user.user_metadata, tx: event.transaction.metadata});
};`)
		res := f.runner.Run(context.Background(), actions.PostLogin, []storage.BoundAction{first, second}, plInput(), hooks.Changes{}, []string{"openid", "read:a"})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		c := res.Changes.Access.Claims
		ev := claim(t, c, "event").(map[string]any)
		u := ev["user"].(map[string]any)
		if u["user_id"] != "auth0|u1" || u["email"] != "ann@example.com" || u["logins_count"] != 3.0 || u["created_at"] != "2025-01-01T00:00:00.000Z" ||
			mustJSON(u["identities"]) != `[{"connection":"Username-Password-Authentication","isSocial":false,"provider":"auth0","user_id":"u1"}]` {
			t.Errorf("event.user %v", u)
		}
		if tx := ev["transaction"].(map[string]any); tx["protocol"] != "oauth2-password" || mustJSON(tx["requested_scopes"]) != `["openid","read:a"]` {
			t.Errorf("event.transaction %v", tx)
		}
		if cn := ev["connection"].(map[string]any); cn["strategy"] != "auth0" || cn["name"] != "Username-Password-Authentication" || !strings.HasPrefix(cn["id"].(string), "con_") {
			t.Errorf("event.connection %v", cn)
		}
		if mustJSON(ev["authorization"]) != `{"roles":[]}` || mustJSON(ev["stats"]) != `{"logins_count":3}` {
			t.Errorf("authorization/stats %v %v", ev["authorization"], ev["stats"])
		}
		if body := ev["request"].(map[string]any)["body"].(map[string]any); body["password"] != nil || body["username"] != "ann" {
			t.Errorf("body %v", body)
		}
		if !slices.Equal(res.Changes.Access.Scope, []string{"openid", "extra"}) {
			t.Errorf("scope %v", res.Changes.Access.Scope)
		}
		if claim(t, res.Changes.ID.Claims, "https://x/plan") != "pro" {
			t.Errorf("id claims %s", res.Changes.ID.Claims)
		}
		if mustJSON(claim(t, c, "seen")) != `{"app":{"plan":"enterprise"},"tx":{"k":"v"},"user":{"lang":"fr"}}` {
			t.Errorf("second saw %s", mustJSON(claim(t, c, "seen")))
		}
		if mustJSON(res.AppMetadata) != `{"plan":"enterprise"}` || mustJSON(res.UserMetadata) != `{"color":null,"lang":"fr"}` {
			t.Errorf("metadata %v %v", res.AppMetadata, res.UserMetadata)
		}
		if claim(t, c, "was") != false {
			t.Error("rules.wasExecuted")
		}
		for _, m := range []string{"redirect.sendUserTo", "multifactor.enable", "prompt.render", "authentication.challengeWith"} {
			if s, _ := claim(t, c, m).(string); !strings.Contains(s, "not available") {
				t.Errorf("%s: %q", m, s)
			}
		}
	})
}

func TestPostLoginDeny(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		for _, tc := range []struct{ code, status, err, desc string }{
			{`api.access.deny('Not on weekends')`, "403", "access_denied", "Not on weekends"},
			{`throw new Error('bad')`, "403", "access_denied", "bad"},
			{`api.session.revoke('gone')`, "403", "access_denied", "gone"},
			{`api.validation.error('invalid_email', 'Use work email')`, "403", "invalid_email", "Use work email"},
			// A TypeError reads as on Auth0's Node, on either runtime.
			{`const ids = event.user.app_metadata.organizations.map((o) => o.id)`, "403", "access_denied", "Cannot read properties of undefined (reading 'map')"},
		} {
			res := f.runner.Run(context.Background(), actions.PostLogin, []storage.BoundAction{
				f.bound("d", "exports.onExecutePostLogin = async (event, api) => { "+tc.code+"; };")}, plInput(), hooks.Changes{}, nil)
			if res.Err == nil || res.Err.Code != tc.err || res.Err.Description != tc.desc || res.Err.Status != http.StatusForbidden {
				t.Errorf("%s: %+v", tc.code, res.Err)
			}
		}
	})
}

func TestTimeoutAndLineNumbers(t *testing.T) {
	f := newFixture(t, false)
	f.runner.Timeout = 300 * time.Millisecond
	res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{
		f.bound("loop", `exports.onExecuteCredentialsExchange = async () => { for (;;) {} };`)}, ccInput(), hooks.Changes{}, nil)
	if res.Err == nil || res.Err.Status != 500 || !strings.Contains(res.Err.Description, "execution time") {
		t.Fatalf("timeout: %+v", res.Err)
	}
	res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{
		f.bound("line", "\n\nexports.onExecuteCredentialsExchange = async () => {\n  null.x;\n};")}, ccInput(), hooks.Changes{}, nil)
	if res.Err == nil || res.Err.Code != "server_error" {
		t.Fatalf("TypeError: %+v", res.Err)
	}
}

func TestTestAction(t *testing.T) {
	f := newFixture(t, false)
	a := storage.Action{Tenant: "t", ID: "a1", Name: "draft", Code: `exports.onExecutePostLogin = async (event, api) => {
  console.log('hello', event.user.email);
  api.idToken.setCustomClaim('https://x/s', event.secrets.S);
  api.user.setAppMetadata('seen', true);
};`, Secrets: []storage.ActionSecret{{Name: "S", Value: "sv"}}}
	out, err := f.runner.TestAction(context.Background(), a, actions.PostLogin, nil)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Result struct {
			IDToken struct {
				CustomClaims map[string]any `json:"customClaims"`
			} `json:"idToken"`
			User struct {
				AppMetadata map[string]any `json:"app_metadata"`
			} `json:"user"`
		} `json:"result"`
		Error any    `json:"error"`
		Logs  string `json:"logs"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	if p.Error != nil || p.Result.IDToken.CustomClaims["https://x/s"] != "sv" || p.Result.User.AppMetadata["seen"] != true ||
		!strings.Contains(p.Logs, "hello user1@example.com") {
		t.Fatalf("payload %s", out)
	}
	a.Code = `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_request', 'nope'); };`
	out, err = f.runner.TestAction(context.Background(), a, actions.CredentialsExchange, json.RawMessage(`{"client":{"name":"x"}}`))
	if err != nil || !strings.Contains(string(out), `"error":{"id":"invalid_request","msg":"nope","status":400}`) {
		t.Fatalf("deny: %s %v", out, err)
	}
	if _, err := f.runner.TestAction(context.Background(), a, actions.CredentialsExchange, json.RawMessage(`[1]`)); err == nil {
		t.Fatal("an array event was accepted")
	}
	for _, tr := range actions.Triggers() {
		if !json.Valid(actions.DefaultEvent(tr.ID)) {
			t.Fatalf("default event of %s", tr.ID)
		}
	}
}

// TestModuleShapes: module.exports = {...} works like exports.x = ...;
// a method called detached from api fails with a message that says so.
func TestModuleShapes(t *testing.T) {
	f := newFixture(t, false)
	res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("obj", `module.exports = {
  onExecuteCredentialsExchange: async (event, api) => { api.accessToken.setCustomClaim('k', 'accessToken' in api && typeof api.cache.get === 'function'); },
};`)}, ccInput(), hooks.Changes{}, nil)
	if res.Err != nil || claim(t, res.Changes.Access.Claims, "k") != true {
		t.Fatalf("module.exports object: %+v %s", res.Err, res.Changes.Access.Claims)
	}
	res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("detached", `exports.onExecuteCredentialsExchange = async (event, api) => {
  const { setCustomClaim } = api.accessToken;
  setCustomClaim('k', 1);
};`)}, ccInput(), hooks.Changes{}, nil)
	if res.Err == nil || !strings.Contains(res.Err.Description, "must be called on its api object") {
		t.Fatalf("detached: %+v", res.Err)
	}
	// Sync handlers and a handler that never touches api work too.
	res = f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("sync", `exports.onExecuteCredentialsExchange = function (event, api) {}`)},
		ccInput(), hooks.Changes{Access: hooks.TokenChanges{Scope: []string{"x"}, ScopeSet: true}}, nil)
	if res.Err != nil || !slices.Equal(res.Changes.Access.Scope, []string{"x"}) {
		t.Fatalf("sync: %+v %v", res.Err, res.Changes.Access)
	}
}

// TestWarm: a bound Node Action can be started ahead of its first token
// and then runs as usual; on the embedded engine Warm has nothing to do.
func TestWarm(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ba := f.bound("warm", `let loads = (globalThis.__loads || 0) + 1; globalThis.__loads = loads;
exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('loads', loads); };`)
		if err := f.runner.Warm(context.Background(), ba); err != nil {
			t.Fatal(err)
		}
		res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{ba}, ccInput(), hooks.Changes{}, nil)
		if res.Err != nil || claim(t, res.Changes.Access.Claims, "loads") != 1.0 {
			t.Fatalf("after warm: %+v %s", res.Err, res.Changes.Access.Claims)
		}
	})
}

// A deny reason (or validation.error code) is the Action author's text:
// it reaches the OAuth error capped like a hook's error message, and a
// huge one is still the deny it asked for, not an engine failure.
func TestDenyReasonCapped(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			trigger string
			code    string
			in      *actions.Input
			err     string
		}{
			{actions.CredentialsExchange, `exports.onExecuteCredentialsExchange = async (e, api) => { api.access.deny('invalid_request', 'R'.repeat(200 * 1024)); };`, ccInput(), "invalid_request"},
			{actions.CredentialsExchange, `exports.onExecuteCredentialsExchange = async (e, api) => { api.access.deny('invalid_scope', 'é'.repeat(10 * 1024 * 1024)); };`, ccInput(), "invalid_scope"},
			{actions.PostLogin, `exports.onExecutePostLogin = async (e, api) => { api.access.deny('R'.repeat(20 * 1024 * 1024)); };`, plInput(), "access_denied"},
			{actions.PostLogin, `exports.onExecutePostLogin = async (e, api) => { api.validation.error('c'.repeat(1e6), 'R'.repeat(1e6)); };`, plInput(), ""},
		} {
			res := f.runner.Run(context.Background(), tc.trigger, []storage.BoundAction{f.bound("d", tc.code)}, tc.in, hooks.Changes{}, nil)
			if res.Err == nil || (tc.err != "" && res.Err.Code != tc.err) {
				t.Fatalf("%.80s: %+v", tc.code, res.Err)
			}
			if len(res.Err.Description) > len(sandbox.CapMessage(strings.Repeat("x", 1e4))) || len(res.Err.Code) > len(sandbox.CapMessage(strings.Repeat("x", 1e4))) || !utf8.ValidString(res.Err.Description) {
				t.Fatalf("%.80s: uncapped: code %d bytes, description %d bytes", tc.code, len(res.Err.Code), len(res.Err.Description))
			}
		}
	})
}

// Claims namespaced under Auth0's own hosts are dropped whatever the
// spelling: subdomains, upper case and ports included, as for hooks.
func TestReservedNamespacesDropped(t *testing.T) {
	f := newFixture(t, false)
	names := []string{"https://auth0.com/x", "https://www.auth0.com/x", "https://tenant.us.auth0.com/x", "HTTPS://AUTH0.COM/x",
		"https://auth0.com:443/x", "https://auth0.com", "https://auth0.com?q", "http://foo.webtask.io/x", "https://x.webtask.run/y",
		"urn:auth0:plan", "URN:Auth0:x", "urn:auth0"}
	kept := []string{"https://example.com/ok", "plain", "https://notauth0.com/x", "https://auth0.com.example.org/x", "urn:example:plan", "urn:auth0x:y"}
	code := `exports.onExecuteCredentialsExchange = async (e, api) => { for (const n of ` + mustJSON(append(slices.Clone(names), kept...)) + `) api.accessToken.setCustomClaim(n, 1); };`
	res := f.runner.Run(context.Background(), actions.CredentialsExchange, []storage.BoundAction{f.bound("ns", code)}, ccInput(), hooks.Changes{}, nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, n := range names {
		if _, ok := res.Changes.Access.Claims[n]; ok {
			t.Errorf("claim %q under a reserved namespace was kept", n)
		}
	}
	for _, n := range kept {
		if _, ok := res.Changes.Access.Claims[n]; !ok {
			t.Errorf("claim %q was dropped", n)
		}
	}
}

// TestRealWorldIdioms runs what published Actions do (Auth0's own
// marketplace templates and docs samples among them) and must see what
// Auth0 gives them: each case's code sets the claim "r", compared as JSON
// ("absent" when the claim must not be there).
func TestRealWorldIdioms(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			name, trigger, code, want string
		}{
			// A query-string switch reads event.request.query[key] unguarded.
			{"request.query", actions.PostLogin, `api.accessToken.setCustomClaim('r', event.request.query[event.secrets.KEY || 'mode'] === undefined);`, `true`},
			// Step-up templates call .includes on acr_values without a guard.
			{"transaction.acr_values", actions.PostLogin, `api.accessToken.setCustomClaim('r', event.transaction?.acr_values.includes('http://schemas.openid.net/pape/policies/2007/06/multi-factor'));`, `false`},
			{"transaction.ui_locales", actions.PostLogin, `api.accessToken.setCustomClaim('r', event.transaction.ui_locales.length);`, `0`},
			// MFA-selection samples map the enrolled factors.
			{"user.enrolledFactors", actions.PostLogin, `api.accessToken.setCustomClaim('r', event.user.enrolledFactors.map((f) => f.type).concat(event.user.multifactor));`, `[]`},
			// A claim from a field the request lacks (geoip here) is no claim, not null.
			{"undefined claim value", actions.PostLogin, `api.accessToken.setCustomClaim('r', event.request.geoip.countryName);`, `absent`},
			{"undefined claim value at credentials-exchange", actions.CredentialsExchange, `api.accessToken.setCustomClaim('r', 1).setCustomClaim('r', event.client.metadata.missing);`, `absent`},
			{"null claim value", actions.CredentialsExchange, `api.accessToken.setCustomClaim('r', null);`, `null`},
			// Feature detection and debugging look at api as a plain object.
			{"Object.keys(api) at post-login", actions.PostLogin, `api.accessToken.setCustomClaim('r', [
  ['access', 'accessToken', 'idToken', 'user', 'multifactor', 'redirect'].every((k) => Object.keys(api).includes(k)),
  Object.keys(api.accessToken).sort(), Object.prototype.hasOwnProperty.call(api, 'idToken'),
  typeof api.idToken.setCustomClaim, JSON.stringify(api).includes('"accessToken":{}')]);`, `[true,["addScope","removeScope","setCustomClaim"],true,"function",true]`},
			{"Object.keys(api) at credentials-exchange", actions.CredentialsExchange, `api.accessToken.setCustomClaim('r', [Object.keys(api).sort(), Object.keys(api.transaction).length, Object.keys(api.access)]);`,
				`[["access","accessToken","cache","transaction"],4,["deny"]]`},
			// Skipping MFA for a trusted application: provider 'none' turns it off.
			{"multifactor.enable('none')", actions.PostLogin, `if (event.client.name === 'M2M') api.multifactor.enable('none'); api.accessToken.setCustomClaim('r', 'ok');`, `"ok"`},
			{"setCookieMode and setEncryptionAlgorithm", actions.PostLogin, `api.session.setCookieMode('persistent'); api.samlResponse.setEncryptionAlgorithm('aes256-gcm'); api.accessToken.setCustomClaim('r', 'ok');`, `"ok"`},
			// Transaction metadata is live in the same execution's event.
			{"transaction.setMetadata in real time", actions.PostLogin, `api.transaction.setMetadata('a', 1).setMetadata('b', 2).setMetadata('b', null);
api.accessToken.setCustomClaim('r', event.transaction.metadata);`, `{"a":1}`},
			// Given both, the earlier of ttl and expires_at.
			{"cache ttl and expires_at", actions.CredentialsExchange, fmt.Sprintf(`const now = %d;
const a = api.cache.set('a', 'x', {ttl: 1000, expires_at: now + 60000}).record.expires_at - now;
const b = api.cache.set('b', 'x', {ttl: 60000, expires_at: now + 2000}).record.expires_at - now;
api.accessToken.setCustomClaim('r', [a, b]);`, f.now.UnixMilli()), `[1000,2000]`},
			{"destructured namespace", actions.PostLogin, `const { accessToken, idToken } = api; idToken.setCustomClaim('x', 1); accessToken.setCustomClaim('r', 'ok').access.deny; `, `"ok"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				export, in := "onExecutePostLogin", plInput()
				if tc.trigger == actions.CredentialsExchange {
					export, in = "onExecuteCredentialsExchange", ccInput()
				}
				code := "exports." + export + " = async (event, api) => {\n" + tc.code + "\n};"
				res := f.runner.Run(context.Background(), tc.trigger, []storage.BoundAction{f.bound("idiom", code)}, in, hooks.Changes{}, nil)
				if res.Err != nil {
					t.Fatalf("%+v", res.Err)
				}
				got := "absent"
				if raw, ok := res.Changes.Access.Claims["r"]; ok {
					got = string(raw)
				}
				if got != tc.want {
					t.Fatalf("r = %s, want %s", got, tc.want)
				}
			})
		}
	})
}

// TestRestrictedClaimsDropped: every name of Auth0's documented list of
// restricted claims is dropped silently from both tokens (a login that
// sets groups still succeeds, without the claim).
func TestRestrictedClaimsDropped(t *testing.T) {
	f := newFixture(t, false)
	names := []string{"acr", "act", "active", "amr", "at_hash", "ath", "attest", "aud", "auth_time", "authorization_details",
		"azp", "c_hash", "client_id", "cnf", "cty", "dest", "entitlements", "events", "exp", "groups", "gty", "htm", "htu",
		"iat", "internalService", "iss", "jcard", "jku", "jti", "jwe", "jwk", "kid", "may_act", "mky", "nbf", "nonce",
		"object_id", "org_id", "org_name", "orig", "origid", "permissions", "roles", "rph", "s_hash", "sid", "sip_callid",
		"sip_cseq_num", "sip_date", "sip_from_tag", "sip_via_branch", "sub", "sub_jwk", "toe", "txn", "typ", "uuid", "vot",
		"vtm", "x5t#S256"}
	code := `exports.onExecutePostLogin = async (e, api) => { for (const n of ` + mustJSON(names) + `) { api.accessToken.setCustomClaim(n, 1); api.idToken.setCustomClaim(n, 1); }
  api.idToken.setCustomClaim('https://example.com/groups', ['a']); };`
	res := f.runner.Run(context.Background(), actions.PostLogin, []storage.BoundAction{f.bound("restricted", code)}, plInput(), hooks.Changes{}, nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, n := range names {
		if _, ok := res.Changes.Access.Claims[n]; ok {
			t.Errorf("access token kept restricted claim %q", n)
		}
		if _, ok := res.Changes.ID.Claims[n]; ok {
			t.Errorf("ID token kept restricted claim %q", n)
		}
	}
	if _, ok := res.Changes.ID.Claims["https://example.com/groups"]; !ok {
		t.Error("the namespaced groups claim was dropped")
	}
}
