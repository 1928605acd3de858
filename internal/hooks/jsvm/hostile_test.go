package jsvm

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

const benignScript = `module.exports = function (client, scope, audience, context, cb) {
	scope.push('extra');
	cb(null, {scope: scope, 'https://example.com/tenant': client.tenant, 'https://example.com/plan': client.metadata.plan});
};`

const benignWant = `{"scope":["read:users","extra"],"https://example.com/tenant":"t","https://example.com/plan":"full"}`

// TestPoolHostile runs each hostile script against a pool while benign
// executions keep running concurrently; every hostile case must be answered
// within its deadline plus the kill grace, every benign one must succeed, and
// the pool must still work afterwards. "Within" is measured against a timer
// of the test's own, armed with the execution for its deadline plus the
// grace: on a loaded machine the pool's timers fire as late as that one, so
// the bound says the pool acted at its deadline, not how fast the machine
// is. A timeout is never answered before its deadline.
func TestPoolHostile(t *testing.T) {
	const timeout = 500 * time.Millisecond
	cases := []struct {
		name   string
		script string
		want   func(sandbox.Outcome, error) bool
	}{
		{"while true", `module.exports = () => { while (true) {} };`, isErr(sandbox.ErrTimeout)},
		{"never called cb", `module.exports = () => {};`, isErr(sandbox.ErrTimeout)},
		{"array fill loop", `module.exports = () => { for (;;) new Array(2e7).fill(0); };`, isErr(sandbox.ErrTimeout, sandbox.ErrMemory)},
		{"string repeat 2**30", `module.exports = (c, s, a, x, cb) => cb(null, 'x'.repeat(2 ** 30).length);`, isErr(sandbox.ErrMemory, sandbox.ErrTooLarge)},
		{"array from 2e7", `module.exports = (c, s, a, x, cb) => cb(null, Array.from({length: 2e7}).length);`, isErr(sandbox.ErrTimeout, sandbox.ErrMemory)},
		{"catastrophic regex", `module.exports = (c, s, a, x, cb) => cb(null, /(a+)+$/.test('a'.repeat(40) + 'b'));`,
			func(o sandbox.Outcome, err error) bool { return err == nil && string(o.Response) == "false" }},
		{"deep recursion", `const f = n => f(n + 1) + 1; module.exports = (c, s, a, x, cb) => cb(null, f(0));`,
			func(o sandbox.Outcome, err error) bool {
				return err == nil && o.Err != nil && o.Err.Name == "RangeError"
			}},
		{"huge response", `module.exports = (c, s, a, x, cb) => cb(null, {a: 'x'.repeat(1 << 20)});`, isErr(sandbox.ErrTooLarge)},
		{"prototype pollution", `Object.prototype.polluted = 1; Array.prototype.push = function () { return 0; }; module.exports = (c, s, a, x, cb) => cb(null, 'ok');`,
			func(o sandbox.Outcome, err error) bool { return err == nil && string(o.Response) == `"ok"` }},
		{"setInterval storm", `module.exports = () => { for (let i = 0; i < 100; i++) setInterval(() => {}, 0); };`, isErr(sandbox.ErrTimeout)},
	}
	p := testPool(t, sandbox.Options{Workers: 2, MemoryLimit: 128 << 20})
	// The server process's growth over the hostile cases is what they may
	// cost it; its RSS before them depends on the tests run earlier in
	// this process (-count, other tests' servers).
	rssBefore := sandbox.ResidentPages(os.Getpid()) * int64(os.Getpagesize())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var stop atomic.Bool
			var benignOK, benignFail atomic.Int64
			var wg sync.WaitGroup
			var firstFail atomic.Value
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !stop.Load() {
						out, err := p.Run(ctx, sandbox.Invocation{Script: benignScript, Args: simpleArgs, Timeout: 2 * time.Second}, nil)
						if err != nil || string(out.Response) != benignWant {
							benignFail.Add(1)
							firstFail.CompareAndSwap(nil, strings.TrimSpace(string(out.Response)+" "+errString(err)))
						} else {
							benignOK.Add(1)
						}
						time.Sleep(time.Millisecond)
					}
				}()
			}
			fired := make(chan time.Time, 1)
			start := time.Now()
			ref := time.AfterFunc(timeout+killGrace, func() { fired <- time.Now() })
			out, err := p.Run(ctx, sandbox.Invocation{Script: tc.script, Args: simpleArgs, Timeout: timeout}, nil)
			answered := time.Now()
			took := answered.Sub(start)
			ref.Stop()
			stop.Store(true)
			wg.Wait()
			t.Logf("answered in %v: err=%v hookErr=%+v resp=%.40s; benign ok=%d", took, err, out.Err, out.Response, benignOK.Load())
			if !tc.want(out, err) {
				t.Errorf("unexpected outcome: err=%v out=%+v", err, out.Err)
			}
			if errors.Is(err, sandbox.ErrTimeout) && took < timeout {
				t.Errorf("timed out after %v, before its deadline (%v)", took, timeout)
			}
			select {
			case at := <-fired:
				// The deadline+grace passed before the answer: the pool
				// must have answered right after (its kill), however late
				// this process's timers ran.
				if late := answered.Sub(at); late > 300*time.Millisecond {
					t.Errorf("took %v: answered %v after deadline+grace (whose timer fired %v late)", took, late, at.Sub(start)-timeout-killGrace)
				}
			default: // answered before deadline+grace
			}
			if benignFail.Load() > 0 || benignOK.Load() == 0 {
				t.Errorf("benign executions: %d ok, %d failed (first: %v)", benignOK.Load(), benignFail.Load(), firstFail.Load())
			}
		})
	}
	// Pollution must not have leaked into other scripts, and the pool works.
	out, err := p.Run(context.Background(), sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => { const arr = []; arr.push(1); cb(null, [({}).polluted, arr.length]); };`, Args: simpleArgs}, nil)
	if err != nil || string(out.Response) != "[null,1]" {
		t.Fatalf("after hostile cases: %s %v", out.Response, err)
	}
	rss := sandbox.ResidentPages(os.Getpid()) * int64(os.Getpagesize())
	t.Logf("server process RSS %d MiB before the hostile cases, %d MiB after", rssBefore>>20, rss>>20)
	if rss-rssBefore > 128<<20 {
		t.Errorf("server process RSS grew by %d MiB over the hostile cases (%d MiB -> %d MiB)", (rss-rssBefore)>>20, rssBefore>>20, rss>>20)
	}
}

func isErr(targets ...error) func(sandbox.Outcome, error) bool {
	return func(_ sandbox.Outcome, err error) bool {
		for _, t := range targets {
			if errors.Is(err, t) {
				return true
			}
		}
		return false
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestPoolKillKeepsLogs: a worker killed mid-execution still leaves the logs
// produced so far, streamed live.
func TestPoolKillKeepsLogs(t *testing.T) {
	p := testPool(t, sandbox.Options{Workers: 2})
	var live []string
	out, err := p.Run(context.Background(), sandbox.Invocation{
		Script:  `module.exports = () => { console.log('before'); for (;;) new Array(2e7).fill(0); };`,
		Timeout: 300 * time.Millisecond,
	}, func(l sandbox.LogLine) { live = append(live, l.Text) })
	if !errors.Is(err, sandbox.ErrTimeout) && !errors.Is(err, sandbox.ErrMemory) {
		t.Fatalf("err = %v", err)
	}
	if len(out.Logs) != 1 || out.Logs[0].Text != "before" || len(live) != 1 {
		t.Fatalf("logs = %+v, live = %v", out.Logs, live)
	}
}

func TestPoolContextCancel(t *testing.T) {
	p := testPool(t, sandbox.Options{Workers: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Run(ctx, sandbox.Invocation{Script: `module.exports = () => { while (true) {} };`, Timeout: 5 * time.Second}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

// TestPoolConcurrentScripts runs many distinct scripts concurrently.
func TestPoolConcurrentScripts(t *testing.T) {
	p := testPool(t, sandbox.Options{Workers: 2})
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := `module.exports = (c, s, a, x, cb) => cb(null, ` + strconv.Itoa(i) + `);`
			for j := 0; j < 20; j++ {
				out, err := p.Run(context.Background(), sandbox.Invocation{Script: s, Args: simpleArgs}, nil)
				if err != nil || string(out.Response) != strconv.Itoa(i) {
					t.Errorf("script %d: %s %v", i, out.Response, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
