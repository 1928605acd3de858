package jsvm

import (
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"

	"context"
	"sync/atomic"
)

// inProcess runs hooks on the caller's goroutine inside the server process.
// It enforces the deadline on JavaScript code, but it cannot bound a native
// built-in that spins or allocates (`new Array(2e7).fill(0)` runs to the end;
// `'x'.repeat(2**30)` can kill the whole process with an out-of-memory
// fatal error). Use it only for trusted scripts and benchmarks.
type inProcess struct {
	opts   sandbox.Options
	exec   *executor
	closed atomic.Bool
	sem    chan struct{} // bounds executions at once (Options.MaxConcurrent)
}

var _ sandbox.Engine = (*inProcess)(nil)

// NewInProcess returns a sandbox.Engine running hooks in the calling process. See
// the package documentation for what it cannot bound.
func NewInProcess(opts sandbox.Options) (sandbox.Engine, error) {
	opts = opts.WithDefaults()
	e := newExecutor()
	e.egress = opts.Egress
	e.extraCAs = opts.ExtraCACerts
	return &inProcess{opts: opts, exec: e, sem: make(chan struct{}, opts.MaxConcurrent)}, nil
}

func (p *inProcess) Run(ctx context.Context, inv sandbox.Invocation, onLog func(sandbox.LogLine)) (sandbox.Outcome, error) {
	if p.closed.Load() {
		return sandbox.Outcome{}, sandbox.ErrClosed
	}
	timeout := inv.Timeout
	if timeout <= 0 {
		timeout = p.opts.Timeout
	}
	start := time.Now()
	if err := acquire(ctx, p.sem, start.Add(timeout)); err != nil {
		return sandbox.Outcome{QueueTime: time.Since(start)}, err
	}
	queued := time.Since(start)
	timeout -= queued
	if timeout <= 0 {
		<-p.sem
		return sandbox.Outcome{QueueTime: queued}, sandbox.ErrTimeout
	}
	params := &runParams{args: inv.Args, timeout: timeout, maxResp: p.opts.MaxResponseBytes, env: inv.Env, contextArg: inv.ContextArg, host: directHost{inv.Storage}}
	out, err, rest := p.exec.run(ctx, &scriptRef{key: inv.ScriptKey, src: inv.Script}, params, inv.Isolated, onLog)
	out.QueueTime = queued
	if rest == nil {
		<-p.sem
		return out, err
	}
	// Fire-and-forget: the answer goes back now; what the hook left running
	// goes on, bounded by its deadline, and holds its place until it ends.
	go func() {
		rest()
		<-p.sem
	}()
	return out, err
}

// acquire takes a place in sem under ctx, giving up at deadline.
func acquire(ctx context.Context, sem chan struct{}, deadline time.Time) error {
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return nil
	case <-t.C:
		return sandbox.ErrTimeout
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *inProcess) Close() error {
	p.closed.Store(true)
	return nil
}
