package noderun

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

func run(t *testing.T, e *Engine, inv sandbox.Invocation) (sandbox.Outcome, error) {
	t.Helper()
	if inv.ContextArg == 0 && len(inv.Args) == 0 {
		inv.ContextArg = -1
	}
	return e.Run(context.Background(), inv, nil)
}

func mustRun(t *testing.T, e *Engine, inv sandbox.Invocation) sandbox.Outcome {
	t.Helper()
	out, err := run(t, e, inv)
	if err != nil {
		t.Fatalf("Run: %v (logs %v)", err, out.Logs)
	}
	if out.Err != nil {
		t.Fatalf("hook failed: %v (logs %v)", out.Err, out.Logs)
	}
	return out
}

func TestSimpleHook(t *testing.T) {
	e := newEngine(t, Options{})
	out := mustRun(t, e, sandbox.Invocation{
		Script: `module.exports = function (client, scope, audience, context, cb) {
			console.log('hello', client.id, typeof scope);
			cb(null, {accessToken: {scope: ['read:x'], 'https://ex/c': audience + '!'}});
		};`,
		Args:       append(args(map[string]string{"id": "c1"}), nil, []byte(`"api"`), []byte(`{}`)),
		ContextArg: 3,
	})
	if got := string(out.Response); got != `{"accessToken":{"scope":["read:x"],"https://ex/c":"api!"}}` {
		t.Fatalf("response %s", got)
	}
	if len(out.Logs) != 1 || out.Logs[0].Text != "hello c1 undefined" || out.Logs[0].Level != "log" {
		t.Fatalf("logs %+v", out.Logs)
	}
	if !strings.HasPrefix(e.Node().Version, "v") {
		t.Fatalf("version %q", e.Node().Version)
	}
}

func TestAsyncHookAndPromise(t *testing.T) {
	e := newEngine(t, Options{})
	out := mustRun(t, e, sandbox.Invocation{
		Script: `const util = require('util');
		const sleep = util.promisify(setTimeout);
		module.exports = async function (client, scope, audience, context, cb) {
			await sleep(5);
			console.info('after sleep');
			return {n: 1};
		};`,
		Args: args(map[string]string{}, nil, "a", map[string]any{}),
	})
	if string(out.Response) != `{"n":1}` || out.Logs[0].Level != "info" {
		t.Fatalf("response %s logs %+v", out.Response, out.Logs)
	}
}

// TestAsyncHookCallingCbLater: a hook that takes cb answers through it,
// as on Auth0: an async function calling cb from a callback after its
// Promise resolved (with nothing) still gives cb's answer.
func TestAsyncHookCallingCbLater(t *testing.T) {
	e := newEngine(t, Options{})
	out := mustRun(t, e, sandbox.Invocation{
		Script: `module.exports = async function (a, cb) { setTimeout(() => cb(null, {late: true}), 5); };`,
		Args:   args(1),
	})
	if string(out.Response) != `{"late":true}` || out.Err != nil {
		t.Fatalf("response %s err %+v", out.Response, out.Err)
	}
}

// TestUnhandledRejection: a rejection nobody handles fails the execution
// at once when nothing else is pending; one the hook awaits later, after
// other work, is handled (Node 12's behaviour, and the embedded engine's).
func TestUnhandledRejection(t *testing.T) {
	e := newEngine(t, Options{})
	out, err := run(t, e, sandbox.Invocation{Script: `module.exports = (a, cb) => { Promise.reject(new ServerError('nobody')).then(() => cb(null, 1)); };`, Args: args(1)})
	if err != nil || out.Err == nil || out.Err.Name != "ServerError" || out.Err.Message != "nobody" {
		t.Fatalf("unhandled: %+v %v", out.Err, err)
	}
	out = mustRun(t, e, sandbox.Invocation{Script: `module.exports = async (a) => {
  const slow = new Promise(r => setTimeout(() => r('slow'), 50));
  const failing = new Promise((_, rej) => setTimeout(() => rej(new Error('late')), 1));
  const v = await slow;
  try { await failing; } catch (e) { return [v, e.message]; }
};`, Args: args(1)})
	if string(out.Response) != `["slow","late"]` || out.Err != nil {
		t.Fatalf("awaited later: %s %+v", out.Response, out.Err)
	}
}

func TestErrorClasses(t *testing.T) {
	e := newEngine(t, Options{})
	for _, tc := range []struct{ script, name, msg string }{
		{`module.exports = (a, cb) => cb(new InvalidScopeError('bad scope'));`, "InvalidScopeError", "bad scope"},
		{`module.exports = (a, cb) => cb(new InvalidRequestError('bad req'));`, "InvalidRequestError", "bad req"},
		{`module.exports = (a, cb) => cb(new ServerError('boom'));`, "ServerError", "boom"},
		{`module.exports = async (a) => { throw new TypeError('t'); };`, "TypeError", "t"},
		{`module.exports = (a, cb) => { throw new Error('thrown'); };`, "Error", "thrown"},
		{`module.exports = (a, cb) => cb('plain string');`, "", "plain string"},
		{`module.exports = (a, cb) => cb({message: 'denied by policy', code: 'x'});`, "", "denied by policy"},
		{`module.exports = (a, cb) => cb({name: 'InvalidScopeError', message: 'no'});`, "InvalidScopeError", "no"},
		{`module.exports = (a, cb) => setTimeout(() => { null.x; }, 1);`, "TypeError", "Cannot read properties of null (reading 'x')"},
		{`module.exports = (a, cb) => cb(new Error('x'.repeat(5000)));`, "Error", strings.Repeat("x", sandbox.MaxErrorMessage) + "…"},
		{`module.exports = (a, cb) => { process.exit(1); };`, "Error", "process.exit is not available to hooks"},
		// A package that is not installed (required, not declared): Node's
		// text without its "Require stack" of the runner's paths.
		{`module.exports = (a, cb) => { require('tokenhook-no-such-package'); };`, "Error", "Cannot find module 'tokenhook-no-such-package'"},
	} {
		out, err := run(t, e, sandbox.Invocation{Script: tc.script, ScriptKey: tc.script, Args: args(1)})
		if err != nil {
			t.Fatalf("%s: %v", tc.script, err)
		}
		if out.Err == nil || out.Err.Name != tc.name || out.Err.Message != tc.msg {
			t.Fatalf("%s: got %+v", tc.script, out.Err)
		}
	}
	// The class identity a hook tests for holds too.
	out := mustRun(t, e, sandbox.Invocation{
		Script: `module.exports = (a, cb) => { const e = new InvalidScopeError('m'); cb(null, [e instanceof Error, e.name, String(e)]); };`,
		Args:   args(1),
	})
	if string(out.Response) != `[true,"InvalidScopeError","InvalidScopeError: m"]` {
		t.Fatalf("got %s", out.Response)
	}
}

func TestCompileErrors(t *testing.T) {
	e := newEngine(t, Options{})
	_, err := run(t, e, sandbox.Invocation{Script: "module.exports = function (a, cb) {\n  cb(null, {;\n};", Args: args(1)})
	var ce *sandbox.CompileError
	if !errors.As(err, &ce) || ce.Line != 2 {
		t.Fatalf("got %v", err)
	}
	_, err = run(t, e, sandbox.Invocation{Script: "module.exports = 42;", ScriptKey: "notfn", Args: args(1)})
	if !errors.As(err, &ce) || ce.Line != 0 || !strings.Contains(ce.Message, "not a function") {
		t.Fatalf("got %v", err)
	}
}

func TestTimeoutAndRecovery(t *testing.T) {
	e := newEngine(t, Options{})
	// A callback never called: the runner answers its own deadline.
	_, err := run(t, e, sandbox.Invocation{Script: `module.exports = (a, cb) => {};`, ScriptKey: "never", Args: args(1), Timeout: 300 * time.Millisecond})
	if !errors.Is(err, sandbox.ErrTimeout) {
		t.Fatalf("never-called cb: %v", err)
	}
	// A blocked event loop: the parent kills the worker.
	loop := `let n = 0; module.exports = (a, cb) => { n++; if (a === 'spin') { for (;;) {} } cb(null, n); };`
	_, err = run(t, e, sandbox.Invocation{Script: loop, ScriptKey: "loop", Args: args("spin"), Timeout: 300 * time.Millisecond})
	if !errors.Is(err, sandbox.ErrTimeout) {
		t.Fatalf("spin: %v", err)
	}
	// The hook's next execution runs on a fresh worker (n starts over).
	out := mustRun(t, e, sandbox.Invocation{Script: loop, ScriptKey: "loop", Args: args("ok")})
	if string(out.Response) != "1" {
		t.Fatalf("after kill: %s", out.Response)
	}
}

func TestMemoryOverrun(t *testing.T) {
	e := newEngine(t, Options{Options: sandbox.Options{MemoryLimit: 64 << 20}})
	for name, script := range map[string]string{
		"heap":   `module.exports = (a, cb) => { const k = []; for (;;) k.push({a: Math.random(), b: 'x' + Math.random()}); };`,
		"buffer": `module.exports = (a, cb) => { const k = []; const t = setInterval(() => { for (let i = 0; i < 16; i++) k.push(Buffer.alloc(1 << 20, 1)); }, 1); };`,
	} {
		_, err := run(t, e, sandbox.Invocation{Script: script, ScriptKey: name, Args: args(1), Timeout: 20 * time.Second})
		if !errors.Is(err, sandbox.ErrMemory) {
			t.Fatalf("%s: got %v", name, err)
		}
	}
	out := mustRun(t, e, sandbox.Invocation{Script: `module.exports = (a, cb) => cb(null, 'fine');`, Args: args(1)})
	if string(out.Response) != `"fine"` {
		t.Fatal(string(out.Response))
	}
}

func TestCrashAnswersAndServerKeepsServing(t *testing.T) {
	e := newEngine(t, Options{})
	// process.abort() ends the worker from inside.
	script := `module.exports = (a, cb) => { if (a === 'die') process.abort(); cb(null, 'alive'); };`
	_, err := run(t, e, sandbox.Invocation{Script: script, Args: args("die")})
	if !errors.Is(err, sandbox.ErrCrashed) {
		t.Fatalf("got %v", err)
	}
	out := mustRun(t, e, sandbox.Invocation{Script: script, Args: args("ok")})
	if string(out.Response) != `"alive"` {
		t.Fatal(string(out.Response))
	}
}

func TestModuleStateIsolation(t *testing.T) {
	e := newEngine(t, Options{})
	script := `let n = 0; module.exports = (a, cb) => { n++; globalThis.seen = (globalThis.seen || 0) + 1; cb(null, [n, globalThis.seen]); };`
	get := func(key string, isolated bool) string {
		out := mustRun(t, e, sandbox.Invocation{Script: script, ScriptKey: key, Args: args(1), Isolated: isolated})
		return string(out.Response)
	}
	// Warm module state is kept per key, never shared between keys.
	if a, b, c := get("A", false), get("A", false), get("B", false); a != "[1,1]" || b != "[2,2]" || c != "[1,1]" {
		t.Fatalf("A %s, A %s, B %s", a, b, c)
	}
	// Isolated runs see fresh state every time and leave A's alone.
	if i1, i2 := get("A", true), get("A", true); i1 != "[1,1]" || i2 != "[1,1]" {
		t.Fatalf("isolated %s %s", i1, i2)
	}
	if a := get("A", false); a != "[3,3]" {
		t.Fatalf("A after isolated: %s", a)
	}
}

func TestEnvPerExecution(t *testing.T) {
	e := newEngine(t, Options{})
	script := `module.exports = (a, cb) => {
		const before = process.env.SECRET;
		process.env.SECRET = 'changed';
		setTimeout(() => cb(null, [before, process.env.SECRET, Object.keys(process.env).sort(), process.env.PATH === undefined]), a);
	};`
	ctx := context.Background()
	type res struct {
		out sandbox.Outcome
		err error
	}
	ch := make(chan res, 2)
	for i, v := range []string{"one", "two"} {
		go func() {
			out, err := e.Run(ctx, sandbox.Invocation{Script: script, ScriptKey: "env", Args: args(20 * (i + 1)), ContextArg: -1, Env: map[string]string{"SECRET": v, "OTHER_" + v: "x"}}, nil)
			ch <- res{out, err}
		}()
	}
	got := map[string]bool{}
	for range 2 {
		r := <-ch
		if r.err != nil || r.out.Err != nil {
			t.Fatal(r.err, r.out.Err)
		}
		got[string(r.out.Response)] = true
	}
	for _, want := range []string{`["one","changed",["OTHER_one","SECRET"],true]`, `["two","changed",["OTHER_two","SECRET"],true]`} {
		if !got[want] {
			t.Fatalf("missing %s in %v", want, got)
		}
	}
}

func TestFireAndForgetLogs(t *testing.T) {
	e := newEngine(t, Options{})
	ended := make(chan struct{}, 10)
	e.testDone = func() { ended <- struct{}{} }
	sink := newLogSink()
	script := `module.exports = (a, cb) => {
		console.log('before');
		cb(null, 'answered');
		setTimeout(() => console.log('after the answer'), 50);
	};`
	out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, ScriptKey: "ff", Args: args(1), ContextArg: -1}, sink.add)
	if err != nil || string(out.Response) != `"answered"` {
		t.Fatal(err, string(out.Response))
	}
	if len(out.Logs) != 1 || out.Logs[0].Text != "before" {
		t.Fatalf("outcome logs %+v", out.Logs)
	}
	sink.waitFor(t, "after the answer", 10*time.Second)
	<-ended

	// Work left running past the deadline is stopped: an interval logs a
	// few lines, then nothing once its execution's deadline passed.
	sink2 := newLogSink()
	_, err = e.Run(context.Background(), sandbox.Invocation{
		Script:    intervalScript,
		ScriptKey: "interval", Args: args(1), ContextArg: -1, Timeout: 300 * time.Millisecond,
	}, sink2.add)
	if err != nil {
		t.Fatal(err)
	}
	sink2.waitFor(t, "tick 2", 10*time.Second)
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("interval execution never ended")
	}
	n := len(sink2.texts())
	// The runner reported the execution's end: no line of it can follow.
	out, err = e.Run(context.Background(), sandbox.Invocation{Script: intervalScript, ScriptKey: "interval", Args: args(2), ContextArg: -1}, nil)
	if err != nil || string(out.Response) != "2" {
		t.Fatal(err, string(out.Response))
	}
	if m := len(sink2.texts()); m != n {
		t.Fatalf("lines after the end: %v", sink2.texts()[n:])
	}
}

const intervalScript = `module.exports = (a, cb) => {
	cb(null, a);
	if (a === 1) { let i = 0; setInterval(() => console.log('tick ' + (i++)), 20); }
};`

func TestConsoleFloodBounded(t *testing.T) {
	e := newEngine(t, Options{})
	out := mustRun(t, e, sandbox.Invocation{
		Script: `module.exports = (a, cb) => { for (let i = 0; i < 100000; i++) console.log('line ' + i); console.dir({a: {b: 1}}); cb(null, 1); };`,
		Args:   args(1),
	})
	if len(out.Logs) != maxLogLines+1 || !strings.Contains(out.Logs[maxLogLines].Text, "log limit reached") {
		t.Fatalf("%d lines, last %+v", len(out.Logs), out.Logs[len(out.Logs)-1])
	}
	// The line that crosses the byte budget keeps the part that fits.
	out = mustRun(t, e, sandbox.Invocation{
		Script: `module.exports = (a, cb) => { console.log('start'); console.log('é'.repeat(200 * 1024)); console.log('after'); cb(null, 1); };`,
		Args:   args(1),
	})
	if len(out.Logs) != 3 || out.Logs[0].Text != "start" || !strings.Contains(out.Logs[2].Text, "log limit reached") {
		t.Fatalf("budget: %d lines", len(out.Logs))
	}
	if cut := out.Logs[1].Text; !strings.HasPrefix(cut, "éé") || !strings.HasSuffix(cut, "…") || len(cut) > maxLogBytes || len(cut) < maxLogBytes-16 {
		t.Fatalf("the crossing line: %d bytes", len(cut))
	}
}

func TestConsoleMethods(t *testing.T) {
	e := newEngine(t, Options{})
	out := mustRun(t, e, sandbox.Invocation{
		Script: `module.exports = (a, cb) => {
			console.table([{a: 1}]);
			console.group('g'); console.log('inside'); console.groupEnd();
			console.assert(false, 'asserted');
			console.count('c');
			console.warn('w'); console.error('e'); console.debug('d'); console.trace('t');
			cb(null, 1);
		};`,
		Args: args(1),
	})
	joined := ""
	for _, l := range out.Logs {
		joined += l.Level + ":" + l.Text + "\n"
	}
	for _, want := range []string{"│ (index) │", "log:g", "log:inside", "warn:Assertion failed: asserted", "log:c: 1", "warn:w", "error:e", "log:d", "error:Trace: t"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in\n%s", want, joined)
		}
	}
}

func TestStorageHostCalls(t *testing.T) {
	e := newEngine(t, Options{})
	st := &memStorage{}
	script := `module.exports = (client, scope, audience, context, cb) => {
		const s = context.webtask.storage;
		s.get((err, data) => {
			if (err) return cb(err);
			data = data || {count: 0};
			data.count++;
			s.set(data, (err) => err ? cb(err) : cb(null, data.count));
		});
	};`
	inv := sandbox.Invocation{Script: script, Args: args(map[string]any{}, nil, "a", map[string]any{"webtask": map[string]any{"meta": 1}}), ContextArg: 3, Storage: st}
	for _, want := range []string{"1", "2"} {
		out := mustRun(t, e, inv)
		if string(out.Response) != want {
			t.Fatalf("count %s, want %s", out.Response, want)
		}
	}
	// A set without a get since someone else wrote: 409.
	stale := `module.exports = (client, scope, audience, context, cb) => {
		context.webtask.storage.set({x: 1}, (err) => cb(null, err ? [err.code, err.message] : 'no error'));
	};`
	out := mustRun(t, e, sandbox.Invocation{Script: stale, Args: inv.Args, ContextArg: 3, Storage: st})
	if !strings.HasPrefix(string(out.Response), `[409,`) {
		t.Fatalf("stale set: %s", out.Response)
	}
	forced := `module.exports = (client, scope, audience, context, cb) => {
		context.webtask.storage.set({x: 1}, {force: 1}, (err) => err ? cb(err) : context.webtask.storage.get((e, d) => cb(e, [d, context.webtask.meta])));
	};`
	out = mustRun(t, e, sandbox.Invocation{Script: forced, Args: inv.Args, ContextArg: 3, Storage: st})
	if string(out.Response) != `[{"x":1},1]` {
		t.Fatalf("forced: %s", out.Response)
	}
	// Without a Storage: get yields undefined, set fails clearly.
	none := `module.exports = (client, scope, audience, context, cb) => {
		context.webtask.storage.get((e, d) => context.webtask.storage.set({}, (e2) => cb(null, [typeof d, e2 && e2.message])));
	};`
	out = mustRun(t, e, sandbox.Invocation{Script: none, Args: inv.Args, ContextArg: 3})
	if !strings.Contains(string(out.Response), `"undefined","context.webtask.storage is not available`) {
		t.Fatalf("no storage: %s", out.Response)
	}
	// Too large is refused in the worker.
	big := `module.exports = (client, scope, audience, context, cb) => {
		context.webtask.storage.set({b: 'x'.repeat(600 * 1024)}, {force: 1}, (e) => cb(null, e && e.message));
	};`
	out = mustRun(t, e, sandbox.Invocation{Script: big, Args: inv.Args, ContextArg: 3, Storage: st})
	if !strings.Contains(string(out.Response), "500 KB") {
		t.Fatalf("big: %s", out.Response)
	}
}

func TestCancel(t *testing.T) {
	e := newEngine(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelled once the hook is running (its first line).
	_, err := e.Run(ctx, sandbox.Invocation{Script: `module.exports = (a, cb) => { console.log('started'); };`, ScriptKey: "c", Args: args(1), ContextArg: -1}, func(sandbox.LogLine) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestPrepareAndConcurrencyBound(t *testing.T) {
	e := newEngine(t, Options{Options: sandbox.Options{MaxConcurrent: 2}})
	script := `globalThis.loads = (globalThis.loads || 0) + 1;
	module.exports = (a, cb) => { if (a === 'wait') setTimeout(() => cb(null, 'waited'), 200); else cb(null, globalThis.loads); };`
	inv := sandbox.Invocation{Script: script, ScriptKey: "prep", Args: args(1), ContextArg: -1}
	if err := e.Prepare(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, e, inv)
	if string(out.Response) != "1" {
		t.Fatalf("loads %s", out.Response)
	}
	// Three executions at once on a bound of two: one queues.
	type res struct {
		out sandbox.Outcome
		err error
	}
	ch := make(chan res, 3)
	for range 3 {
		go func() {
			out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, ScriptKey: "prep", Args: args("wait"), ContextArg: -1}, nil)
			ch <- res{out, err}
		}()
	}
	var queued int
	for range 3 {
		r := <-ch
		if r.err != nil || string(r.out.Response) != `"waited"` {
			t.Fatal(r.err, string(r.out.Response))
		}
		if r.out.QueueTime >= 150*time.Millisecond { // waited for a 200 ms execution to end
			queued++
		}
	}
	if queued != 1 {
		t.Fatalf("%d executions queued, want 1", queued)
	}
}

func TestWarmWorkerBound(t *testing.T) {
	e := newEngine(t, Options{MaxWorkers: 2})
	ended := make(chan struct{}, 10)
	e.testDone = func() { ended <- struct{}{} }
	script := `let n = 0; module.exports = (a, cb) => cb(null, ++n);`
	get := func(key string) string {
		out := mustRun(t, e, sandbox.Invocation{Script: script, ScriptKey: key, Args: args(1), ContextArg: -1})
		<-ended // the execution is over on its worker, which is idle again
		return string(out.Response)
	}
	if a, b, a2 := get("A"), get("B"), get("A"); a != "1" || b != "1" || a2 != "2" {
		t.Fatalf("A %s B %s A %s", a, b, a2)
	}
	// A third version stops the least recently used idle worker (B).
	if c := get("C"); c != "1" {
		t.Fatalf("C %s", c)
	}
	e.mu.Lock()
	n := len(e.warm)
	e.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d warm workers, want 2", n)
	}
	if a, b := get("A"), get("B"); a != "3" || b != "1" {
		t.Fatalf("after eviction: A %s (kept) B %s (restarted)", a, b)
	}
}

func TestRunnerFileRemovedUnderIt(t *testing.T) {
	e := newEngine(t, Options{})
	if err := os.RemoveAll(e.dir); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, e, sandbox.Invocation{Script: `module.exports = (a, cb) => cb(null, 'ok');`, Args: args(1)})
	if string(out.Response) != `"ok"` {
		t.Fatal(string(out.Response))
	}
}

func TestCheck(t *testing.T) {
	e := newEngine(t, Options{})
	// Syntax Node has (private fields, static blocks, logical assignment).
	ok := "class A { #x = 1; static { this.y ??= 2; } get x() { return this.#x; } }\nmodule.exports = (a, cb) => cb(null, new A().x);"
	if err := e.Check(context.Background(), ok); err != nil {
		t.Fatalf("valid script: %v", err)
	}
	// Checking runs nothing.
	if err := e.Check(context.Background(), "require('fs').writeFileSync('/tmp/x', 'y'); for (;;) {}"); err != nil {
		t.Fatalf("a script is only compiled: %v", err)
	}
	err := e.Check(context.Background(), "module.exports = function (a, cb) {\n  cb(null, {;\n};")
	var ce *sandbox.CompileError
	if !errors.As(err, &ce) || ce.Line != 2 || ce.Column == 0 || ce.Message == "" {
		t.Fatalf("got %#v", err)
	}
}

// TestPrepareLoadsUnderTheHookEnv: a module warmed ahead of its first token
// sees the hook's process.env at module scope, as it would had it loaded
// inside that first execution.
func TestPrepareLoadsUnderTheHookEnv(t *testing.T) {
	e := newEngine(t, Options{})
	script := `const key = process.env.API_KEY;
	module.exports = (a, cb) => cb(null, key || 'unset');`
	inv := sandbox.Invocation{Script: script, ScriptKey: "prep-env", Args: args(1), ContextArg: -1,
		Env: map[string]string{"API_KEY": "k1"}}
	if err := e.Prepare(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, e, inv); string(out.Response) != `"k1"` {
		t.Fatalf("module scope saw process.env.API_KEY = %s", out.Response)
	}
}
