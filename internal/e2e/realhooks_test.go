package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// mockAPI is the loopback API and JWKS real-world hooks call: what an
// Auth0 customer's internal services were to their hooks.
type mockAPI struct {
	url, tlsURL, caPEM string
	jwks               *rsa.PrivateKey

	barrierReached chan struct{} // a hook reached /barrier
	barrierRelease chan struct{} // closed to let it go on
	notifyStarted  chan string   // a hook's fire-and-forget POST /notify arrived
	notifyRelease  chan struct{} // closed to answer it
}

func newMockAPI(t *testing.T) *mockAPI {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	m := &mockAPI{jwks: key, barrierReached: make(chan struct{}, 4), barrierRelease: make(chan struct{}),
		notifyStarted: make(chan string, 4), notifyRelease: make(chan struct{})}
	jwk := jose.JSONWebKey{Key: key.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	})
	mux.HandleFunc("/users/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": strings.TrimPrefix(r.URL.Path, "/users/"), "roles": []string{"admin", "dev"},
			"auth": r.Header.Get("Authorization")})
	})
	// A redirect to a private address, which the egress policy must refuse
	// even though the first hop (loopback) is allowed.
	mux.HandleFunc("/redirect-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.255.255.1:9/secret", http.StatusFound)
	})
	mux.HandleFunc("/barrier", func(w http.ResponseWriter, r *http.Request) {
		m.barrierReached <- struct{}{}
		select {
		case <-m.barrierRelease:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte(`{}`))
	})
	mux.HandleFunc("/notify", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m.notifyStarted <- string(b)
		select {
		case <-m.notifyRelease:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	plain := httptest.NewServer(mux)
	t.Cleanup(plain.Close)
	tlsSrv := httptest.NewTLSServer(mux)
	t.Cleanup(tlsSrv.Close)
	m.url, m.tlsURL = plain.URL, tlsSrv.URL
	m.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}))
	return m
}

// subjectToken is a JWT the mock's JWKS verifies, as an identity provider
// would issue for a token exchange.
func (m *mockAPI) subjectToken(t *testing.T, sub string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: m.jwks}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{Subject: sub, Issuer: "https://idp.example/", Audience: jwt.Audience{"tokenhook"},
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// npmEnv shares one npm download cache among the servers of these tests
// (each has its own HOME), so a package is fetched from the registry once.
func npmEnv(t *testing.T) []string {
	dir := filepath.Join(os.TempDir(), "tokenhook-e2e-npm-cache")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return []string{"npm_config_cache=" + dir}
}

// slowAPI is a Management API client for saves that install npm
// dependencies, which may take longer than the harness's 30 s timeout on
// a loaded machine.
func slowAPI(in *instance, token, method, path string, body any) response {
	in.t.Helper()
	old := in.client
	c := *old
	c.Timeout = 5 * time.Minute
	in.client = &c
	defer func() { in.client = old }()
	return in.apiWith(token, method, path, body)
}

// createNodeHook saves a hook with dependencies and checks that it runs on
// Node.js.
func (h *hookAdmin) createNodeHook(t *testing.T, name, script string, deps map[string]string) string {
	t.Helper()
	r := slowAPI(h.in, h.token, "POST", "hooks", map[string]any{"name": name, "script": script, "triggerId": "credentials-exchange",
		"enabled": true, "dependencies": deps})
	if r.status != 201 {
		t.Fatalf("create hook %q: %d %s", name, r.status, r.body)
	}
	hook := r.json(t)
	if hook["runtime"] != "node" {
		t.Fatalf("hook %q runtime %v, want node", name, hook["runtime"])
	}
	return hook["id"].(string)
}

func (h *hookAdmin) setScript(t *testing.T, id, script string) {
	t.Helper()
	if r := slowAPI(h.in, h.token, "PATCH", "hooks/"+id, map[string]any{"script": script, "enabled": true}); r.status != 200 {
		t.Fatalf("patch hook: %d %s", r.status, r.body)
	}
}

// tokenWith asks for a token with extra (custom) parameters and returns
// its custom claims.
func (a *hookApp) tokenWith(t *testing.T, extra url.Values) map[string]any {
	t.Helper()
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {a.secret}, "audience": {a.aud}}
	for k, vs := range extra {
		v[k] = vs
	}
	r := a.in.tokenForm(v)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	c := claims(t, r.json(t)["access_token"].(string))
	out := map[string]any{}
	for k, val := range c {
		if name, ok := strings.CutPrefix(k, "https://example.com/"); ok {
			out[name] = val
		}
	}
	return out
}

var realWorldDeps = map[string]string{"axios": "0.21.1", "jsonwebtoken": "8.5.1", "jwks-rsa": "1.10.1", "request": "2.88.2", "lodash": "4.17.21"}

// TestRealWorldHooks runs hook code modelled on public, real-world Auth0
// hooks unchanged on the Node.js runtime, through the real binary, against
// a loopback mock API and JWKS (issue 13).
func TestRealWorldHooks(t *testing.T) {
	api := newMockAPI(t)
	in := start(t, options{args: []string{"--hook-egress-allow", "127.0.0.0/8"}, env: npmEnv(t)})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	id := admin.createNodeHook(t, "real-world", `module.exports = (client, scope, audience, context, cb) => cb(null, {scope: scope});`, realWorldDeps)
	if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API": api.url, "TLS_API": api.tlsURL, "CA": api.caPEM, "API_KEY": "k-123"}); r.status != 201 {
		t.Fatalf("secrets: %d %s", r.status, r.body)
	}

	cases := []struct {
		name, script string
		extra        url.Values
		want         map[string]any
	}{
		{"axios", `const axios = require('axios');
module.exports = async function (client, scope, audience, context, cb) {
  const res = await axios.get(context.webtask.secrets.API + '/users/' + client.id, {headers: {Authorization: 'Bearer ' + context.webtask.secrets.API_KEY}});
  cb(null, {scope: scope, 'https://example.com/roles': res.data.roles, 'https://example.com/auth': res.data.auth});
};`, nil, map[string]any{"roles": []any{"admin", "dev"}, "auth": "Bearer k-123"}},
		{"request with callbacks and util.promisify", `const request = require('request');
const util = require('util');
const getAsync = util.promisify(request.get);
module.exports = function (client, scope, audience, context, cb) {
  request.get({url: context.webtask.secrets.API + '/users/cb', json: true}, function (err, res, body) {
    if (err) return cb(err);
    getAsync({url: context.webtask.secrets.API + '/users/promisified', json: true}).then(function (res2) {
      cb(null, {scope: scope, 'https://example.com/ids': [body.id, res2.body.id]});
    }, cb);
  });
};`, nil, map[string]any{"ids": []any{"cb", "promisified"}}},
		{"jsonwebtoken and jwks-rsa verify context.body.subject_token", `const jwt = require('jsonwebtoken');
const jwksClient = require('jwks-rsa');
module.exports = function (client, scope, audience, context, cb) {
  const jwks = jwksClient({jwksUri: context.webtask.secrets.API + '/.well-known/jwks.json'});
  function getKey(header, done) {
    jwks.getSigningKey(header.kid, function (err, key) { done(err, key && (key.publicKey || key.rsaPublicKey)); });
  }
  jwt.verify(context.body.subject_token, getKey, {algorithms: ['RS256'], audience: 'tokenhook'}, function (err, decoded) {
    if (err) return cb(new InvalidRequestError('bad subject_token: ' + err.message));
    cb(null, {scope: scope, 'https://example.com/subject': decoded.sub});
  });
};`, url.Values{"subject_token": {api.subjectToken(t, "user-42")}}, map[string]any{"subject": "user-42"}},
		{"https built-in", `const https = require('https');
module.exports = function (client, scope, audience, context, cb) {
  https.get(context.webtask.secrets.TLS_API + '/users/tls', {ca: context.webtask.secrets.CA}, function (res) {
    let body = '';
    res.on('data', function (d) { body += d; });
    res.on('end', function () { cb(null, {scope: scope, 'https://example.com/id': JSON.parse(body).id}); });
  }).on('error', cb);
};`, nil, map[string]any{"id": "tls"}},
		{"process.env, meta and headers", `const _ = require('lodash');
module.exports = function (client, scope, audience, context, cb) {
  process.env.WRITTEN = 'stays inside';
  cb(null, {scope: scope, 'https://example.com/env': process.env.API_KEY, 'https://example.com/meta': context.webtask.meta,
    'https://example.com/ua': _.get(context, 'webtask.headers.content-type')});
};`, nil, map[string]any{"env": "k-123", "meta": map[string]any{"hook-name": "real-world", "auth0-extension": "runtime",
			"auth0-extension-name": "credentials-exchange"}, "ua": "application/x-www-form-urlencoded"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			admin.setScript(t, id, c.script)
			got := app.tokenWith(t, c.extra)
			if mustJSONs(got) != mustJSONs(c.want) {
				t.Fatalf("claims %s, want %s", mustJSONs(got), mustJSONs(c.want))
			}
		})
	}

	t.Run("process.env writes stay inside their execution", func(t *testing.T) {
		admin.setScript(t, id, `module.exports = function (client, scope, audience, context, cb) {
  const before = process.env.WRITTEN || 'unset';
  process.env.WRITTEN = 'written by an earlier execution';
  cb(null, {scope: scope, 'https://example.com/before': before});
};`)
		for range 3 { // the same warm worker each time
			if got := app.tokenWith(t, nil); got["before"] != "unset" {
				t.Fatalf("process.env of an earlier execution leaked: %v", got)
			}
		}
	})
	t.Run("lodash pinned inline with @version", func(t *testing.T) {
		r := slowAPI(in, admin.token, "POST", "hooks", map[string]any{"name": "inline-pin", "triggerId": "credentials-exchange", "enabled": true,
			"script": `const _ = require('lodash@4.17.21');
module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope, 'https://example.com/v': _.VERSION, 'https://example.com/u': _.uniq([1, 1, 2])});
};`})
		if r.status != 201 || r.json(t)["runtime"] != "node" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if got := app.tokenWith(t, nil); mustJSONs(got) != `{"u":[1,2],"v":"4.17.21"}` {
			t.Fatalf("claims %s", mustJSONs(got))
		}
	})
}

// waitFn is how a storage or notification hook calls the mock API: Node's
// http built-in (which puts the hook on Node.js), or the embedded
// engine's fetch.
var waitFn = map[string]string{
	"node": `const http = require('http');
function wait(url) {
  return new Promise(function (resolve, reject) {
    http.get(url, function (res) { res.resume(); res.on('end', resolve); }).on('error', reject);
  });
}
`,
	"embedded": `function wait(url) { return fetch(url).then(function (res) { return res.text(); }); }
`,
}

// storageHook counts tokens in context.webtask.storage. mode=slow waits
// at the mock's barrier between its get and its set, so another token's
// write lands in between; mode=force writes with {force: 1}; mode=big
// writes more than 500 KB.
func storageHook(runtime string) string {
	return waitFn[runtime] + `module.exports = function (client, scope, audience, context, cb) {
  const storage = context.webtask.storage;
  const mode = context.body.mode;
  storage.get(async function (err, data) {
    if (err) return cb(err);
    data = data || {count: 0};
    data.count += 1;
    if (mode === 'slow') await wait(context.webtask.secrets.API + '/barrier');
    if (mode === 'big') data.pad = 'x'.repeat(600 * 1024);
    function done(err) {
      cb(null, {scope: scope, 'https://example.com/count': data.count,
        'https://example.com/error': err ? {code: err.code || null, message: String(err.message)} : null});
    }
    if (mode === 'force') storage.set(data, {force: 1}, done); else storage.set(data, done);
  });
};`
}

// TestWebtaskStorage: on both runtimes, counters over tokens, a 409
// conflict when another token wrote between a get and a set, force, the
// 500 KB cap, the document kept across an edit of the hook and a restart
// of the server, the runner's scratch copy, and deletion with the hook.
func TestWebtaskStorage(t *testing.T) {
	for _, runtime := range []string{"embedded", "node"} {
		t.Run(runtime, func(t *testing.T) { testWebtaskStorage(t, runtime) })
	}
}

func testWebtaskStorage(t *testing.T, runtime string) {
	api := newMockAPI(t)
	dataDir := t.TempDir()
	opts := options{dataDir: dataDir, args: []string{"--hook-egress-allow", "127.0.0.0/8"}, env: npmEnv(t)}
	in := start(t, opts)
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	script := storageHook(runtime)
	create := func() string {
		r := admin.api("POST", "hooks", map[string]any{"name": "counter", "script": script, "triggerId": "credentials-exchange", "enabled": true})
		if r.status != 201 || r.json(t)["runtime"] != runtime {
			t.Fatalf("create hook: %d %s, want runtime %s", r.status, r.body, runtime)
		}
		id := r.json(t)["id"].(string)
		if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API": api.url}); r.status != 201 {
			t.Fatalf("secrets: %d %s", r.status, r.body)
		}
		return id
	}
	id := create()
	count := func(t *testing.T, mode string, wantCount float64, wantCode any) {
		t.Helper()
		got := app.tokenWith(t, url.Values{"mode": {mode}})
		e, _ := got["error"].(map[string]any)
		var code any
		if e != nil {
			code = e["code"]
		}
		if got["count"] != wantCount || mustJSONs(code) != mustJSONs(wantCode) {
			t.Fatalf("mode %q: count %v error %v, want %v and code %v", mode, got["count"], got["error"], wantCount, wantCode)
		}
	}
	count(t, "", 1, nil)
	count(t, "", 2, nil)

	// A token's get, another token's write, then the first one's set: 409.
	slow := make(chan response, 1)
	go func() {
		slow <- in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {app.id}, "client_secret": {app.secret},
			"audience": {app.aud}, "mode": {"slow"}})
	}()
	select {
	case <-api.barrierReached:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow token's hook never reached the barrier")
	}
	count(t, "", 3, nil)
	close(api.barrierRelease)
	r := <-slow
	if r.status != 200 {
		t.Fatalf("slow token: %d %s", r.status, r.body)
	}
	got := claims(t, r.json(t)["access_token"].(string))
	if e, _ := got["https://example.com/error"].(map[string]any); e == nil || e["code"] != 409.0 {
		t.Fatalf("the write based on a replaced version: %v", got)
	}
	count(t, "force", 4, nil)
	// Over 500 KB: the hook sees an error and nothing is written.
	got = app.tokenWith(t, url.Values{"mode": {"big"}})
	if e, _ := got["error"].(map[string]any); e == nil || got["count"] != 5.0 {
		t.Fatalf("a document over 500 KB: %v", got)
	}

	// Kept across an edit of the hook and a restart.
	admin.setScript(t, id, script+"\n// edited")
	count(t, "", 5, nil)
	in.stop()
	in = start(t, opts)
	app.in = in
	admin = newHookAdmin(in)
	count(t, "", 6, nil)

	// The runner works on a scratch copy: it sees the document, its
	// writes do not reach token requests.
	r = admin.api("POST", "hooks/"+id+"/run", map[string]any{"payload": map[string]any{"audience": "https://a/",
		"client": map[string]any{"id": "x", "name": "n", "tenant": "t", "metadata": map[string]any{}}, "scope": []string{"s"}}})
	if res, _ := r.json(t)["result"].(map[string]any); r.status != 200 || res["https://example.com/count"] != 7.0 {
		t.Fatalf("runner: %d %s", r.status, r.body)
	}
	count(t, "", 7, nil)

	// Deleted with the hook.
	if r := admin.api("DELETE", "hooks/"+id, nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	id = create()
	count(t, "", 1, nil)
}

// TestFireAndForget: on both runtimes, work a hook leaves running after
// cb (a notification) goes on after the token is answered, and its console
// line still reaches the hook's logs.
func TestFireAndForget(t *testing.T) {
	notify := map[string]string{
		"node": `const http = require('http');
function notify(url, body, done) {
  const req = http.request(url, {method: 'POST'}, function (res) { res.resume(); res.on('end', done); });
  req.end(body);
}
`,
		"embedded": `function notify(url, body, done) { fetch(url, {method: 'POST', body: body}).then(function (r) { return r.text(); }).then(done); }
`,
	}
	for _, runtime := range []string{"embedded", "node"} {
		t.Run(runtime, func(t *testing.T) {
			api := newMockAPI(t)
			in := start(t, options{args: []string{"--hook-egress-allow", "127.0.0.1/32"}, env: npmEnv(t)})
			app := newHookApp(t, in)
			admin := newHookAdmin(in)
			id := admin.createHook(t, "notifier", "credentials-exchange", notify[runtime]+`module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope});
  notify(context.webtask.secrets.API + '/notify', 'token for ' + client.id, function () { console.log('notified after the answer'); });
};`, true)
			if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API": api.url}); r.status != 201 {
				t.Fatalf("secrets: %d %s", r.status, r.body)
			}
			// The mock holds the notification until the token is answered:
			// a runtime that waited for it would not answer.
			if got := app.tokenWith(t, nil); len(got) != 0 {
				t.Fatalf("claims %v", got)
			}
			select {
			case body := <-api.notifyStarted:
				if body != "token for "+app.id {
					t.Fatalf("notification %q", body)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the notification never arrived")
			}
			close(api.notifyRelease)
			waitFor(t, 20*time.Second, "the console line written after the answer", func() bool {
				for _, l := range admin.api("GET", "hooks/"+id+"/logs", nil).list(t) {
					if l["message"] == "notified after the answer" {
						return true
					}
				}
				return false
			})
		})
	}
}

// egressHooks report what fetching context.body.target gives: a status,
// or the error code and message; on Node.js through axios (which follows
// redirects), on the embedded engine through fetch.
var egressHooks = map[string]string{
	"node": `const axios = require('axios');
module.exports = async function (client, scope, audience, context, cb) {
  try {
    const res = await axios.get(context.body.target, {timeout: 5000});
    cb(null, {scope: scope, 'https://example.com/status': res.status});
  } catch (err) {
    cb(null, {scope: scope, 'https://example.com/code': err.code || null, 'https://example.com/message': String(err.message)});
  }
};`,
	"embedded": `module.exports = async function (client, scope, audience, context, cb) {
  try {
    const res = await fetch(context.body.target);
    cb(null, {scope: scope, 'https://example.com/status': res.status});
  } catch (err) {
    const cause = err.cause || err;
    cb(null, {scope: scope, 'https://example.com/code': cause.code || null, 'https://example.com/message': String(cause.message)});
  }
};`,
}

func refused(t *testing.T, got map[string]any, target string) {
	t.Helper()
	msg, _ := got["message"].(string)
	if got["code"] != "ECONNREFUSED" || !strings.Contains(strings.ToLower(msg), "egress") {
		t.Fatalf("%s: %v, want ECONNREFUSED naming the egress policy", target, got)
	}
}

// TestHookEgressPolicy: on both runtimes, by default a hook may reach
// public addresses only: loopback, a name resolving to loopback, a private
// address and the metadata address are refused; with 127.0.0.0/8 allowed,
// loopback answers but a redirect to a private address and the metadata
// address are still refused.
func TestHookEgressPolicy(t *testing.T) {
	api := newMockAPI(t)
	port := api.url[strings.LastIndexByte(api.url, ':')+1:]
	save := func(t *testing.T, admin *hookAdmin, runtime string) {
		t.Helper()
		if runtime == "node" {
			admin.createNodeHook(t, "egress-"+runtime, egressHooks[runtime], map[string]string{"axios": "0.21.1"})
			return
		}
		admin.createHook(t, "egress-"+runtime, "credentials-exchange", egressHooks[runtime], true)
	}
	t.Run("default policy", func(t *testing.T) {
		in := start(t, options{env: npmEnv(t)})
		app := newHookApp(t, in)
		admin := newHookAdmin(in)
		for _, runtime := range []string{"embedded", "node"} {
			save(t, admin, runtime)
			for _, target := range []string{"http://127.0.0.1:" + port + "/users/1", "http://localhost:" + port + "/users/1",
				"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"} {
				refused(t, app.tokenWith(t, url.Values{"target": {target}}), runtime+" "+target)
			}
		}
	})
	t.Run("loopback allowed", func(t *testing.T) {
		in := start(t, options{args: []string{"--hook-egress-allow", "127.0.0.0/8"}, env: npmEnv(t)})
		app := newHookApp(t, in)
		admin := newHookAdmin(in)
		for _, runtime := range []string{"embedded", "node"} {
			save(t, admin, runtime)
			if got := app.tokenWith(t, url.Values{"target": {api.url + "/users/1"}}); got["status"] != 200.0 {
				t.Fatalf("%s: allowed loopback: %v", runtime, got)
			}
			refused(t, app.tokenWith(t, url.Values{"target": {api.url + "/redirect-private"}}), runtime+" redirect to a private address")
			refused(t, app.tokenWith(t, url.Values{"target": {"http://169.254.169.254/latest/meta-data/"}}), runtime+" metadata address")
		}
	})
}

// TestHookDependencyErrors: a dependency that does not exist and one that
// needs a native build are refused at save with a 400 naming the package,
// and nothing is saved.
func TestHookDependencyErrors(t *testing.T) {
	in := start(t, options{env: npmEnv(t)})
	admin := newHookAdmin(in)
	for _, c := range []struct{ name, pkg, version string }{
		{"unknown package", "tokenhook-e2e-no-such-package-0f3a", "1.0.0"},
		{"unknown version", "lodash", "999.0.0"},
		{"native only", "utf-8-validate", "6.0.4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := slowAPI(in, admin.token, "POST", "hooks", map[string]any{"name": "deps", "triggerId": "credentials-exchange",
				"script": `module.exports = (c, s, a, x, cb) => cb(null, {scope: s});`, "dependencies": map[string]string{c.pkg: c.version}})
			msg, _ := r.json(t)["message"].(string)
			if r.status != 400 || !strings.Contains(msg, c.pkg) {
				t.Fatalf("%d %s, want 400 naming %s", r.status, r.body, c.pkg)
			}
		})
	}
	if l := admin.api("GET", "hooks", nil).list(t); len(l) != 0 {
		t.Fatalf("a hook whose dependencies failed was saved: %v", l)
	}
}

// TestHookStorageOnPostgresReplicas: two servers share one PostgreSQL
// database, and a hook's storage document with it: counters alternate
// between the replicas without losing a count. (npm_test.go runs a hook
// whose dependencies one replica installed on the other.)
func TestHookStorageOnPostgresReplicas(t *testing.T) {
	db := postgresURL(t)
	env := append([]string{"TOKENHOOK_MASTER_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}, npmEnv(t)...)
	issuer := "https://auth.replicas.example/"
	a := start(t, options{db: db, env: env, args: []string{"--issuer", issuer}})
	b := start(t, options{db: db, env: env, args: []string{"--issuer", issuer}})
	adminA := tokenAt(t, a, adminID, adminSecret, issuer+"api/v2/")
	id, secret := createM2M(t, a, adminA, "https://shared.example/")
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://shared.example/"}}
	claim := func(t *testing.T, in *instance, name string) any {
		t.Helper()
		r := in.tokenForm(cc)
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		return claims(t, r.json(t)["access_token"].(string))["https://example.com/"+name]
	}

	// The client and its grant were made on A: B serves them once the
	// change reaches it.
	waitFor(t, 5*time.Second, "replica B to know the client", func() bool { return b.tokenForm(cc).status == 200 })
	r := a.apiWith(adminA, "POST", "hooks", map[string]any{"name": "counter", "triggerId": "credentials-exchange", "enabled": true,
		"script": storageHook("embedded")})
	if r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	// Tokens B issues before its catalog has the hook count nothing.
	waitFor(t, 5*time.Second, "replica B to run the hook", func() bool { return claim(t, b, "count") == 1.0 })
	for i, in := range []*instance{a, b, a, b} {
		if got := claim(t, in, "count"); got != float64(i+2) {
			t.Fatalf("token %d: count %v, want %d", i+2, got, i+2)
		}
	}

}
