package jsvm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/egress"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// engines builds each engine kind with opts, for tests that must hold for
// both the worker pool and the in-process engine. Under -short only the
// in-process engine runs (the pool runs the same engine behind its pipe,
// which TestPoolSemantics keeps in the fast loop).
func engines(t *testing.T, opts sandbox.Options) map[string]sandbox.Engine {
	t.Helper()
	in, err := NewInProcess(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	if testing.Short() {
		return map[string]sandbox.Engine{"inprocess": in}
	}
	return map[string]sandbox.Engine{"inprocess": in, "pool": testPool(t, opts)}
}

func loopbackPolicy(t *testing.T, deny ...string) *egress.Policy {
	t.Helper()
	p, err := egress.New([]string{"127.0.0.0/8"}, deny)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runInv(t *testing.T, e sandbox.Engine, inv sandbox.Invocation) (sandbox.Outcome, error) {
	t.Helper()
	if inv.Args == nil {
		inv.Args = simpleArgs
	}
	if inv.Timeout == 0 {
		inv.Timeout = 5 * time.Second
	}
	return e.Run(context.Background(), inv, nil)
}

func wantResponse(t *testing.T, out sandbox.Outcome, err error, want string) {
	t.Helper()
	if err != nil || out.Err != nil || string(out.Response) != want {
		t.Fatalf("got %s (err %v, hook error %+v, logs %q), want %s", out.Response, err, out.Err, joinLogs(out.Logs), want)
	}
}

// mockAPI is a loopback HTTP server standing in for the APIs hooks call.
func mockAPI(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		fmt.Fprintf(w, `{"method":%q,"ua":%q,"auth":%q}`, r.Method, r.UserAgent(), r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(201)
		_, _ = w.Write(b)
	})
	mux.HandleFunc("/path/", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.URL.RequestURI()) })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", 404) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFetch(t *testing.T) {
	api := mockAPI(t)
	port := api.Listener.Addr().(*net.TCPAddr).Port
	for name, e := range engines(t, sandbox.Options{Egress: loopbackPolicy(t, "127.0.0.2")}) {
		t.Run(name, func(t *testing.T) {
			cases := []struct{ name, body, want string }{
				{"get json", `const r = await fetch(U + '/json', {headers: {Authorization: 'Bearer t'}});
					return [r.status, r.ok, r.statusText, r.headers.get('content-type'), r.headers.get('x-multi'), await r.json()];`,
					`[200,true,"OK","application/json","a, b",{"method":"GET","ua":"node","auth":"Bearer t"}]`},
				{"path as written", `const r = await fetch(U + '/path/v2/?q=1'); return [await r.text(), r.url === U + '/path/v2/?q=1', new Request(U + '/path/a/').url === U + '/path/a/'];`,
					`["/path/v2/?q=1",true,true]`},
				{"post body", `const r = await fetch(new Request(U + '/echo', {method: 'post', body: JSON.stringify({a: 1}), headers: {'content-type': 'application/json'}}));
					return [r.status, r.ok, await r.text(), r.bodyUsed];`, `[201,true,"{\"a\":1}",true]`},
				{"form body", `const r = await fetch(U + '/echo', {method: 'POST', body: new URLSearchParams({a: 'x y'})});
					return [r.headers.get('content-type'), await r.text()];`, `["application/x-www-form-urlencoded;charset=UTF-8","a=x+y"]`},
				{"binary body", `const r = await fetch(U + '/echo', {method: 'PUT', body: Buffer.from([1, 2, 255])});
					return Array.from(new Uint8Array(await r.arrayBuffer()));`, `[1,2,255]`},
				{"404", `const r = await fetch(U + '/missing'); return [r.status, r.ok, (await r.text()).trim()];`, `[404,false,"nope"]`},
				{"redirect followed", `const r = await fetch(U + '/redirect?to=/json'); return [r.status, r.redirected, r.url === U + '/json'];`, `[200,true,true]`},
				{"redirect manual", `const r = await fetch(U + '/redirect?to=/json', {redirect: 'manual'}); return [r.status, r.headers.get('location')];`, `[302,"/json"]`},
				{"redirect error", `try { await fetch(U + '/redirect?to=/json', {redirect: 'error'}); return 'no'; } catch (e) { return e.name; }`, `"TypeError"`},
				{"redirect to denied address", `try { await fetch(U + '/redirect?to=' + encodeURIComponent('http://127.0.0.2:` + strconv.Itoa(port) + `/json')); return 'reached'; }
					catch (e) { return [e.name, e.cause.code, /egress policy/.test(e.message), /127\.0\.0\.2/.test(e.cause.message)]; }`, `["TypeError","ECONNREFUSED",true,true]`},
				{"body twice", `const r = await fetch(U + '/json'); await r.text(); try { await r.text(); return 'twice'; } catch (e) { return e.name; }`, `"TypeError"`},
				{"clone", `const r = await fetch(U + '/json'); const c = r.clone(); return [(await r.json()).method, (await c.json()).method];`, `["GET","GET"]`},
				{"body cap", `try { await fetch(U + '/big?n=` + strconv.Itoa(maxFetchBody+1) + `'); return 'read'; } catch (e) { return e.cause.code; }`, `"ERR_BODY_TOO_LARGE"`},
				{"bad url", `try { await fetch('not a url'); return 'ok'; } catch (e) { return e.name; }`, `"TypeError"`},
				{"bad scheme", `try { await fetch('file:///etc/passwd'); return 'read'; } catch (e) { return [e.name, /scheme/.test(e.message)]; }`, `["TypeError",true]`},
				{"abort", `const c = new AbortController(); const p = fetch(U + '/json', {signal: c.signal}); c.abort(); try { await p; return 'done'; } catch (e) { return e.name; }`, `"AbortError"`},
				{"callbacks", `return new Promise((res) => fetch(U + '/json').then(r => r.json()).then(j => res(j.method)));`, `"GET"`},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					script := `const U = ` + strconv.Quote(api.URL) + `; module.exports = async () => { ` + tc.body + ` };`
					out, err := runInv(t, e, sandbox.Invocation{Script: script})
					wantResponse(t, out, err, tc.want)
				})
			}
		})
	}
}

// TestFetchDefaultPolicy: without allow entries a hook cannot reach
// loopback, by address or by a name resolving to it, nor the metadata IP.
func TestFetchDefaultPolicy(t *testing.T) {
	api := mockAPI(t)
	port := strconv.Itoa(api.Listener.Addr().(*net.TCPAddr).Port)
	for name, e := range engines(t, sandbox.Options{}) {
		t.Run(name, func(t *testing.T) {
			for _, u := range []string{"http://127.0.0.1:" + port + "/json", "http://localhost:" + port + "/json", "http://[::ffff:127.0.0.1]:" + port + "/json", "http://169.254.169.254/latest/meta-data/"} {
				script := `module.exports = async () => { try { await fetch(` + strconv.Quote(u) + `); return 'reached'; } catch (e) { return [e.cause.code, e.message]; } };`
				out, err := runInv(t, e, sandbox.Invocation{Script: script})
				if err != nil || out.Err != nil || !strings.Contains(string(out.Response), `"ECONNREFUSED"`) || !strings.Contains(string(out.Response), "egress policy") {
					t.Fatalf("%s: %s %v %+v", u, out.Response, err, out.Err)
				}
			}
		})
	}
}

// TestFetchDeadline: a request that does not answer counts against the
// hook's deadline.
func TestFetchDeadline(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	for name, e := range engines(t, sandbox.Options{Egress: loopbackPolicy(t)}) {
		t.Run(name, func(t *testing.T) {
			script := `module.exports = async () => { await fetch(` + strconv.Quote(hang.URL) + `); return 'answered'; };`
			out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, Args: simpleArgs, Timeout: 300 * time.Millisecond}, nil)
			if err != sandbox.ErrTimeout {
				t.Fatalf("err = %v (%s %+v), want ErrTimeout", err, out.Response, out.Err)
			}
		})
	}
}

func TestWebGlobals(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{}) {
		t.Run(name, func(t *testing.T) {
			cases := []struct{ name, expr, want string }{
				{"global", `[global === globalThis, typeof global.fetch]`, `[true,"function"]`},
				{"headers", `(() => { const h = new Headers({'X-A': '1'}); h.append('x-a', '2'); h.set('B', 'c'); return [h.get('x-a'), h.has('b'), [...h.keys()], h.get('none')]; })()`, `["1, 2",true,["b","x-a"],null]`},
				{"response json", `(() => { const r = Response.json({a: 1}, {status: 202}); return [r.status, r.headers.get('content-type')]; })()`, `[202,"application/json"]`},
				{"response status range", `(() => { try { new Response('', {status: 99}); } catch (e) { return e.name; } })()`, `"RangeError"`},
				{"get with body", `(() => { try { new Request('http://x.test/', {body: 'a'}); } catch (e) { return e.name; } })()`, `"TypeError"`},
			}
			for _, tc := range cases {
				out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, `+tc.expr+`);`)
				if err != nil || out.Err != nil || string(out.Response) != tc.want {
					t.Fatalf("%s: got %s %v %+v, want %s", tc.name, out.Response, err, out.Err, tc.want)
				}
			}
			out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => { console.dir({a: [1, {b: 'x'}]}); cb(null, 1); };`)
			if err != nil || len(out.Logs) != 1 || out.Logs[0].Text != `{ a: [ 1, { b: 'x' } ] }` || out.Logs[0].Level != "log" {
				t.Fatalf("console.dir: %v %+v", err, out.Logs)
			}
		})
	}
}

// TestProcessEnv: process.env is the execution's own object, seeded with
// Invocation.Env; a write stays in its execution although the runtime (and
// module scope) is warm and reused.
func TestProcessEnv(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{Workers: 1}) {
		t.Run(name, func(t *testing.T) {
			script := `let runs = 0; module.exports = (c, s, a, x, cb) => {
				const seen = [process.env.API_KEY, process.env.LEFT];
				process.env.LEFT = 'written'; process.env.API_KEY = 'changed';
				cb(null, [++runs, seen, Object.keys(process.env).sort()]); };`
			out, err := runInv(t, e, sandbox.Invocation{Script: script, Env: map[string]string{"API_KEY": "one"}})
			wantResponse(t, out, err, `[1,["one",null],["API_KEY","LEFT"]]`)
			out, err = runInv(t, e, sandbox.Invocation{Script: script, Env: map[string]string{"API_KEY": "two", "X": "y"}})
			wantResponse(t, out, err, `[2,["two",null],["API_KEY","LEFT","X"]]`)
		})
	}
}

// memStorage is a sandbox.Storage with the contract's versioning, for the
// runtime's plumbing; the persistent implementations have their own
// conformance suite (internal/storage/storagetest).
type memStorage struct {
	mu      sync.Mutex
	data    json.RawMessage
	version int
	sets    int
}

func (m *memStorage) Get(context.Context) (json.RawMessage, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, "", nil
	}
	return m.data, strconv.Itoa(m.version), nil
}

func (m *memStorage) Set(_ context.Context, data json.RawMessage, ifVersion string, force bool) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := ""
	if m.data != nil {
		cur = strconv.Itoa(m.version)
	}
	if !force && ifVersion != cur {
		return "", sandbox.ErrStorageConflict
	}
	m.data = append(json.RawMessage(nil), data...)
	m.version++
	m.sets++
	return strconv.Itoa(m.version), nil
}

func (m *memStorage) bump() {
	m.mu.Lock()
	m.version++
	m.mu.Unlock()
}

func TestWebtaskStorage(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{}) {
		t.Run(name, func(t *testing.T) {
			counter := `module.exports = (c, s, a, context, cb) => {
				context.webtask.storage.get((err, data) => {
					if (err) return cb(err);
					data = data || {count: 0};
					data.count++;
					context.webtask.storage.set(data, err => err ? cb(null, {code: err.code, message: err.message}) : cb(null, data));
				}); };`
			st := &memStorage{}
			for i := 1; i <= 2; i++ {
				out, err := runInv(t, e, sandbox.Invocation{Script: counter, ContextArg: 3, Storage: st})
				wantResponse(t, out, err, fmt.Sprintf(`{"count":%d}`, i))
			}
			// Someone else writes between get and set: 409; force wins.
			st2 := &memStorage{data: json.RawMessage(`{"count":1}`), version: 1}
			stBump := &bumpingStorage{memStorage: st2}
			script := `module.exports = (c, s, a, context, cb) => {
				context.webtask.storage.get(() => {
					context.webtask.storage.set({count: 100}, err => {
						const code = err && err.code;
						context.webtask.storage.set({count: 100}, {force: 1}, err2 => cb(null, [code, err2 || null, JSON.stringify(context)]));
					});
				}); };`
			out, err := runInv(t, e, sandbox.Invocation{Script: script, ContextArg: 3, Storage: stBump})
			wantResponse(t, out, err, `[409,null,"{\"ip\":\"127.0.0.1\",\"webtask\":{\"secrets\":{\"KEY\":\"s3cret\"},\"meta\":{}}}"]`)
			if string(st2.data) != `{"count":100}` {
				t.Fatalf("forced write not stored: %s", st2.data)
			}
			// Too large, and no storage at all.
			big := `module.exports = (c, s, a, context, cb) => context.webtask.storage.set({a: 'x'.repeat(600 * 1024)}, err => cb(null, err && err.code));`
			out, err = runInv(t, e, sandbox.Invocation{Script: big, ContextArg: 3, Storage: &memStorage{}})
			wantResponse(t, out, err, `400`)
			none := `module.exports = (c, s, a, context, cb) => context.webtask.storage.get((err, d) => context.webtask.storage.set({a: 1}, err2 => cb(null, [err, d === undefined, /not available/.test(err2.message)])));`
			out, err = runInv(t, e, sandbox.Invocation{Script: none, ContextArg: 3})
			wantResponse(t, out, err, `[null,true,true]`)
		})
	}
}

// bumpingStorage changes the stored version behind the hook's back right
// after each Get, as another replica's write would.
type bumpingStorage struct{ *memStorage }

func (b *bumpingStorage) Get(ctx context.Context) (json.RawMessage, string, error) {
	d, v, err := b.memStorage.Get(ctx)
	b.memStorage.bump()
	return d, v, err
}
