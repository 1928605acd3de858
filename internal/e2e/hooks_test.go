package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookApp is an API, an application allowed read:orders on it, and the
// means to get its tokens.
type hookApp struct {
	in               *instance
	id, secret, aud  string
	otherID, otherSc string // a second application on the same API
}

func newHookApp(t *testing.T, in *instance) *hookApp {
	t.Helper()
	aud := "https://orders.example/"
	id, secret := in.m2m(aud, []string{"read:orders", "write:orders"}, []string{"read:orders"}, map[string]string{"plan": "gold", "mode": "normal"})
	r := in.api("POST", "clients", map[string]any{"name": "other app", "app_type": "non_interactive", "grant_types": []string{"client_credentials"},
		"client_metadata": map[string]string{"mode": "fast"}})
	if r.status != 201 {
		t.Fatalf("create client: %d %s", r.status, r.body)
	}
	c := r.json(t)
	oid, osec := c["client_id"].(string), c["client_secret"].(string)
	if r := in.api("POST", "client-grants", map[string]any{"client_id": oid, "audience": aud, "scope": []string{"read:orders"}}); r.status != 201 {
		t.Fatalf("create grant: %d %s", r.status, r.body)
	}
	return &hookApp{in: in, id: id, secret: secret, aud: aud, otherID: oid, otherSc: osec}
}

func (a *hookApp) token() response { return a.tokenFor(a.id, a.secret) }

func (a *hookApp) tokenFor(id, secret string) response {
	return a.in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {a.aud}})
}

// hookAdmin calls /api/v2 with one Management API token, so tests do not
// pay a token request per call.
type hookAdmin struct {
	in    *instance
	token string
}

func newHookAdmin(in *instance) *hookAdmin { return &hookAdmin{in: in, token: in.adminToken()} }

func (h *hookAdmin) api(method, path string, body any) response {
	h.in.t.Helper()
	return h.in.apiWith(h.token, method, path, body)
}

// createHook saves a hook through /api/v2/hooks and returns its id.
func (h *hookAdmin) createHook(t *testing.T, name, trigger, script string, enabled bool) string {
	t.Helper()
	r := h.api("POST", "hooks", map[string]any{"name": name, "script": script, "triggerId": trigger, "enabled": enabled})
	if r.status != 201 {
		t.Fatalf("create hook %q: %d %s", name, r.status, r.body)
	}
	return r.json(t)["id"].(string)
}

func (h *hookAdmin) patchHook(t *testing.T, id string, body map[string]any) map[string]any {
	t.Helper()
	r := h.api("PATCH", "hooks/"+id, body)
	if r.status != 200 {
		t.Fatalf("patch hook: %d %s", r.status, r.body)
	}
	return r.json(t)
}

// oauthError checks an /oauth/token error answer.
func oauthError(t *testing.T, r response, status int, code, desc string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %s", r.body)
	}
	if body["error"] != code || (desc != "" && body["error_description"] != desc) {
		t.Fatalf("body %s, want %s %q", r.body, code, desc)
	}
}

// TestHooksIssueTokens installs scripts through /api/v2/hooks and checks
// the tokens /oauth/token issues: the seeds' examples and every row of
// compat-spec §3.2 and §3.5.
func TestHooksIssueTokens(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	id := admin.createHook(t, "under-test", "credentials-exchange", "module.exports = (c, s, a, ctx, cb) => cb(null, {scope: s});", true)
	if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API_KEY": "s3cr3t"}); r.status != 201 {
		t.Fatalf("secrets: %d %s", r.status, r.body)
	}

	type want struct {
		scope  string         // checked when status is 200
		claims map[string]any // exact custom claims (names with "://")
		status int
		code   string
		desc   string
	}
	ok := func(scope string, claims map[string]any) want { return want{scope: scope, claims: claims, status: 200} }
	fail := func(status int, code, desc string) want { return want{status: status, code: code, desc: desc} }
	cases := []struct {
		name, script string
		want         want
	}{
		{"seed: add a scope", `module.exports = function(client, scope, audience, context, cb) {
    // Scopes to be added
    var access_token = {};

    // Get the scope that's currently on the Access Token
    // and add it to the object we're working with
    // Do not remove this line!
    access_token.scope = scope;

    // Append the ` + "`read:resource`" + ` scope
    access_token.scope.push('read:resource');

    // Callback to indicate completion and to return new
    // array of scopes
    cb(null, access_token);
};`, ok("read:orders read:resource", nil)},
		{"seed: add a claim", `module.exports = function(client, scope, audience, context, cb) {
    // Claims to be added
    var access_token = {};

    // New claim to add to the token
    access_token['https://example.com/foo'] = 'bar';

    // Callback to indicate completion and to return new claim
    cb(null, access_token);
  };`, ok("", map[string]any{"https://example.com/foo": "bar"})}, // no scope line: scopes reset (compat-spec §3.2)
		{"seed: claim and extra scope", `module.exports = function(client, scope, audience, context, cb) {
    var access_token = {};
    access_token['https://foo.com/claim'] = 'bar';
    access_token.scope = scope;
    access_token.scope.push('extra');
    cb(null, access_token);
  };`, ok("read:orders extra", map[string]any{"https://foo.com/claim": "bar"})},
		{"seed: starter code", `/**
@param {object} client - information about the client
@param {function} cb - function (error, accessTokenClaims)
*/
module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope; // do not remove this line

  // Modify scopes or add extra claims
  // access_token['https://example.com/claim'] = 'bar';
  // access_token.scope.push('extra');

  cb(null, access_token);
};`, ok("read:orders", nil)},
		{"claim from client.metadata and arguments", `module.exports = function(client, scope, audience, context, cb) {
  cb(null, {scope: scope, 'https://example.com/plan': client.metadata.plan, 'https://example.com/who': client.name + '@' + client.tenant,
    'https://example.com/aud': audience, 'https://example.com/ip': typeof context.ip});
};`, ok("read:orders", map[string]any{"https://example.com/plan": "gold", "https://example.com/who": "app for https://orders.example/@default",
			"https://example.com/aud": "https://orders.example/", "https://example.com/ip": "string"})},
		{"secrets via context.webtask.secrets", `module.exports = function(client, scope, audience, context, cb) {
  cb(null, {'https://example.com/key': context.webtask.secrets.API_KEY});
};`, ok("", map[string]any{"https://example.com/key": "s3cr3t"})},
		{"scope replaced, new scopes allowed", `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: ['write:orders', 'anything']});`, ok("write:orders anything", nil)},
		{"scope wiped", `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: []});`, ok("", nil)},
		{"scope absent: no scope", `module.exports = (c, s, a, ctx, cb) => cb(null, {});`, ok("", nil)},
		{"scope undefined: no scope", `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: undefined, 'https://example.com/u': 1});`,
			ok("", map[string]any{"https://example.com/u": 1.0})},
		{"no response: no scope", `module.exports = (c, s, a, ctx, cb) => cb();`, ok("", nil)},
		{"scope as a string", `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: 'x  y'});`, ok("x y", nil)},
		{"scope of another type", `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: 42});`, fail(400, "invalid_scope", "Scope must be an array or a string")},
		{"scope array of numbers", `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: [1]});`, fail(400, "invalid_scope", "Scope must be an array or a string")},
		{"non-namespaced and reserved claims dropped", `module.exports = (c, s, a, ctx, cb) => cb(null, {
  iss: 'https://evil/', sub: 'x', aud: 'y', exp: 1, plain: 1, 'urn:x': 1,
  'https://auth0.com/x': 1, 'https://t.auth0.com/x': 1, 'https://webtask.io/x': 1, 'https://a.webtask.run/x': 1,
  'http://ok.example/keep': {nested: [1, 'two']}, scope: s});`, ok("read:orders", map[string]any{"http://ok.example/keep": map[string]any{"nested": []any{1.0, "two"}}})},
		{"InvalidScopeError", `module.exports = (c, s, a, ctx, cb) => cb(new InvalidScopeError('Not authorized for this scope.'));`,
			fail(400, "invalid_scope", "Not authorized for this scope.")},
		{"InvalidRequestError", `module.exports = (c, s, a, ctx, cb) => cb(new InvalidRequestError('Not a valid request.'));`,
			fail(400, "invalid_request", "Not a valid request.")},
		{"ServerError", `module.exports = (c, s, a, ctx, cb) => cb(new ServerError('A server error occurred.'));`,
			fail(500, "server_error", "A server error occurred.")},
		{"plain Error", `module.exports = function(client, scope, audience, context, cb) { cb(new Error("Unknown error occurred.")); };`,
			fail(500, "server_error", "Unknown error occurred.")},
		{"thrown", `module.exports = function() { throw new InvalidRequestError('thrown'); };`, fail(400, "invalid_request", "thrown")},
		{"thrown non-error value", `module.exports = function() { throw 'just a string'; };`, fail(500, "server_error", "just a string")},
		{"rejected promise", `module.exports = (c, s, a, ctx, cb) => Promise.reject(new InvalidScopeError('rejected'));`, fail(400, "invalid_scope", "rejected")},
		{"async function returning the response", `const NS = 'https://example.com/';
class Claims { constructor(p) { this[NS + 'plan'] = p; } }
module.exports = async function(client, scope) {
  await new Promise(r => setTimeout(r, 5));
  return Object.assign({scope: [...scope, 'async']}, new Claims(client.metadata?.plan));
};`, ok("read:orders async", map[string]any{"https://example.com/plan": "gold"})},
		{"async function throwing", `module.exports = async () => { throw new ServerError('async fail'); };`, fail(500, "server_error", "async fail")},
		{"first cb call wins", `module.exports = (c, s, a, ctx, cb) => { cb(null, {scope: s, 'https://example.com/n': 1}); cb(new Error('late')); cb(null, {'https://example.com/n': 2}); };`,
			ok("read:orders", map[string]any{"https://example.com/n": 1.0})},
		{"cb from a timer", `module.exports = (c, s, a, ctx, cb) => setTimeout(() => cb(null, {'https://example.com/t': true}), 10);`,
			ok("", map[string]any{"https://example.com/t": true})},
		{"module.exports not a function: run-time compile row", `module.exports = 42;`,
			fail(500, "server_error", "Unable to compile the extensibility code as javascript")},
		{"claims over 100 KB", `module.exports = (c, s, a, ctx, cb) => cb(null, {'https://example.com/big': 'x'.repeat(101 * 1000)});`,
			fail(500, "server_error", "")},
		{"claims just under 100 KB", `module.exports = (c, s, a, ctx, cb) => cb(null, {'https://example.com/big': 'x'.repeat(99 * 1000).length});`,
			ok("", map[string]any{"https://example.com/big": 99000.0})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			admin.patchHook(t, id, map[string]any{"script": c.script})
			r := app.token()
			if c.want.status != 200 {
				oauthError(t, r, c.want.status, c.want.code, c.want.desc)
				return
			}
			if r.status != 200 {
				t.Fatalf("token: %d %s", r.status, r.body)
			}
			body := r.json(t)
			tok := claims(t, body["access_token"].(string))
			// The response's scope may be omitted when empty (RFC 6749
			// §5.1); the token's claim is always there (compat-spec §2.2).
			if rs, _ := body["scope"].(string); tok["scope"] != c.want.scope || rs != c.want.scope {
				t.Fatalf("token scope %q, response scope %q, want %q", tok["scope"], body["scope"], c.want.scope)
			}
			got := map[string]any{}
			for k, v := range tok {
				if strings.Contains(k, "://") {
					got[k] = v
				}
			}
			if c.want.claims == nil {
				c.want.claims = map[string]any{}
			}
			if gb, _ := json.Marshal(got); string(gb) != string(mustJSON(c.want.claims)) {
				t.Fatalf("custom claims %s, want %s", gb, mustJSON(c.want.claims))
			}
			if tok["iss"] != in.base || tok["sub"] != app.id+"@clients" || tok["aud"] != app.aud {
				t.Fatalf("registered claims changed: %v", tok)
			}
		})
	}

	// Every run is in the token request's tenant log event.
	admin.patchHook(t, id, map[string]any{"script": `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: s});`})
	if r := app.token(); r.status != 200 {
		t.Fatalf("token: %d", r.status)
	}
	oauthError(t, func() response {
		admin.patchHook(t, id, map[string]any{"script": `module.exports = (c, s, a, ctx, cb) => cb(new InvalidScopeError('no'));`})
		return app.token()
	}(), 400, "invalid_scope", "no")
	var success, failure map[string]any
	waitFor(t, 10*time.Second, "log events with the hook run", func() bool {
		success, failure = nil, nil
		for _, ev := range admin.api("GET", "logs?q="+url.QueryEscape("client_id:"+app.id), nil).list(t) {
			if ev["hook"] != "under-test" {
				continue
			}
			if ev["type"] == "seccft" && success == nil {
				success = ev
			}
			// Earlier subtests' failures are in the log too; wait for this
			// one, flushed up to 200 ms after the request.
			if ev["type"] == "feccft" && failure == nil && hookOutcome(ev) == "invalid_scope" && ev["description"] == "no" {
				failure = ev
			}
		}
		return success != nil && failure != nil
	})
	run := success["details"].(map[string]any)["hook"].(map[string]any)
	if run["id"] != id || run["outcome"] != "success" || run["trigger"] != "credentials-exchange" || run["duration_ms"] == nil {
		t.Fatalf("seccft hook details %v", run)
	}
}

func hookOutcome(ev map[string]any) any {
	d, _ := ev["details"].(map[string]any)
	h, _ := d["hook"].(map[string]any)
	return h["outcome"]
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestHookLifecycle: save-time compile errors, one enabled hook per point,
// disabled hooks not run, changes live without a restart, isolation
// between hooks.
func TestHookLifecycle(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)

	broken := "module.exports = function(client, scope, audience, context, cb) {\n  cb(null, {;\n};"
	r := admin.api("POST", "hooks", map[string]any{"name": "broken", "script": broken, "triggerId": "credentials-exchange"})
	if msg, _ := r.json(t)["message"].(string); r.status != 400 || !strings.Contains(msg, "line ") || !strings.Contains(msg, ", column ") {
		t.Fatalf("broken script: %d %s", r.status, r.body)
	}

	claim := func(v string) string {
		return `module.exports = (c, s, a, ctx, cb) => cb(null, {scope: s, 'https://example.com/hook': '` + v + `'});`
	}
	which := func() any {
		t.Helper()
		r := app.token()
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		return claims(t, r.json(t)["access_token"].(string))["https://example.com/hook"]
	}
	a := admin.createHook(t, "hook-a", "credentials-exchange", claim("a"), false)
	if got := which(); got != nil {
		t.Fatalf("a disabled hook ran: %v", got)
	}
	admin.patchHook(t, a, map[string]any{"enabled": true})
	if got := which(); got != "a" {
		t.Fatalf("hook a enabled, claim %v", got)
	}
	b := admin.createHook(t, "hook-b", "credentials-exchange", claim("b"), true)
	if got := which(); got != "b" {
		t.Fatalf("hook b created enabled, claim %v", got)
	}
	if h := admin.api("GET", "hooks/"+a, nil).json(t); h["enabled"] != false {
		t.Fatalf("enabling b left a enabled: %v", h)
	}
	if l := admin.api("GET", "hooks?enabled=true&triggerId=credentials-exchange", nil).list(t); len(l) != 1 || l[0]["id"] != b {
		t.Fatalf("enabled hooks %v", l)
	}
	// A password-exchange hook does not run for client credentials.
	admin.createHook(t, "pw", "password-exchange", `module.exports = (u, c, s, a, ctx, cb) => cb(new Error('must not run'));`, true)
	admin.patchHook(t, b, map[string]any{"script": claim("b2")})
	if got := which(); got != "b2" {
		t.Fatalf("edited script not live: %v", got)
	}
	admin.patchHook(t, b, map[string]any{"enabled": false})
	if got := which(); got != nil {
		t.Fatalf("no hook enabled, claim %v", got)
	}

	// Prototype pollution: what hook A leaves on built-ins and globals is
	// invisible to hook B, and to the next version of A itself.
	admin.patchHook(t, a, map[string]any{"enabled": true, "script": `Object.prototype.polluted = 'yes';
Array.prototype.push = function() { return 0; };
globalThis.leak = 'leaked';
module.exports = (c, s, a, ctx, cb) => { String.prototype.trim = () => 'hacked'; cb(null, {scope: s}); };`})
	for range 4 { // reach every warm runtime or worker that ran A
		if r := app.token(); r.status != 200 {
			t.Fatalf("polluting hook: %d %s", r.status, r.body)
		}
	}
	probe := `module.exports = (c, s, a, ctx, cb) => { const t = {scope: s}; t.scope.push('pushed');
  t['https://example.com/probe'] = [String(({}).polluted), typeof leak, ' x '.trim()].join(','); cb(null, t); };`
	admin.patchHook(t, b, map[string]any{"enabled": true, "script": probe})
	for range 4 {
		r := app.token()
		if r.status != 200 {
			t.Fatalf("probe: %d %s", r.status, r.body)
		}
		c := claims(t, r.json(t)["access_token"].(string))
		if c["https://example.com/probe"] != "undefined,undefined,x" || c["scope"] != "read:orders pushed" {
			t.Fatalf("hook B sees hook A's pollution: %v scope %v", c["https://example.com/probe"], c["scope"])
		}
	}

	// Deleting the enabled hook stops it.
	if r := admin.api("DELETE", "hooks/"+b, nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if got := which(); got != nil {
		t.Fatalf("deleted hook still runs: %v", got)
	}
}

// TestHookTimeouts: with --hook-timeout 1s an infinite loop, a never-called
// cb and a never-settling Promise answer Auth0's timeout error, while the
// server keeps answering tokens, JWKS and /api/v2. The runaway script says
// on the live log stream when it starts, so the other requests are sent
// while it runs, with no sleep and no latency bound (the machine is shared).
func TestHookTimeouts(t *testing.T) {
	in := start(t, options{args: []string{"--hook-timeout", "1s"}})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	// Only the first application's requests misbehave, so the second one
	// measures whether the server still answers meanwhile.
	guard := `if (client.metadata.mode === 'fast') return cb(null, {scope: scope, 'https://example.com/fast': true}); console.log('runaway started');`
	scripts := map[string]string{
		"infinite loop":       `module.exports = function(client, scope, audience, context, cb) { ` + guard + ` while (true) {} };`,
		"never-called cb":     `module.exports = function(client, scope, audience, context, cb) { ` + guard + ` };`,
		"never-settling":      `module.exports = function(client, scope, audience, context, cb) { ` + guard + ` return new Promise(() => {}); };`,
		"endless timer chain": `module.exports = function(client, scope, audience, context, cb) { ` + guard + ` (function f() { setTimeout(f, 0); })(); };`,
		"timer fan-out":       `module.exports = function(client, scope, audience, context, cb) { ` + guard + ` (function f() { setTimeout(f, 0); setImmediate(f); })(); };`,
		"deep recursion":      `module.exports = function(client, scope, audience, context, cb) { ` + guard + ` const f = n => f(n + 1) + 1; f(0); };`,
	}
	id := admin.createHook(t, "slow", "credentials-exchange", scripts["infinite loop"], true)
	for name, script := range scripts {
		t.Run(name, func(t *testing.T) {
			admin.patchHook(t, id, map[string]any{"script": script})
			started := admin.logStream(t, "slow")
			var wg sync.WaitGroup
			var slow response
			var took time.Duration
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				slow = app.token()
				took = time.Since(start)
			}()
			if name == "deep recursion" || name == "timer fan-out" {
				// These fail on their own, fast: the checks run after
				// the answer rather than racing it.
				wg.Wait()
			} else {
				waitLogLine(t, started, "runaway started")
			}
			for _, check := range []struct {
				what string
				do   func() response
			}{
				{"token for another client", func() response { return app.tokenFor(app.otherID, app.otherSc) }},
				{"JWKS", func() response { return in.do("GET", ".well-known/jwks.json", "", nil, nil) }},
				{"/api/v2/hooks", func() response { return admin.api("GET", "hooks", nil) }},
			} {
				start := time.Now()
				if r := check.do(); r.status != 200 {
					t.Errorf("%s while a hook runs away: %d in %v", check.what, r.status, time.Since(start))
				}
			}
			wg.Wait()
			switch name {
			case "deep recursion":
				// goja makes a stack overflow uncatchable; it fails the
				// execution as the script's RangeError.
				oauthError(t, slow, 500, "server_error", "Maximum call stack size exceeded")
				return
			case "timer fan-out":
				// The engine caps pending timers: the storm fails fast
				// with a server_error rather than waiting for the deadline.
				oauthError(t, slow, 500, "server_error", "")
				return
			}
			oauthError(t, slow, 500, "server_error", "Request to Webtask exceeded allowed execution time")
			// Not before the deadline; the upper bound only catches a
			// deadline that is not enforced at all (the machine is shared).
			if took < 900*time.Millisecond || took > 20*time.Second {
				t.Errorf("timed out after %v, want about 1s", took)
			}
		})
	}
}

// TestHostileHooks: hooks that spin or allocate inside one native
// built-in, which only the worker processes can stop (issue 3). Each is
// answered with a 500 within its deadline plus a grace period, and the
// server keeps serving.
func TestHostileHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates gigabytes in hook workers")
	}
	in := start(t, options{args: []string{"--hook-timeout", "2s", "--hook-memory-limit", "268435456"}})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	id := admin.createHook(t, "hostile", "credentials-exchange", "module.exports = (c, s, a, ctx, cb) => cb(null, {});", true)
	for name, body := range map[string]string{
		"huge repeat":      `'x'.repeat(2 ** 30).length`,
		"array fill loop":  `for (;;) { new Array(2e7).fill(0); }`,
		"array from":       `for (;;) { Array.from({length: 2e7}); }`,
		"unbounded growth": `const acc = []; for (;;) { acc.push('x'.repeat(1 << 20) + acc.length); }`,
		// The backreference keeps goja off its linear RE2 path and on the
		// backtracking engine, where this pattern is exponential.
		"catastrophic regex": `/^(a+)+\1$/.test('a'.repeat(40) + 'b')`,
	} {
		t.Run(name, func(t *testing.T) {
			admin.patchHook(t, id, map[string]any{"script": "module.exports = (c, s, a, ctx, cb) => { " + body + "; cb(null, {scope: s}); };"})
			start := time.Now()
			r := app.token()
			oauthError(t, r, 500, "server_error", "")
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("answered after %v", took)
			}
			if r := app.tokenFor(app.otherID, app.otherSc); r.status != 500 { // same hook, still answered
				t.Errorf("next request: %d %s", r.status, r.body)
			}
			if r := in.do("GET", "healthz", "", nil, nil); r.status != 200 {
				t.Fatalf("server unhealthy after %s: %d", name, r.status)
			}
		})
	}
	admin.patchHook(t, id, map[string]any{"script": "module.exports = (c, s, a, ctx, cb) => cb(null, {scope: s, 'https://example.com/ok': 1});"})
	if r := app.token(); r.status != 200 {
		t.Fatalf("a good hook after the hostile ones: %d %s", r.status, r.body)
	}
}

// TestHookRunnerAndLogs: the runner endpoints and the live log stream over
// the real binary.
func TestHookRunnerAndLogs(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	id := admin.createHook(t, "chatty", "credentials-exchange", `module.exports = function(client, scope, audience, context, cb) {
  console.log('token for', client.name, 'key', context.webtask.secrets.K);
  cb(null, {scope: scope, 'https://example.com/k': context.webtask.secrets.K});
};`, true)
	if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"K": "stored"}); r.status != 201 {
		t.Fatalf("secrets: %d %s", r.status, r.body)
	}

	// Saved code with the default payload and stored secrets.
	r := admin.api("POST", "hooks/"+id+"/run", nil)
	rep := r.json(t)
	if r.status != 200 || rep["error"] != nil || rep["duration_ms"] == nil {
		t.Fatalf("run: %d %s", r.status, r.body)
	}
	if res := rep["result"].(map[string]any); res["https://example.com/k"] != "stored" || mustJSONs(res["scope"]) != `["read:connections"]` {
		t.Fatalf("result %v", res)
	}
	if logs := rep["logs"].([]any); len(logs) != 1 || logs[0].(map[string]any)["message"] != "token for client-name key stored" {
		t.Fatalf("logs %v", logs)
	}
	// Unsaved code with request secrets; an error as the token would get it.
	r = admin.api("POST", "hooks/run", map[string]any{"triggerId": "credentials-exchange", "secrets": map[string]string{"K": "req"},
		"script": `module.exports = (c, s, a, ctx, cb) => cb(new InvalidRequestError(ctx.webtask.secrets.K));`})
	if e, _ := r.json(t)["error"].(map[string]any); r.status != 200 || e["status"] != 400.0 || e["error"] != "invalid_request" || e["error_description"] != "req" {
		t.Fatalf("unsaved run: %d %s", r.status, r.body)
	}
	if l := admin.api("GET", "hooks", nil).list(t); len(l) != 1 || l[0]["script"] == "" {
		t.Fatalf("running unsaved code saved something: %v", l)
	}

	// The live stream: a token request's console line arrives tagged.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", in.base+"api/v2/hooks/logs/stream?hook=chatty", nil)
	req.Header.Set("Authorization", "Bearer "+admin.token)
	stream := &http.Client{Transport: in.client.Transport} // no client timeout: the stream stays open
	res, err := stream.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %v", res.StatusCode, res.Header)
	}
	events := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(d), &m) == nil {
					events <- m
				}
			}
		}
		close(events)
	}()
	sent := time.Now()
	if r := app.token(); r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	select {
	case ev := <-events:
		if ev["hook_name"] != "chatty" || ev["hook_id"] != id || ev["message"] != "token for app for https://orders.example/ key stored" ||
			ev["request_id"] == "" || ev["request_id"] == nil || ev["time"] == nil {
			t.Fatalf("event %v", ev)
		}
		t.Logf("console line reached the stream %v after the token request was sent", time.Since(sent))
	case <-time.After(3 * time.Second):
		t.Fatal("the console line did not reach the stream within 3s")
	}

	// Recent lines: the runner's and the token request's, oldest first.
	var runner, token int = -1, -1
	for i, l := range admin.api("GET", "hooks/"+id+"/logs", nil).list(t) {
		switch {
		case l["hook_name"] != "chatty":
			t.Fatalf("line of another hook: %v", l)
		case l["request_id"] == "runner" && l["message"] == "token for client-name key stored":
			runner = i
		case l["message"] == "token for app for https://orders.example/ key stored":
			token = i
		}
	}
	if runner < 0 || token < runner {
		t.Fatalf("recent lines: runner at %d, token request at %d", runner, token)
	}
}

func mustJSONs(v any) string { return string(mustJSON(v)) }

// TestHooksSkipManagementAPI: a hook that denies every token does not lock
// operators out of the Management API (a deliberate deviation from Auth0).
func TestHooksSkipManagementAPI(t *testing.T) {
	in := start(t, options{})
	admin := newHookAdmin(in)
	id, secret := in.m2m("https://denied.example/", []string{"read"}, []string{"read"}, nil)
	admin.createHook(t, "deny-all", "credentials-exchange",
		`module.exports = function (client, scope, audience, context, cb) { cb(new InvalidRequestError('no tokens today')); };`, true)
	r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://denied.example/"}})
	oauthError(t, r, 400, "invalid_request", "no tokens today")
	// A fresh Management API token still works, and can disable the hook.
	fresh := in.adminToken()
	if r := in.apiWith(fresh, "GET", "hooks", nil); r.status != 200 {
		t.Fatalf("list hooks with a fresh admin token: %d %s", r.status, r.body)
	}
}

// logStream follows the live console lines of the named hook
// (/api/v2/hooks/logs/stream) until the test ends.
func (h *hookAdmin) logStream(t *testing.T, hook string) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", h.in.base+"api/v2/hooks/logs/stream?hook="+url.QueryEscape(hook), nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	res, err := (&http.Client{Transport: h.in.client.Transport}).Do(req) // no client timeout: the stream stays open
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		res.Body.Close()
		t.Fatalf("log stream: %d", res.StatusCode)
	}
	// Room for more than one execution's whole log (the engines keep at
	// most 1000 lines each): a runaway earlier in a test may still be
	// logging, and its lines must not push out the one a test waits for.
	events := make(chan map[string]any, 4096)
	go func() {
		defer res.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(d), &m) == nil {
					select {
					case events <- m:
					default: // a test that stopped reading does not block the stream
					}
				}
			}
		}
	}()
	return events
}

// waitLogLine waits for a console line with the given message.
func waitLogLine(t *testing.T, events <-chan map[string]any, message string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the log stream ended before %q", message)
			}
			if ev["message"] == message {
				return
			}
		case <-deadline:
			t.Fatalf("no %q on the log stream within 30s", message)
		}
	}
}
