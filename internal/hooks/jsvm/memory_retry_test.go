package jsvm

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestMemoryKillRetriesInnocent: a worker killed for one hook's memory bomb
// fails only that hook; another execution in flight on the same worker
// (older than the bomb, waiting for an API's answer) runs again on the fresh worker
// and succeeds (issue 12 item 11). One worker, so there is no other to
// fall back on.
func TestMemoryKillRetriesInnocent(t *testing.T) {
	// gate holds the good hook's API requests until the subtest closes
	// it; arrived says a request is being held.
	var gate atomic.Pointer[chan struct{}]
	arrived := make(chan struct{}, 4)
	big := strings.Repeat("x", maxFetchBody-1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write([]byte(big))
			return
		}
		g := *gate.Load()
		arrived <- struct{}{}
		select {
		case <-g:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte("good"))
	}))
	t.Cleanup(api.Close)
	p := testPool(t, sandbox.Options{Workers: 1, MemoryLimit: 128 << 20, Egress: loopbackPolicy(t)})
	for _, bomb := range []struct{ name, script string }{
		{"growing array", `module.exports = () => { const a = []; for (let i = 0; ; i++) a.push('x'.repeat(1 << 20) + i); };`},
		{"one huge string", `module.exports = (c, s, a, x, cb) => cb(null, 'x'.repeat(2 ** 30).length);`},
		// Memory grows with response bodies (read by Go, then held by
		// the hook's JavaScript).
		{"parallel downloads", `module.exports = async () => {
			const all = [];
			for (;;) all.push(...await Promise.all(Array.from({length: 30}, () => fetch(API + '/big').then(r => r.arrayBuffer()))));
		};`},
	} {
		t.Run(bomb.name, func(t *testing.T) {
			g := make(chan struct{})
			gate.Store(&g)
			// The good hook waits for an API that answers only once the bomb
			// has been dealt with, so it is surely in flight when the worker dies.
			good := `module.exports = async () => { console.log('started'); return (await fetch(` + strconv.Quote(api.URL) + `)).text(); };`
			sink := newLogSink()
			type result struct {
				out sandbox.Outcome
				err error
			}
			done := make(chan result, 1)
			go func() {
				out, err := p.Run(context.Background(), sandbox.Invocation{Script: good, Args: simpleArgs, Timeout: 20 * time.Second}, sink.onLog)
				done <- result{out, err}
			}()
			sink.waitFor(t, "started") // the good execution is in flight first
			// and idle: its fetch has reached the API and its JavaScript
			// is back in its event loop's wait, no longer marked as
			// running on the busy page. Without this, a scheduler that
			// stalls it between the log line and the wait leaves it
			// running JavaScript when the bomb kills the worker, and it is
			// rightly blamed too.
			<-arrived
			waitIdle(t, p)
			_, err := p.Run(context.Background(), sandbox.Invocation{Script: "const API = " + strconv.Quote(api.URL) + ";\n" + bomb.script, Args: simpleArgs, Timeout: 20 * time.Second}, nil)
			if !errors.Is(err, sandbox.ErrMemory) && !errors.Is(err, sandbox.ErrTooLarge) {
				t.Fatalf("bomb: err = %v, want ErrMemory", err)
			}
			// Its first attempt died with the worker; the API answers once
			// the retry, on the fresh worker, has asked.
			var r result
			select {
			case <-arrived:
				close(g)
				r = <-done
			case r = <-done:
				close(g)
			}
			if r.err != nil || string(r.out.Response) != `"good"` {
				t.Fatalf("innocent execution: %s %v", r.out.Response, r.err)
			}
		})
	}
}

// waitIdle waits until no execution on p's workers is marked as running
// JavaScript (all are waiting in their event loop), as the busy page the
// memory blame reads shows it.
func waitIdle(t *testing.T, e sandbox.Engine) {
	t.Helper()
	p := e.(*pool)
	for end := time.Now().Add(20 * time.Second); ; {
		idle := true
		for _, s := range p.workers {
			if w := s.current(); w != nil && len(w.busy.ids()) > 0 {
				idle = false
			}
		}
		if idle {
			return
		}
		if time.Now().After(end) {
			t.Fatal("executions still marked as running JavaScript after 20s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMemoryKillRunsSuspectsAlone: when a worker dies of memory while two
// executions are running JavaScript, neither is known to be the cause, so
// each runs once more on a worker of its own: the bomb dies again and fails
// alone, the busy innocent answers. One worker, so both share it.
func TestMemoryKillRunsSuspectsAlone(t *testing.T) {
	p := testPool(t, sandbox.Options{Workers: 1, MemoryLimit: 128 << 20})
	spinner := `module.exports = (c, s, a, x, cb) => {
		console.log('spinning');
		for (const end = Date.now() + 2000; Date.now() < end;) {}
		cb(null, 'survived');
	};`
	sink := newLogSink()
	type result struct {
		out sandbox.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := p.Run(context.Background(), sandbox.Invocation{Script: spinner, Args: simpleArgs, Timeout: 20 * time.Second}, sink.onLog)
		done <- result{out, err}
	}()
	sink.waitFor(t, "spinning")
	_, err := p.Run(context.Background(), sandbox.Invocation{Script: `module.exports = (c, s, a, x, cb) => cb(null, 'x'.repeat(2 ** 30).length);`, Args: simpleArgs, Timeout: 20 * time.Second}, nil)
	if !errors.Is(err, sandbox.ErrMemory) && !errors.Is(err, sandbox.ErrTooLarge) {
		t.Fatalf("bomb: err = %v, want ErrMemory", err)
	}
	r := <-done
	if r.err != nil || string(r.out.Response) != `"survived"` {
		t.Fatalf("busy innocent execution: %s %v", r.out.Response, r.err)
	}
	// It answered from its second run: the first died with the bomb while
	// it was running, which is what this test is about.
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if n := len(sink.lines); n != 2 {
		t.Fatalf("innocent execution logged %d lines, want 2 (a first run killed with the bomb, then one alone)", n)
	}
}
