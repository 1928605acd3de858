//go:build unix

package noderun

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

const benchScript = `module.exports = function (client, scope, audience, context, cb) {
	const access_token = {};
	access_token['https://example.com/claim'] = 'bar';
	access_token.scope = scope.concat(['extra']);
	cb(null, {accessToken: access_token});
};`

// benchAsyncScript answers after a chain of awaits, as code on top of
// fetch or an npm HTTP client does: the cost of tracking promises.
const benchAsyncScript = `module.exports = async function (client, scope, audience, context) {
	let n = 0;
	for (let i = 0; i < 50; i++) n += await Promise.resolve(i);
	return {accessToken: {scope: scope.concat(['extra']), 'https://example.com/n': n}};
};`

func benchInv(isolated bool) sandbox.Invocation {
	return sandbox.Invocation{
		Script: benchScript, ScriptKey: "bench", ContextArg: 3, Isolated: isolated,
		Args: args(map[string]string{"id": "c1", "name": "app"}, []string{"read:a"}, "https://api", map[string]any{"webtask": map[string]any{}}),
	}
}

// cpuSelf is this process's CPU time; cpuChildren that of its reaped
// children (isolated workers, once stopped).
func cpuSelf() time.Duration     { return rusage(syscall.RUSAGE_SELF) }
func cpuChildren() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuOf is a live process's CPU time from /proc (clock ticks, 100 Hz).
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkWarm is one execution of a simple hook on its warm worker:
// cpu-us/op counts the engine's side and the Node worker together.
func BenchmarkWarm(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	inv := benchInv(false)
	if _, err := e.Run(ctx, inv, nil); err != nil {
		b.Fatal(err)
	}
	pid := e.warmPID(inv)
	self0, w0 := cpuSelf(), cpuOf(pid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.Run(ctx, inv, nil)
		if err != nil || out.Err != nil {
			b.Fatal(err, out.Err)
		}
	}
	b.StopTimer()
	cpu := cpuSelf() - self0 + cpuOf(pid) - w0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64((cpuOf(pid)-w0).Microseconds())/float64(b.N), "node-cpu-us/op")
}

// BenchmarkWarmAsync is BenchmarkWarm for a hook awaiting 50 promises.
func BenchmarkWarmAsync(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	inv := benchInv(false)
	inv.Script, inv.ScriptKey = benchAsyncScript, "bench-async"
	if _, err := e.Run(ctx, inv, nil); err != nil {
		b.Fatal(err)
	}
	pid := e.warmPID(inv)
	self0, w0 := cpuSelf(), cpuOf(pid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.Run(ctx, inv, nil)
		if err != nil || out.Err != nil {
			b.Fatal(err, out.Err)
		}
	}
	b.StopTimer()
	cpu := cpuSelf() - self0 + cpuOf(pid) - w0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64((cpuOf(pid)-w0).Microseconds())/float64(b.N), "node-cpu-us/op")
}

// BenchmarkWarmParallel is BenchmarkWarm with executions in flight
// concurrently on the hook's one worker.
func BenchmarkWarmParallel(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	inv := benchInv(false)
	if _, err := e.Run(ctx, inv, nil); err != nil {
		b.Fatal(err)
	}
	pid := e.warmPID(inv)
	self0, w0 := cpuSelf(), cpuOf(pid)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := e.Run(ctx, inv, nil)
			if err != nil || out.Err != nil {
				b.Fatal(err, out.Err)
			}
		}
	})
	b.StopTimer()
	cpu := cpuSelf() - self0 + cpuOf(pid) - w0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64((cpuOf(pid)-w0).Microseconds())/float64(b.N), "node-cpu-us/op")
}

// BenchmarkColdStart is a first execution on a fresh worker (what the first
// token after a save waits for): process start, runner, module load, run.
func BenchmarkColdStart(b *testing.B) {
	e := newEngine(b, Options{})
	ctx := context.Background()
	inv := benchInv(true)
	self0, ch0 := cpuSelf(), cpuChildren()
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		out, err := e.Run(ctx, inv, nil)
		wall += time.Since(start)
		if err != nil || out.Err != nil {
			b.Fatal(err, out.Err)
		}
	}
	b.StopTimer()
	// Isolated workers stop once their execution ended; wait for them to
	// be reaped so their CPU is counted.
	e.waitIdle(b)
	cpu := cpuSelf() - self0 + cpuChildren() - ch0
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/op")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// warmPID is the pid of the warm worker serving inv.
func (e *Engine) warmPID(inv sandbox.Invocation) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.warm[inv.Key()+"\x00"+inv.ModulesDir].pid()
}

// waitIdle waits until every worker process has ended and was reaped.
func (e *Engine) waitIdle(tb testing.TB) {
	e.mu.Lock()
	ws := make([]*worker, 0, len(e.all))
	for w := range e.all {
		ws = append(ws, w)
	}
	e.mu.Unlock()
	for _, w := range ws {
		select {
		case <-w.deadCh:
		case <-time.After(30 * time.Second):
			tb.Fatal("an isolated worker did not stop")
		}
	}
}

// BenchmarkWarmFetch is BenchmarkWarm for a hook that makes one plain-HTTP
// request over Node's keep-alive agent to a loopback server.
func BenchmarkWarmFetch(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"plan":"gold"}`))
	}))
	defer srv.Close()
	var done atomic.Int64
	e := newEngine(b, Options{Options: sandbox.Options{Egress: allowLoopback(b)}})
	e.testDone = func() { done.Add(1) }
	ctx := context.Background()
	inv := benchInv(false)
	inv.ScriptKey = "bench-fetch"
	inv.Script = `const http = require('http');
module.exports = function (client, scope, audience, context, cb) {
  http.get(` + strconv.Quote(srv.URL+"/plan") + `, function (res) {
    var body = '';
    res.setEncoding('utf8');
    res.on('data', function (c) { body += c; });
    res.on('end', function () { cb(null, {accessToken: {scope: scope, plan: JSON.parse(body).plan}}); });
  }).on('error', cb);
};`
	if out, err := e.Run(ctx, inv, nil); err != nil || out.Err != nil {
		b.Fatal(err, out.Err)
	}
	pid := e.warmPID(inv)
	self0, w0 := cpuSelf(), cpuOf(pid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.Run(ctx, inv, nil)
		if err != nil || out.Err != nil {
			b.Fatal(err, out.Err)
		}
	}
	b.StopTimer()
	cpu := cpuSelf() - self0 + cpuOf(pid) - w0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64((cpuOf(pid)-w0).Microseconds())/float64(b.N), "node-cpu-us/op")
	b.ReportMetric(float64(int64(b.N)+1-done.Load()), "not-done")
}
