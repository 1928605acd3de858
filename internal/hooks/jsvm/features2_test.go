package jsvm

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

func TestHasModule(t *testing.T) {
	for name, want := range map[string]bool{"crypto": true, "node:url": true, "util": true, "https": false, "fs": false, "axios": false, "lodash@4.17.21": false,
		"crypto#createHmac": true, "crypto#randomBytes": true, "crypto#createSign": false, "crypto#pbkdf2Sync": false, "util#format": false} {
		if HasModule(name) != want {
			t.Errorf("HasModule(%q) = %v", name, !want)
		}
	}
	// The functions HasModule reports are exactly those of the embedded
	// crypto module.
	e, _ := NewInProcess(sandbox.Options{})
	t.Cleanup(func() { e.Close() })
	out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, Object.keys(require('crypto')).filter(k => typeof require('crypto')[k] === 'function').sort().join(','));`)
	if err != nil || out.Err != nil {
		t.Fatal(err, out.Err)
	}
	var got string
	if err := jsonUnmarshalString(out.Response, &got); err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(slices.Sorted(maps.Keys(cryptoFunctions)), ","); got != want {
		t.Fatalf("embedded crypto functions %s, HasModule knows %s", got, want)
	}
}

// logSink collects onLog lines from any goroutine and lets a test wait for
// one, instead of sleeping.
type logSink struct {
	mu    sync.Mutex
	lines []sandbox.LogLine
	ch    chan struct{}
}

func newLogSink() *logSink { return &logSink{ch: make(chan struct{}, 100)} }

func (s *logSink) onLog(l sandbox.LogLine) {
	s.mu.Lock()
	s.lines = append(s.lines, l)
	s.mu.Unlock()
	select {
	case s.ch <- struct{}{}:
	default:
	}
}

func (s *logSink) waitFor(t *testing.T, text string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for _, l := range s.lines {
			if strings.Contains(l.Text, text) {
				s.mu.Unlock()
				return
			}
		}
		s.mu.Unlock()
		select {
		case <-s.ch:
		case <-timeout:
			t.Fatalf("no log line %q in %+v", text, s.lines)
		}
	}
}

// TestFireAndForget: the answer returns at once while the work the hook
// left (a request to an API that answers only when the test says so) runs
// on; its console line still reaches onLog. A second execution while that
// work is pending gets a runtime of its own (module counter still 0): a
// runtime is never shared before its work ended.
func TestFireAndForget(t *testing.T) {
	gate := make(chan struct{}, 2)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-gate:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte("notified"))
	}))
	t.Cleanup(api.Close)
	for name, e := range engines(t, sandbox.Options{Workers: 1, Egress: loopbackPolicy(t)}) {
		t.Run(name, func(t *testing.T) {
			script := `let n = 0; module.exports = (c, s, a, x, cb) => {
				const seen = n;
				cb(null, seen);
				fetch(` + strconv.Quote(api.URL) + `).then(r => r.text()).then(text => { n++; console.log(text + ' after the answer ' + seen); });
			};`
			sink := newLogSink()
			out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, Args: simpleArgs, Timeout: 10 * time.Second}, sink.onLog)
			if err != nil || string(out.Response) != "0" || len(out.Logs) != 0 {
				t.Fatalf("%s %v %+v", out.Response, err, out.Logs)
			}
			sink2 := newLogSink()
			out, err = e.Run(context.Background(), sandbox.Invocation{Script: script, Args: simpleArgs, Timeout: 10 * time.Second}, sink2.onLog)
			if err != nil || string(out.Response) != "0" {
				t.Fatalf("second run while the first one's work is pending: %s %v", out.Response, err)
			}
			gate <- struct{}{} // the API answers only now, after the hooks' answers
			gate <- struct{}{}
			sink.waitFor(t, "notified after the answer 0")
			sink2.waitFor(t, "notified after the answer 0")
		})
	}
}

// TestFireAndForgetDeadline: work left running is stopped at the deadline.
func TestFireAndForgetDeadline(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{Workers: 1}) {
		t.Run(name, func(t *testing.T) {
			script := `module.exports = (c, s, a, x, cb) => { cb(null, 1); setInterval(() => {}, 5); };`
			sink := newLogSink()
			// The test waits the whole deadline out: a short one, as
			// TestFetchDeadline's, long enough for the immediate answer
			// once the pool's worker is up (a first execution starts it).
			if out, err := e.Run(context.Background(), sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => cb(null, 0);`, Args: simpleArgs}, nil); err != nil || string(out.Response) != "0" {
				t.Fatalf("warm-up: %s %v", out.Response, err)
			}
			out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, Args: simpleArgs, Timeout: 300 * time.Millisecond}, sink.onLog)
			if err != nil || string(out.Response) != "1" {
				t.Fatalf("%s %v", out.Response, err)
			}
			sink.waitFor(t, "stopped at the hook's deadline")
			out, err = e.Run(context.Background(), sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => cb(null, 2);`, Args: simpleArgs}, nil)
			if err != nil || string(out.Response) != "2" {
				t.Fatalf("after: %s %v", out.Response, err)
			}
		})
	}
}

// TestFireAndForgetUnref: an unref'd timer (a module-scope refresh
// interval) does not keep the execution's work running after the answer:
// the runtime is free at once, so the next execution finds its module
// state (a ref'd one would hold it until the deadline).
func TestFireAndForgetUnref(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{Workers: 1}) {
		t.Run(name, func(t *testing.T) {
			script := `let n = 0; module.exports = (c, s, a, x, cb) => { cb(null, n++); setInterval(() => {}, 5).unref(); };`
			for i, want := range []string{"0", "1"} {
				out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, Args: simpleArgs, Timeout: 20 * time.Second}, nil)
				if err != nil || string(out.Response) != want {
					t.Fatalf("run %d: %s %v, want %s", i, out.Response, err, want)
				}
			}
		})
	}
}

// TestIsolated: an isolated execution (the test runner) neither sees the
// module state of live executions nor leaves its own to them or to another
// isolated execution (issue 12 item 6), under the same cache key.
func TestIsolated(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{Workers: 1}) {
		t.Run(name, func(t *testing.T) {
			// The classic leak: a secret cached in module scope on first use.
			script := `let cached; module.exports = (c, s, a, x, cb) => { cached = cached || x.webtask.secrets.KEY; cb(null, cached); };`
			args := func(secret string) []json.RawMessage {
				a := append([]json.RawMessage(nil), simpleArgs...)
				a[3] = json.RawMessage(`{"webtask":{"secrets":{"KEY":"` + secret + `"}}}`)
				return a
			}
			run := func(secret string, isolated bool) string {
				out, err := e.Run(context.Background(), sandbox.Invocation{Script: script, ScriptKey: "hook-1", Args: args(secret), Isolated: isolated}, nil)
				if err != nil || out.Err != nil {
					t.Fatal(err, out.Err)
				}
				return string(out.Response)
			}
			if got := run("LIVE", false); got != `"LIVE"` {
				t.Fatal(got)
			}
			// Live state does not reach the runner...
			if got := run("", true); got != `""` {
				t.Fatalf("runner saw live module state: %s", got)
			}
			// ...the runner's does not reach live executions...
			if got := run("ATTACKER", true); got != `"ATTACKER"` {
				t.Fatal(got)
			}
			if got := run("LIVE2", false); got != `"LIVE"` {
				t.Fatalf("live execution saw runner state: %s", got)
			}
			// ...nor another runner call.
			if got := run("OTHER", true); got != `"OTHER"` {
				t.Fatalf("runner saw another runner's state: %s", got)
			}
		})
	}
}

// TestErrorMessageCapped: a 20 MB error message leaves the engine capped.
func TestErrorMessageCapped(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{}) {
		t.Run(name, func(t *testing.T) {
			for _, script := range []string{
				`module.exports = (c, s, a, x, cb) => cb(new InvalidRequestError('E'.repeat(4 << 20)));`,
				`module.exports = () => { throw 'é'.repeat(1 << 20); };`,
				`module.exports = () => { const e = new Error('m'); e.name = 'N'.repeat(1 << 20); throw e; };`,
			} {
				out, err := runInv(t, e, sandbox.Invocation{Script: script, Timeout: 20 * time.Second})
				if err != nil || out.Err == nil {
					t.Fatal(script, err, out.Err)
				}
				if len(out.Err.Message) > sandbox.MaxErrorMessage+len("…") || len(out.Err.Name) > maxErrorName+len("…") {
					t.Fatalf("name %d bytes, message %d bytes", len(out.Err.Name), len(out.Err.Message))
				}
				if len(out.Err.Message) > 1 && !strings.HasSuffix(out.Err.Message, "…") && out.Err.Message != "m" {
					t.Fatalf("cut not marked: %q", out.Err.Message[len(out.Err.Message)-10:])
				}
			}
		})
	}
}

// TestBoundedConcurrency: with one execution place, a second execution
// waits for the first (reporting its queue time) instead of starting a
// runtime of its own; one that cannot get a place before its deadline
// fails with ErrTimeout, and one whose request is cancelled stops waiting.
func TestBoundedConcurrency(t *testing.T) {
	for name, e := range engines(t, sandbox.Options{Workers: 1, MaxConcurrent: 1}) {
		t.Run(name, func(t *testing.T) {
			release := `module.exports = (c, s, a, x, cb) => setTimeout(() => cb(null, 'slow'), 300);`
			started := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				close(started)
				out, err := e.Run(context.Background(), sandbox.Invocation{Script: release, Args: simpleArgs, Timeout: 5 * time.Second}, nil)
				if err == nil && string(out.Response) != `"slow"` {
					err = errors.New(string(out.Response))
				}
				done <- err
			}()
			<-started
			// Wait until the slow one holds the place: a probe with a short
			// deadline times out in the queue.
			deadline := time.Now().Add(10 * time.Second)
			for {
				out, err := e.Run(context.Background(), sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => cb(null, 1);`, Args: simpleArgs, Timeout: 20 * time.Millisecond}, nil)
				if errors.Is(err, sandbox.ErrTimeout) {
					if out.QueueTime <= 0 {
						t.Fatalf("queue time not reported: %+v", out)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the slow execution never held the only place")
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := e.Run(ctx, sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => cb(null, 1);`, Args: simpleArgs}, nil); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled while queued: %v", err)
			}
			out, err := e.Run(context.Background(), sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => cb(null, 2);`, Args: simpleArgs, Timeout: 5 * time.Second}, nil)
			if err != nil || string(out.Response) != "2" {
				t.Fatalf("queued execution: %s %v queue %v", out.Response, err, out.QueueTime)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
