package jsvm

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

var update = flag.Bool("update", false, "rewrite golden files")

func run1(t *testing.T, e sandbox.Engine, script string) (sandbox.Outcome, error) {
	t.Helper()
	return e.Run(context.Background(), sandbox.Invocation{Script: script, Args: simpleArgs, Timeout: time.Second}, nil)
}

func TestRequire(t *testing.T) {
	e, _ := NewInProcess(sandbox.Options{})
	cases := []struct{ name, expr, want string }{
		{"md5 hex", `require('crypto').createHash('md5').update('abc').digest('hex')`, `"900150983cd24fb0d6963f7d28e17f72"`},
		{"sha1 base64", `require('crypto').createHash('sha1').update('abc').digest('base64')`, `"qZk+NkcGgWq6PiVxeFDCbJzQ2J0="`},
		{"sha256 chained", `require('crypto').createHash('sha256').update('a').update('bc').digest('hex')`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{"sha512 buffer", `require('crypto').createHash('sha512').update(Buffer.from('abc')).digest().length`, `64`},
		{"hmac", `require('node:crypto').createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex')`, `"f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"`},
		{"randomBytes", `require('crypto').randomBytes(16).toString('hex').length`, `32`},
		{"randomUUID", `/^[0-9a-f-]{36}$/.test(require('crypto').randomUUID())`, `true`},
		{"timingSafeEqual", `[require('crypto').timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')), require('crypto').timingSafeEqual(Buffer.from('ab'), Buffer.from('ac'))]`, `[true,false]`},
		{"url", `new (require('url').URL)('https://x.io/a?b=1').searchParams.get('b')`, `"1"`},
		{"querystring", `[require('querystring').stringify({a: [1, 2], b: 'x y'}), require('querystring').parse('a=1&a=2&b=x+y')]`, `["a=1&a=2&b=x%20y",{"a":["1","2"],"b":"x y"}]`},
		{"util", `[require('util').format('%s=%d', 'a', 1), require('util').inspect({a: [1]}), typeof require('util').promisify]`, `["a=1","{ a: [ 1 ] }","function"]`},
		{"buffer", `require('buffer').Buffer.from('aGk=', 'base64').toString()`, `"hi"`},
		{"events", `(() => { const E = require('events'); const e = new E(); let n = 0; e.on('x', v => n += v); e.once('x', v => n += 10); e.emit('x', 1); e.emit('x', 1); return n; })()`, `12`},
		{"assert", `(() => { const a = require('assert'); a.deepStrictEqual({x: [1]}, {x: [1]}); try { a.strictEqual(1, 2); } catch (e) { return e.name; } })()`, `"AssertionError"`},
		{"string_decoder", `(() => { const {StringDecoder} = require('string_decoder'); const d = new StringDecoder('utf8'); const b = Buffer.from('é'); return d.write(b.slice(0, 1)) + d.write(b.slice(1)); })()`, `"é"`},
		{"cached", `require('crypto') === require('node:crypto')`, `true`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, `+tc.expr+`);`)
			if err != nil || out.Err != nil || string(out.Response) != tc.want {
				t.Fatalf("got %s %v %+v, want %s", out.Response, err, out.Err, tc.want)
			}
		})
	}
	for _, name := range []string{"fs", "child_process", "net", "http", "os", "vm", "worker_threads", "node:fs", "lodash", "./local"} {
		t.Run("refuse "+name, func(t *testing.T) {
			out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, require('`+name+`'));`)
			if err != nil || out.Err == nil || out.Err.Name != "Error" || !strings.Contains(out.Err.Message, "Cannot find module") {
				t.Fatalf("got %s %v %+v", out.Response, err, out.Err)
			}
			wantWord := "not available to hooks"
			if name == "lodash" || name == "./local" {
				wantWord = "npm dependencies"
			}
			if !strings.Contains(out.Err.Message, wantWord) {
				t.Fatalf("message %q lacks %q", out.Err.Message, wantWord)
			}
		})
	}
}

// TestGlobals pins the exact set of global names a hook sees (architecture
// rule 6). Run with -update after a deliberate change.
func TestGlobals(t *testing.T) {
	e, _ := NewInProcess(sandbox.Options{})
	out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, Object.getOwnPropertyNames(globalThis).sort().join('\n') + '\n');`)
	if err != nil || out.Err != nil {
		t.Fatal(err, out.Err)
	}
	var got string
	if err := jsonUnmarshalString(out.Response, &got); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "globals.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("globals changed; got:\n%s", got)
	}
}

func TestModuleScopeAndIsolation(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) sandbox.Engine{
		"inprocess": func(t *testing.T) sandbox.Engine { e, _ := NewInProcess(sandbox.Options{}); return e },
		"pool":      func(t *testing.T) sandbox.Engine { return testPool(t, sandbox.Options{Workers: 2}) },
	} {
		t.Run(name, func(t *testing.T) {
			e := mk(t)
			counter := `let n = 0; const helper = x => x * 2; module.exports = (c, s, a, x, cb) => cb(null, helper(++n));`
			for i, want := range []string{"2", "4", "6"} {
				out, err := run1(t, e, counter)
				if err != nil || string(out.Response) != want {
					t.Fatalf("run %d: %s %v, want %s", i, out.Response, err, want)
				}
			}
			// Another version of the script starts fresh.
			out, _ := run1(t, e, counter+" ")
			if string(out.Response) != "2" {
				t.Fatalf("new version saw old module scope: %s", out.Response)
			}
			polluter := `globalThis.leak = 1; Object.prototype.polluted = 2; Array.prototype.push = () => 0; module.exports = (c, s, a, x, cb) => cb(null, 1);`
			if _, err := run1(t, e, polluter); err != nil {
				t.Fatal(err)
			}
			out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => { const r = []; r.push(1); cb(null, [typeof leak, ({}).polluted === undefined, r.length]); };`)
			if err != nil || string(out.Response) != `["undefined",true,1]` {
				t.Fatalf("isolation broken: %s %v", out.Response, err)
			}
			// Arguments are copies per execution.
			mut := `module.exports = (c, s, a, x, cb) => { const seen = s.length; s.push('x'); c.id = 'changed'; cb(null, [seen, c.id]); };`
			for i := 0; i < 2; i++ {
				out, err := run1(t, e, mut)
				if err != nil || string(out.Response) != `[1,"changed"]` {
					t.Fatalf("args not copied: %s %v", out.Response, err)
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		name, script string
		line, col    int
	}{
		{"syntax line 1", `module.exports = function ( {`, 1, 0},
		{"syntax line 3", "const a = 1;\nconst b = 2;\nconst c = ;\nmodule.exports = () => {};", 3, 11},
		{"unclosed", "module.exports = function () {\n  if (x) {\n", 0, 0},
		{"duplicate let", "let a = 1;\nlet a = 2;\nmodule.exports = () => {};", 2, 0},
	}
	e, _ := NewInProcess(sandbox.Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ce *sandbox.CompileError
			if err := Check(tc.script); !errors.As(err, &ce) {
				t.Fatalf("Check = %v", err)
			}
			if (tc.line > 0 && ce.Line != tc.line) || (tc.col > 0 && ce.Column != tc.col) || ce.Line < 1 || ce.Message == "" {
				t.Fatalf("got %+v, want line %d col %d", ce, tc.line, tc.col)
			}
			_, err := run1(t, e, tc.script)
			var ce2 *sandbox.CompileError
			if !errors.As(err, &ce2) || *ce2 != *ce {
				t.Fatalf("Run err = %v, want %v", err, ce)
			}
		})
	}
	if err := Check(benignScript); err != nil {
		t.Fatalf("Check(valid) = %v", err)
	}
	// Check never executes: a script whose top level would loop compiles fine.
	if err := Check(`while (true) {} module.exports = () => {};`); err != nil {
		t.Fatal(err)
	}
}

func jsonUnmarshalString(b []byte, s *string) error { return json.Unmarshal(b, s) }

// TestNodeURLAndBase64Globals: Auth0 hook code written for Node calls the
// legacy url API (url.parse, url.format, url.resolve) and the atob/btoa
// globals; the runtime chooser keeps such hooks on the embedded engine
// (url is one of its modules), so they must behave as in Node. The expected
// values are what Node 20 prints for the same expressions.
func TestNodeURLAndBase64Globals(t *testing.T) {
	e, _ := NewInProcess(sandbox.Options{})
	cases := []struct{ name, expr, want string }{
		{"parse full", `(() => { const u = require('url').parse('https://user:pw@A.Example.com:8443/p/a?q=1&r=2#h', true); return [u.protocol, u.slashes, u.auth, u.host, u.port, u.hostname, u.hash, u.search, u.query, u.pathname, u.path, u.href]; })()`,
			`["https:",true,"user:pw","a.example.com:8443","8443","a.example.com","#h","?q=1&r=2",{"q":"1","r":"2"},"/p/a","/p/a?q=1&r=2","https://user:pw@a.example.com:8443/p/a?q=1&r=2#h"]`},
		{"parse string query", `(() => { const u = require('url').parse('http://api.internal/v1/users?id=7'); return [u.host, u.port, u.pathname, u.query, u.path, u.href]; })()`,
			`["api.internal",null,"/v1/users","id=7","/v1/users?id=7","http://api.internal/v1/users?id=7"]`},
		{"parse path only", `(() => { const u = require('url').parse('/just/a/path?x=1'); return [u.protocol, u.host, u.pathname, u.query, u.href]; })()`,
			`[null,null,"/just/a/path","x=1","/just/a/path?x=1"]`},
		{"parse ipv6", `(() => { const u = require('url').parse('http://[::1]:3000/x'); return [u.host, u.hostname, u.port]; })()`,
			`["[::1]:3000","::1","3000"]`},
		{"parse no path", `(() => { const u = require('url').parse('https://example.com'); return [u.pathname, u.path, u.href, u.query, u.search]; })()`,
			`["/","/","https://example.com/",null,null]`},
		{"parse no query, parsed", `(() => { const u = require('node:url').parse('https://example.com', true); return [u.query, u.search]; })()`,
			`[{},null]`},
		{"format object", `require('url').format({protocol: 'https', hostname: 'api.example.com', pathname: '/v1/x', query: {a: 1, b: 'x y'}})`,
			`"https://api.example.com/v1/x?a=1&b=x%20y"`},
		{"format host search hash", `require('url').format({protocol: 'http:', host: 'h:81', pathname: 'p', hash: 'f', search: 'q=1'})`,
			`"http://h:81/p?q=1#f"`},
		{"format parsed", `require('url').format(require('url').parse('HTTP://u@H.io:80/a?b#c'))`, `"http://u@h.io:80/a?b#c"`},
		{"format string", `require('url').format('http://x.io/a?b=1')`, `"http://x.io/a?b=1"`},
		{"format URL", `require('url').format(new (require('url').URL)('https://x.io/a?b=1'))`, `"https://x.io/a?b=1"`},
		{"resolve", `[require('url').resolve('http://example.com/one/two', 'three'), require('url').resolve('http://example.com/one', '/two'), require('url').resolve('/one/two/three', 'four'), require('url').resolve('http://example.com/', 'https://other.example/x')]`,
			`["http://example.com/one/three","http://example.com/two","/one/two/four","https://other.example/x"]`},
		{"URL relative to a base", `[new URL('three', 'http://example.com/one/two').href, new URL('../x?y=1', 'http://example.com/a/b/c').href, new (require('url').URL)('users/7', 'https://api.example.com/v2/').href, require('url').URL === URL, new URL('?q=1', 'https://a.io/p/q').href, new URL('//b.io/z', 'https://a.io/p').href, new URL('/abs', 'https://a.io/p/q').href]`,
			`["http://example.com/one/three","http://example.com/a/x?y=1","https://api.example.com/v2/users/7",true,"https://a.io/p/q?q=1","https://b.io/z","https://a.io/abs"]`},
		{"Buffer encodings", `[Buffer.from('-_8', 'base64url').toString('hex'), Buffer.from('hi there').toString('base64url'), Buffer.from([233]).toString('latin1'), Buffer.from('\u00e9', 'binary').length, Buffer.from([104, 105]).toString('ascii'), Buffer.byteLength('aGk', 'base64'), Buffer.byteLength('\u00e9'), Buffer.isEncoding('base64url'), JSON.stringify(Buffer.from('a')), Buffer.from('abc').toString('utf8', 1, 2), Buffer.from('aGk=', 'base64').toString()]`,
			`["fbff","aGkgdGhlcmU","é",1,"hi",2,2,true,"{\"type\":\"Buffer\",\"data\":[97]}","b","hi"]`},
		{"URL still there", `new (require('url').URL)('https://x.io/?b=1').searchParams.get('b')`, `"1"`},
		{"atob btoa", `[btoa('hello'), atob('aGVsbG8='), btoa('\u00e9'), atob(' aGk= ')]`, `["aGVsbG8=","hello","6Q==","hi"]`},
		{"btoa refuses wide chars", `(() => { try { btoa('\u20ac'); } catch (e) { return e.name; } })()`, `"InvalidCharacterError"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, `+tc.expr+`);`)
			if err != nil || out.Err != nil || string(out.Response) != tc.want {
				t.Fatalf("got %s %v %+v, want %s", out.Response, err, out.Err, tc.want)
			}
		})
	}
}
