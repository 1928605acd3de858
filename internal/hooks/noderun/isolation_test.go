package noderun

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/egress"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// probe runs a hook that reports what an attempt did: "ok:<value>" or
// "err:<code>:<message>".
func probe(t *testing.T, e *Engine, body string, arg any) string {
	t.Helper()
	script := `module.exports = async (a, cb) => {
		try { return 'ok:' + (await (async () => { ` + body + ` })()); }
		catch (e) { return 'err:' + e.code + ':' + e.message + (e.cause ? ' cause:' + e.cause.code + ':' + e.cause.message : ''); }
	};`
	out := mustRun(t, e, sandbox.Invocation{Script: script, Args: args(arg)})
	var s string
	if err := json.Unmarshal(out.Response, &s); err != nil {
		t.Fatalf("response %s", out.Response)
	}
	return s
}

func TestPermissionModel(t *testing.T) {
	e := newEngine(t, Options{})
	if e.Node().permissionFlag() == "" {
		t.Skipf("%s has no permission model", e.Node().Version)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"fs write", `require('fs').writeFileSync(a + '/x', 'y'); return 'written';`, "err:ERR_ACCESS_DENIED"},
		{"fs read outside", `return require('fs').readFileSync('/etc/hostname', 'utf8');`, "err:ERR_ACCESS_DENIED"},
		{"child_process", `return require('child_process').execSync('id').toString();`, "err:ERR_ACCESS_DENIED"},
		{"spawn", `require('child_process').spawn('true'); return 'spawned';`, "err:ERR_ACCESS_DENIED"},
		{"worker thread", `new (require('worker_threads').Worker)('1', {eval: true}); return 'started';`, "err:ERR_ACCESS_DENIED"},
		{"process.binding", `return typeof process.binding('fs');`, "err:ERR_ACCESS_DENIED"},
		{"dlopen", `process.dlopen({exports: {}}, '/x.node'); return 'loaded';`, "err:ERR_ACCESS_DENIED"},
		{"kill", `process.kill(process.ppid, 'SIGKILL'); return 'killed';`, "err:ERR_ACCESS_DENIED"},
		{"v8 flags", `require('v8').setFlagsFromString('--allow-natives-syntax'); return 'set';`, "err:ERR_ACCESS_DENIED"},
		{"inspector", `require('inspector').open(0); return 'open';`, "err:ERR_ACCESS_DENIED"},
		{"udp", `require('dgram'); return 'loaded';`, "err:ERR_ACCESS_DENIED"},
		{"server env", `return JSON.stringify(process.env);`, "ok:{}"},
	} {
		if got := probe(t, e, tc.body, dir); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: got %q, want %q…", tc.name, got, tc.want)
		}
	}
}

func TestEgressPolicy(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect-private":
			// Same port on another loopback address: a different
			// destination the allow entry below does not cover.
			http.Redirect(w, r, "http://127.0.0.2:"+strings.Split(r.Host, ":")[1]+"/hello", http.StatusFound)
		case "/redirect-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		default:
			_, _ = fmt.Fprint(w, `{"hello":"world"}`)
		}
	}))
	defer api.Close()
	port := strings.Split(api.URL, ":")[2]

	httpGet := `return await new Promise((res, rej) => require('http').get(a, (r) => { let b = ''; r.on('data', (c) => b += c); r.on('end', () => res(b)); }).on('error', rej));`
	fetchGet := `const r = await fetch(a); return await r.text();`

	deflt := newEngine(t, Options{})
	for _, tc := range []struct{ name, body, url, want string }{
		{"http loopback literal", httpGet, api.URL + "/x", "err:ECONNREFUSED:connect ECONNREFUSED 127.0.0.1:" + port + ": refused by the hook egress policy: loopback"},
		{"http name resolving to loopback", httpGet, "http://localhost:" + port + "/x", "refused by the hook egress policy: loopback"},
		{"fetch loopback", fetchGet, api.URL + "/x", "cause:ECONNREFUSED:connect ECONNREFUSED 127.0.0.1:" + port + ": refused by the hook egress policy"},
		{"metadata", httpGet, "http://169.254.169.254/latest/meta-data/", "refused by the hook egress policy: cloud metadata"},
		{"private", httpGet, "http://10.1.2.3:81/", "refused by the hook egress policy: private (RFC 1918)"},
		{"mapped loopback", `return await new Promise((res, rej) => require('net').connect({host: '::ffff:127.0.0.1', port: Number(a)}, () => res('connected')).on('error', rej));`, port, "refused by the hook egress policy: loopback"},
		{"dns servers", `require('dns').setServers(['10.0.0.1']); return 'set';`, "", "err:ECONNREFUSED:changing DNS servers is refused by the hook egress policy"},
	} {
		if got := probe(t, deflt, tc.body, tc.url); !strings.Contains(got, tc.want) {
			t.Errorf("default policy, %s: got %q, want …%q…", tc.name, got, tc.want)
		}
	}

	// An allow entry for the mock API's address lets hooks reach it; a
	// redirect elsewhere is checked again at its own connect.
	only, err := egress.New([]string{"127.0.0.1/32"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	allowed := newEngine(t, Options{Options: sandbox.Options{Egress: only}})
	for _, tc := range []struct{ name, body, url, want string }{
		{"http", httpGet, api.URL + "/x", `ok:{"hello":"world"}`},
		{"fetch", fetchGet, api.URL + "/x", `ok:{"hello":"world"}`},
		{"fetch redirect to another address", fetchGet, api.URL + "/redirect-private", "connect ECONNREFUSED 127.0.0.2:" + port + ": refused by the hook egress policy: loopback"},
		{"fetch redirect to metadata", fetchGet, api.URL + "/redirect-metadata", "refused by the hook egress policy: cloud metadata"},
	} {
		if got := probe(t, allowed, tc.body, tc.url); !strings.Contains(got, tc.want) {
			t.Errorf("allow 127.0.0.1/32, %s: got %q, want …%q…", tc.name, got, tc.want)
		}
	}

	// A deny entry overrides the allow entry.
	denied, err := egress.New([]string{"127.0.0.0/8"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{Options: sandbox.Options{Egress: denied}})
	if got := probe(t, e, httpGet, api.URL+"/x"); !strings.Contains(got, "refused by the hook egress policy: --hook-egress-deny 127.0.0.1/32") {
		t.Errorf("deny entry: got %q", got)
	}
}

func TestSocketBound(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()
	port := strings.Split(api.URL, ":")[2]
	e := newEngine(t, Options{Options: sandbox.Options{Egress: allowLoopback(t)}, MaxSockets: 5})
	got := probe(t, e, `
		const net = require('net');
		const socks = [];
		const results = await Promise.all(Array.from({length: 8}, () => new Promise((res) => {
			const s = net.connect({host: '127.0.0.1', port: Number(a)}, () => res('connected'));
			socks.push(s);
			s.on('error', (e) => res(e.code));
		})));
		socks.forEach((s) => s.destroy());
		return results.filter((r) => r === 'connected').length + '/' + results.filter((r) => r === 'EMFILE').length;`, port)
	if got != "ok:5/3" {
		t.Fatalf("got %q", got)
	}
}

// Hook code can write to the runner's own pipe (it runs in that process);
// what it writes there can only harm its own worker.
func TestForgedFrames(t *testing.T) {
	e := newEngine(t, Options{})
	script := `module.exports = (a, cb) => {
		if (a === 'forge') {
			const b = Buffer.alloc(13);
			b.writeUInt32LE(0x7fffffff, 0); // a frame far larger than any the parent accepts
			require('fs').writeSync(4, b);
			return;
		}
		cb(null, 'fine');
	};`
	_, err := run(t, e, sandbox.Invocation{Script: script, Args: args("forge")})
	if !errors.Is(err, sandbox.ErrCrashed) {
		t.Fatalf("got %v", err)
	}
	out := mustRun(t, e, sandbox.Invocation{Script: script, Args: args("ok")})
	if string(out.Response) != `"fine"` {
		t.Fatal(string(out.Response))
	}
}
