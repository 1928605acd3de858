package jsvm

import (
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
}

var _ sandbox.Engine = (*inProcess)(nil)

// NewInProcess returns a sandbox.Engine running hooks in the calling process. See
// the package documentation for what it cannot bound.
func NewInProcess(opts sandbox.Options) (sandbox.Engine, error) {
	opts = opts.WithDefaults()
	e := newExecutor()
	e.egress = opts.Egress
	return &inProcess{opts: opts, exec: e}, nil
}

func (p *inProcess) Run(ctx context.Context, inv sandbox.Invocation, onLog func(sandbox.LogLine)) (sandbox.Outcome, error) {
	if p.closed.Load() {
		return sandbox.Outcome{}, sandbox.ErrClosed
	}
	timeout := inv.Timeout
	if timeout <= 0 {
		timeout = p.opts.Timeout
	}
	return p.exec.run(ctx, &scriptRef{src: inv.Script}, inv.Args, timeout, p.opts.MaxResponseBytes, onLog)
}

func (p *inProcess) Close() error {
	p.closed.Store(true)
	return nil
}
