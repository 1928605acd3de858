package noderun

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

//go:embed runner.js
var runnerSource []byte

// Options configures the Node.js engine. The embedded sandbox.Options are
// shared with the embedded engine; Workers and Command are not used here
// (there is one worker per active hook version instead).
type Options struct {
	sandbox.Options
	// Node is the Node.js executable (--node); "" looks for `node` on PATH.
	Node string
	// MaxWorkers bounds the warm workers kept at once; when a new hook
	// version needs one beyond it, the least recently used idle worker is
	// stopped. Default 32.
	MaxWorkers int
	// IdleTimeout stops a warm worker that ran nothing for this long.
	// Default 10 minutes.
	IdleTimeout time.Duration
	// MaxSockets bounds the TCP connections open at once in one worker.
	// Default 256.
	MaxSockets int
	// StartTimeout bounds a worker's start (process start to ready frame).
	// Default 15 s.
	StartTimeout time.Duration
}

const (
	defaultMaxWorkers   = 32
	defaultIdleTimeout  = 10 * time.Minute
	defaultMaxSockets   = 256
	defaultStartTimeout = 15 * time.Second

	// answerGrace is how long the parent waits past an execution's
	// deadline for the runner's own timeout answer before it kills the
	// worker (its event loop is blocked: a loop, a huge synchronous job).
	answerGrace = 500 * time.Millisecond
	// doneGrace is the same for the end of fire-and-forget work after an
	// answer; nobody waits on it, so it can be longer and spare a worker
	// whose event loop is merely late on a loaded machine.
	doneGrace = 2 * time.Second

	// nodeBaseline is what a Node.js process with the runner occupies
	// before any hook code (code, built-ins, ICU data): the RSS limit is
	// the hook memory limit on top of it.
	nodeBaseline = 64 << 20

	// Console output per execution, as in the embedded engine.
	maxLogLines = 1000
	maxLogBytes = 256 << 10

	watchInterval = 50 * time.Millisecond

	// rerunWorkers bounds the fresh workers running, at once, executions
	// whose worker died under them (Engine.runAlone); the others wait,
	// their deadline running.
	rerunWorkers = 4
)

// Engine runs hooks on Node.js worker processes. It implements
// sandbox.Engine; see doc.go.
type Engine struct {
	opts       Options
	node       Node
	dir        string // temporary directory holding runner.js
	runner     string
	runnerMu   sync.Mutex
	egressSpec []byte

	mu     sync.Mutex
	warm   map[string]*worker // by hook version
	all    map[*worker]struct{}
	closed bool

	nextID     atomic.Uint64
	rerunSlots chan struct{} // a slot per fresh worker re-running an execution
	stop       chan struct{}
	// testDone, when set (tests only, before any Run), is called when the
	// runner reports an execution's end.
	testDone func()
	done     chan struct{}
}

var _ sandbox.Engine = (*Engine)(nil)

// New finds Node.js (an error wrapping ErrUnavailable when it cannot run
// hooks), writes the runner script to a private temporary directory and
// returns the engine. Workers start on first use.
func New(opts Options) (*Engine, error) {
	opts.Options = opts.Options.WithDefaults()
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = defaultMaxWorkers
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = defaultIdleTimeout
	}
	if opts.MaxSockets <= 0 {
		opts.MaxSockets = defaultMaxSockets
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = defaultStartTimeout
	}
	node, err := Find(opts.Node)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tokenhook-node-")
	if err != nil {
		return nil, fmt.Errorf("noderun: %w", err)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // the permission model compares real paths
	}
	e := &Engine{
		opts: opts, node: node, dir: dir, runner: filepath.Join(dir, "runner.js"), egressSpec: opts.Egress.Spec(),
		warm: make(map[string]*worker), all: make(map[*worker]struct{}),
		stop: make(chan struct{}), done: make(chan struct{}), rerunSlots: make(chan struct{}, rerunWorkers),
	}
	if err := e.ensureRunner(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	go e.watchdog()
	return e, nil
}

// ensureRunner (re)writes runner.js: a long-running server's temporary
// directory may be cleaned under it (systemd-tmpfiles, tmpreaper).
func (e *Engine) ensureRunner() error {
	e.runnerMu.Lock()
	defer e.runnerMu.Unlock()
	if b, err := os.ReadFile(e.runner); err == nil && string(b) == string(runnerSource) {
		return nil
	}
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		return fmt.Errorf("noderun: %w", err)
	}
	tmp := e.runner + ".tmp"
	_ = os.Remove(tmp)
	if err := os.WriteFile(tmp, runnerSource, 0o400); err != nil {
		return fmt.Errorf("noderun: %w", err)
	}
	if err := os.Rename(tmp, e.runner); err != nil {
		return fmt.Errorf("noderun: %w", err)
	}
	return nil
}

// Node is the Node.js executable the engine runs.
func (e *Engine) Node() Node { return e.node }

// Run executes inv on the warm worker of its hook version (started on first
// use), or on a fresh worker used once when inv.Isolated.
func (e *Engine) Run(ctx context.Context, inv sandbox.Invocation, onLog func(sandbox.LogLine)) (sandbox.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return sandbox.Outcome{}, err
	}
	timeout := inv.Timeout
	if timeout <= 0 {
		timeout = e.opts.Timeout
	}
	for attempt := 0; ; attempt++ {
		w, err := e.workerFor(ctx, inv)
		if err != nil {
			return sandbox.Outcome{}, err
		}
		// The deadline starts once the worker is up: a cold start (bounded
		// by StartTimeout) is not the hook's execution time.
		deadline := time.Now().Add(timeout)
		// At most MaxConcurrent executions run on one worker; the others
		// wait here, their deadline running.
		queued := time.Now()
		if err := w.acquire(ctx, deadline); err != nil {
			if errors.Is(err, errWorkerDied) && attempt == 0 && !inv.Isolated {
				continue
			}
			return sandbox.Outcome{QueueTime: time.Since(queued)}, err
		}
		now := time.Now()
		c := &call{
			id: e.nextID.Add(1), start: now, deadline: deadline,
			onLog: onLog, storage: inv.Storage, result: make(chan callResult, 1),
		}
		if !w.register(c) {
			w.release()
			// It died between lookup and use (another execution's crash,
			// eviction): one more try on its replacement.
			if attempt == 0 && !inv.Isolated {
				continue
			}
			return sandbox.Outcome{}, sandbox.ErrCrashed
		}
		r := w.run(ctx, c, inv, deadline.Sub(now))
		r.out.QueueTime = now.Sub(queued)
		if r.rerun && ctx.Err() == nil {
			// Its worker died of another execution in flight there, as
			// far as can be told: once more, alone.
			again := e.runAlone(ctx, inv, deadline, onLog)
			again.out.QueueTime += r.out.QueueTime
			if again.rerun { // cannot happen alone; never a third time
				again.err = sandbox.ErrCrashed
			}
			r = again
		}
		return r.out, r.err
	}
}

// runAlone runs inv once more on a fresh worker of its own, used once, for
// an execution whose worker died while it was in flight with others: if it
// was the cause, its new process dies again and it fails, taking no one
// with it; if not, it answers. Its original deadline still runs (the fresh
// worker's start included), and at most rerunWorkers such workers run at
// once: a hook that kills its worker on every token gets each of them
// killed once more, not a crowd of processes growing to its memory limit.
func (e *Engine) runAlone(ctx context.Context, inv sandbox.Invocation, deadline time.Time, onLog func(sandbox.LogLine)) callResult {
	queued := time.Now()
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	fail := func(err error) callResult {
		if errors.Is(err, context.DeadlineExceeded) {
			err = sandbox.ErrTimeout
		}
		return callResult{out: sandbox.Outcome{QueueTime: time.Since(queued)}, err: err}
	}
	select {
	case e.rerunSlots <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	defer func() { <-e.rerunSlots }()
	inv.Isolated = true
	w, err := e.workerFor(ctx, inv)
	if err != nil {
		return fail(err)
	}
	now := time.Now()
	c := &call{
		id: e.nextID.Add(1), start: now, deadline: deadline,
		onLog: onLog, storage: inv.Storage, result: make(chan callResult, 1),
	}
	if deadline.Sub(now) <= 0 || w.acquire(ctx, deadline) != nil {
		w.kill(nil, nil)
		return fail(sandbox.ErrTimeout)
	}
	if !w.register(c) {
		w.release()
		w.kill(nil, nil)
		return fail(sandbox.ErrCrashed)
	}
	r := w.run(ctx, c, inv, deadline.Sub(now))
	r.out.QueueTime = now.Sub(queued)
	return r
}

// Prepare starts the warm worker of inv's hook version, if it is not
// running, and has it load the hook's module, so that the first token after
// a save does not wait for a cold start. It returns once the worker is
// ready; the module loads in the background (a module that fails to load
// fails the first execution, as without Prepare).
func (e *Engine) Prepare(ctx context.Context, inv sandbox.Invocation) error {
	if inv.Isolated {
		return nil
	}
	w, err := e.workerFor(ctx, inv)
	if err != nil {
		return err
	}
	// The module loads under the hook's process.env, as it would inside
	// its first execution: module scope may read a secret from it.
	var env []byte
	if len(inv.Env) > 0 {
		env, _ = json.Marshal(inv.Env)
	}
	return w.send(newFrame(framePrepare, 0).bytes(env).finish())
}

// workerFor returns a started worker for inv.
func (e *Engine) workerFor(ctx context.Context, inv sandbox.Invocation) (*worker, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, sandbox.ErrClosed
	}
	if inv.Isolated {
		w := e.newWorkerLocked(inv, "")
		e.mu.Unlock()
		got, err := e.awaitStart(ctx, w, true)
		if err != nil {
			// Nobody will use it: stop it once its start is over.
			go func() { <-w.ready; w.kill(nil, nil) }()
		}
		return got, err
	}
	key := inv.Key() + "\x00" + inv.ModulesDir
	w := e.warm[key]
	if w != nil && !w.isDead() {
		w.lastUsed.Store(time.Now().UnixNano())
		e.mu.Unlock()
		return e.awaitStart(ctx, w, false)
	}
	w = e.newWorkerLocked(inv, key)
	e.warm[key] = w
	e.evictLocked()
	e.mu.Unlock()
	return e.awaitStart(ctx, w, true)
}

func (e *Engine) newWorkerLocked(inv sandbox.Invocation, key string) *worker {
	w := &worker{
		e: e, key: key, once: inv.Isolated, script: inv.Script, modulesDir: inv.ModulesDir,
		calls: make(map[uint64]*call), ready: make(chan struct{}), deadCh: make(chan struct{}),
		sem: make(chan struct{}, e.opts.MaxConcurrent),
	}
	w.lastUsed.Store(time.Now().UnixNano())
	e.all[w] = struct{}{}
	return w
}

// awaitStart starts w (when owner) or waits for its start by another call.
func (e *Engine) awaitStart(ctx context.Context, w *worker, owner bool) (*worker, error) {
	if owner {
		w.start()
	}
	select {
	case <-w.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if w.startErr != nil {
		return nil, fmt.Errorf("%w: starting Node.js: %v", sandbox.ErrCrashed, w.startErr)
	}
	return w, nil
}

// evictLocked stops least recently used idle warm workers beyond MaxWorkers.
// Busy workers are never stopped for this; the bound is met again as soon
// as they are idle (watchdog).
func (e *Engine) evictLocked() {
	if len(e.warm) <= e.opts.MaxWorkers {
		return
	}
	idle := make([]*worker, 0, len(e.warm))
	for _, w := range e.warm {
		if w.idle() {
			idle = append(idle, w)
		}
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].lastUsed.Load() < idle[j].lastUsed.Load() })
	for _, w := range idle {
		if len(e.warm) <= e.opts.MaxWorkers {
			break
		}
		delete(e.warm, w.key)
		go w.kill(nil, nil)
	}
}

// forget drops a dead worker from the engine's tables.
func (e *Engine) forget(w *worker) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w.key != "" && e.warm[w.key] == w {
		delete(e.warm, w.key)
	}
	delete(e.all, w)
}

// watchdog enforces the memory limit on every worker's resident set, and
// stops idle workers (IdleTimeout, MaxWorkers).
func (e *Engine) watchdog() {
	defer close(e.done)
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	limit := e.rssLimit()
	page := int64(os.Getpagesize())
	var n int
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		e.mu.Lock()
		ws := make([]*worker, 0, len(e.all))
		for w := range e.all {
			ws = append(ws, w)
		}
		e.mu.Unlock()
		n++
		for _, w := range ws {
			pid := w.pid()
			if pid == 0 || (n%20 != 0 && w.idle()) {
				// Idle workers (module-level timers only) are checked
				// once a second, busy ones every tick.
				continue
			}
			if rss := sandbox.ResidentPages(pid) * page; rss > limit {
				// Which of its executions filled it is not known here;
				// die has the innocent ones run again alone.
				w.memKilled.Store(true)
				w.kill(nil, nil)
			}
		}
		if n%20 == 0 {
			e.evictIdle()
		}
	}
}

func (e *Engine) evictIdle() {
	cutoff := time.Now().Add(-e.opts.IdleTimeout).UnixNano()
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, w := range e.warm {
		if w.idle() && w.lastUsed.Load() < cutoff {
			delete(e.warm, k)
			go w.kill(nil, nil)
		}
	}
	e.evictLocked()
}

// rssLimit is the resident-set bound of one worker.
func (e *Engine) rssLimit() int64 { return e.opts.MemoryLimit + nodeBaseline }

// heapMiB is V8's old-generation cap: most of the memory limit, leaving
// room for young generation, buffers and code.
func (e *Engine) heapMiB() int64 { return max(16, e.opts.MemoryLimit*3/4>>20) }

// Close stops every worker (fire-and-forget work still running is cut off)
// and removes the runner's temporary directory.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	ws := make([]*worker, 0, len(e.all))
	for w := range e.all {
		ws = append(ws, w)
	}
	e.mu.Unlock()
	close(e.stop)
	<-e.done
	// Closing a runner's input makes it exit by itself; a runner whose
	// event loop is stuck is killed.
	for _, w := range ws {
		w.closeInput()
	}
	for _, w := range ws {
		select {
		case <-w.deadCh:
		case <-time.After(time.Second):
			w.kill(nil, nil)
			<-w.deadCh
		}
	}
	return os.RemoveAll(e.dir)
}
