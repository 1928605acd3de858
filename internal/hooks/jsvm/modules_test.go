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
