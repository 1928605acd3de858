package hooks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/egress"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestRunnerQueueTime: with one execution place, a token request's hook
// that waits for a busy place reports the wait in its Execution (the
// tenant log's queue_ms), and still succeeds.
func TestRunnerQueueTime(t *testing.T) {
	f := newRunnerFixture(t, false)
	policy, _ := egress.New([]string{"127.0.0.0/8"}, nil)
	engine, err := jsvm.NewInProcess(sandbox.Options{Timeout: 10 * time.Second, Egress: policy, MaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	f.runner.Engine = engine

	entered := make(chan struct{}, 1)
	gates := make(chan chan struct{}, 1)
	barrier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gate := <-gates
		entered <- struct{}{}
		<-gate
	}))
	defer barrier.Close()
	slow := f.saveHook(t, "slow", hooks.RuntimeEmbedded)
	slow.Source = `module.exports = async (client, scope) => { await fetch(` + "'" + barrier.URL + "'" + `); return {scope}; };`
	fast := f.saveHook(t, "fast", hooks.RuntimeEmbedded)
	fast.Source = `module.exports = (client, scope, audience, context, cb) => cb(null, {scope});`

	ctx := context.Background()
	// The fast request is started while the slow hook holds the only place;
	// whether it reached the queue before the place was freed depends on
	// scheduling, so the scenario is repeated until it did (no sleeping).
	for attempt := 0; attempt < 20; attempt++ {
		gate := make(chan struct{})
		gates <- gate
		done := make(chan hooks.Execution, 1)
		go func() { done <- f.runner.Run(ctx, hooks.CredentialsExchange, slow, ccInput, "req-slow") }()
		<-entered // the slow hook holds the only place
		queued := make(chan hooks.Execution, 1)
		go func() { queued <- f.runner.Run(ctx, hooks.CredentialsExchange, fast, ccInput, "req-fast") }()
		close(gate)
		if ex := <-done; ex.Err != nil {
			t.Fatalf("slow hook: %+v", ex.Err)
		}
		ex := <-queued
		if ex.Err != nil {
			t.Fatalf("queued hook: %+v", ex.Err)
		}
		if ex.QueueTime > 0 {
			return
		}
	}
	t.Fatal("the hook started while another held the only place never reported a queue time")
}
