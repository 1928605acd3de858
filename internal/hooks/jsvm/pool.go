package jsvm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// killGrace is how long the parent waits past an execution's deadline for the
// worker's own in-VM interrupt to answer before it kills the worker. It covers
// a native built-in that goja cannot interrupt.
const killGrace = 250 * time.Millisecond

// trailingGrace is the same for work a hook left running after its answer:
// nobody waits for it, so the worker's own deadline gets more time to stop
// it (and report so) before the parent kills the process.
const trailingGrace = 2 * time.Second

// pool runs hooks in supervised worker processes. See doc.go.
type pool struct {
	opts    sandbox.Options
	seed    maphash.Seed
	workers []*workerSlot
	nextID  atomic.Uint64
	closed  atomic.Bool
	stop    chan struct{}

	// aloneSlots bounds the workers started to re-run one suspect
	// execution each (runAlone); alone holds them for the watchdog.
	aloneSlots chan struct{}
	aloneMu    sync.Mutex
	alone      map[*workerProc]struct{}
}

// aloneWorkers is how many single-use workers may re-run suspect executions
// at once: a hook that kills its worker on every token gets each execution
// killed once more, not a crowd of processes growing to the memory limit.
const aloneWorkers = 4

var _ sandbox.Engine = (*pool)(nil)

// NewPool starts opts.Workers worker processes with opts.Command and returns
// a sandbox.Engine that routes executions to them.
func NewPool(opts sandbox.Options) (sandbox.Engine, error) {
	if len(opts.Command) == 0 {
		return nil, errors.New("jsvm: sandbox.Options.Command is required for NewPool")
	}
	opts = opts.WithDefaults()
	p := &pool{opts: opts, seed: maphash.MakeSeed(), stop: make(chan struct{}),
		aloneSlots: make(chan struct{}, aloneWorkers), alone: map[*workerProc]struct{}{}}
	for i := 0; i < opts.Workers; i++ {
		s := &workerSlot{p: p, idx: i, sem: make(chan struct{}, opts.MaxConcurrent)}
		if _, err := s.get(); err != nil {
			p.Close()
			return nil, err
		}
		p.workers = append(p.workers, s)
	}
	go p.watchdog()
	return p, nil
}

// call is one execution in flight on a worker.
type call struct {
	id       uint64
	script   string // the cache key: what routing goes by
	start    time.Time
	deadline time.Time
	storage  sandbox.Storage
	onLog    func(sandbox.LogLine)
	logs     []sandbox.LogLine // written by the reader goroutine only, read after done
	done     chan callResult
	// answered is set (by the reader) when the result came with trailing
	// work; the call then stays registered until frameEnd.
	answered bool
	release  func() // frees the execution slot; called once, at the end
}

type callResult struct {
	out   sandbox.Outcome
	err   error
	retry bool // the worker died for another execution's sake
	// suspect: the worker died of memory or a crash while this execution
	// and others were running JavaScript, so which one caused it is not
	// known; it runs once more alone before it fails.
	suspect bool
}

func (p *pool) Run(ctx context.Context, inv sandbox.Invocation, onLog func(sandbox.LogLine)) (sandbox.Outcome, error) {
	if p.closed.Load() {
		return sandbox.Outcome{}, sandbox.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return sandbox.Outcome{}, err
	}
	timeout := inv.Timeout
	if timeout <= 0 {
		timeout = p.opts.Timeout
	}
	// Route by script so that one script's failures land on its own worker as
	// far as possible and its warm runtimes are found again.
	h := maphash.String(p.seed, inv.Key())
	slot := p.workers[int(h%uint64(len(p.workers)))]
	start := time.Now()
	var queued time.Duration
	for attempt := 0; ; attempt++ {
		// An execution that was not the cause of its worker's death (another
		// hook's memory bomb) runs once more, on the fresh process the slot
		// starts, before it fails.
		r := p.runOn(ctx, slot, inv, start.Add(timeout), onLog)
		queued += r.out.QueueTime
		if r.retry && attempt == 0 {
			continue
		}
		if r.suspect && ctx.Err() == nil {
			r = p.runAlone(ctx, inv, start.Add(timeout), onLog)
			queued += r.out.QueueTime
		}
		if r.retry || (r.suspect && ctx.Err() == nil) { // alone, neither can happen; never a third run
			r.err = sandbox.ErrCrashed
		}
		r.out.QueueTime = queued
		return r.out, r.err
	}
}

func (p *pool) runOn(ctx context.Context, slot *workerSlot, inv sandbox.Invocation, deadline time.Time, onLog func(sandbox.LogLine)) callResult {
	// Bounded concurrency: wait for a slot of this worker, under the
	// request's context and with the execution's deadline running.
	qstart := time.Now()
	release, err := slot.acquire(ctx, deadline)
	queued := time.Since(qstart)
	if err != nil {
		return callResult{out: sandbox.Outcome{QueueTime: queued}, err: err}
	}
	w, err := slot.get()
	if err != nil {
		release()
		return callResult{out: sandbox.Outcome{QueueTime: queued}, err: fmt.Errorf("%w: %v", sandbox.ErrCrashed, err)}
	}
	r := p.runAcquired(ctx, w, inv, deadline, onLog, release)
	r.out.QueueTime = queued
	return r
}

// runAlone runs inv once more on a fresh worker of its own, used once: an
// execution that was running JavaScript beside others when their worker
// died. If it was the cause, its worker dies again and it fails, taking no
// one with it; if not, it answers. Its original deadline still runs, the
// new worker's start included.
func (p *pool) runAlone(ctx context.Context, inv sandbox.Invocation, deadline time.Time, onLog func(sandbox.LogLine)) callResult {
	qstart := time.Now()
	fail := func(err error) callResult {
		return callResult{out: sandbox.Outcome{QueueTime: time.Since(qstart)}, err: err}
	}
	if err := acquire(ctx, p.aloneSlots, deadline); err != nil {
		return fail(err)
	}
	release := func() { <-p.aloneSlots }
	w, err := startWorker(p.opts)
	if err != nil {
		release()
		return fail(fmt.Errorf("%w: %v", sandbox.ErrCrashed, err))
	}
	p.aloneMu.Lock()
	p.alone[w] = struct{}{}
	p.aloneMu.Unlock()
	defer func() {
		go func() { // after any work the hook left running
			w.shutdown()
			p.aloneMu.Lock()
			delete(p.alone, w)
			p.aloneMu.Unlock()
		}()
	}()
	queued := time.Since(qstart)
	r := p.runAcquired(ctx, w, inv, deadline, onLog, release)
	r.out.QueueTime = queued
	return r
}

func (p *pool) runAcquired(ctx context.Context, w *workerProc, inv sandbox.Invocation, deadline time.Time, onLog func(sandbox.LogLine), release func()) callResult {
	timeout := time.Until(deadline)
	if timeout <= 0 {
		release()
		return callResult{err: sandbox.ErrTimeout}
	}
	c := &call{id: p.nextID.Add(1), script: inv.Key(), start: time.Now(), deadline: deadline, storage: inv.Storage, onLog: onLog, done: make(chan callResult, 1), release: onceFunc(release)}
	if !w.register(c) {
		c.release()
		return callResult{retry: true}
	}
	if werr := w.sendRun(c.id, inv, timeout, p.opts.MaxResponseBytes); werr != nil {
		w.kill(nil, nil)
	}

	t := time.NewTimer(timeout + killGrace)
	defer t.Stop()
	select {
	case r := <-c.done:
		return finish(c, r, ctx)
	case <-t.C:
		// The worker's own interrupt did not answer: something native is
		// spinning. Kill it; this call is blamed, the others retry.
		w.kill(c, sandbox.ErrTimeout)
	case <-ctx.Done():
		w.cancel(c.id)
		select {
		case r := <-c.done:
			return finish(c, r, ctx)
		case <-time.After(killGrace):
			w.kill(c, sandbox.ErrTimeout)
		}
	}
	return finish(c, <-c.done, ctx)
}

func onceFunc(f func()) func() { return sync.OnceFunc(f) }

func finish(c *call, r callResult, ctx context.Context) callResult {
	if errors.Is(r.err, errCanceled) || (r.err != nil && ctx.Err() != nil) {
		r.err = ctx.Err()
	}
	return r
}

func (p *pool) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	close(p.stop)
	for _, s := range p.workers {
		s.close()
	}
	return nil
}

// workerSlot is one position of the pool: it holds the current worker
// process and starts a new one when that dies.
type workerSlot struct {
	p   *pool
	idx int
	mu  sync.Mutex
	w   *workerProc
	// sem bounds the executions running at once on this slot's worker
	// (Options.MaxConcurrent): beyond it a worker would start ever more
	// runtimes under a spike until the memory watchdog kills it with every
	// execution on it. An execution holds its place until its work after
	// the answer has ended too.
	sem chan struct{}
}

// acquire waits for a free execution place under ctx, with the deadline
// running, and returns the function that frees it.
func (s *workerSlot) acquire(ctx context.Context, deadline time.Time) (func(), error) {
	if err := acquire(ctx, s.sem, deadline); err != nil {
		return nil, err
	}
	return func() { <-s.sem }, nil
}

func (s *workerSlot) get() (*workerProc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil && !s.w.isDead() {
		return s.w, nil
	}
	if s.p.closed.Load() {
		return nil, sandbox.ErrClosed
	}
	w, err := startWorker(s.p.opts)
	if err != nil {
		return nil, err
	}
	s.w = w
	return w, nil
}

func (s *workerSlot) current() *workerProc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w
}

func (s *workerSlot) close() {
	s.mu.Lock()
	w := s.w
	s.mu.Unlock()
	if w != nil {
		w.shutdown()
	}
}

// workerProc is one running worker process.
type workerProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	wmu    sync.Mutex
	w      *bufio.Writer
	stderr sandbox.TailBuffer
	// Under wmu: the scripts this process has been sent (see frameScript),
	// a use clock for dropping the least recently used, and a frame buffer.
	scripts    map[string]*sentScript
	lastScript uint64
	clock      uint64
	fbuf       []byte
	flush      *sandbox.DeferredFlush // writes the run frames waiting in w

	mu        sync.Mutex
	pending   map[uint64]*call
	dead      bool
	blamed    uint64 // the execution that caused the kill
	blameErr  error
	deadCh    chan struct{}
	inflight  atomic.Int32
	memKilled atomic.Bool
	busy      *busyPage // nil where unsupported
}

func startWorker(opts sandbox.Options) (*workerProc, error) {
	cmd := exec.Command(opts.Command[0], opts.Command[1:]...)
	// The worker gets no secrets from the environment: hooks receive theirs
	// in their arguments. Only what the Go runtime needs is passed.
	cmd.Env = workerEnv(opts)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	busy, busyFile, berr := newBusyPage()
	if berr == nil {
		cmd.ExtraFiles = []*os.File{busyFile} // fd 3 in the worker
		cmd.Env = append(cmd.Env, busyEnv+"=3")
		defer busyFile.Close()
	}
	w := &workerProc{busy: busy, cmd: cmd, stdin: stdin, w: bufio.NewWriterSize(stdin, 64<<10), pending: make(map[uint64]*call), scripts: make(map[string]*sentScript), flush: sandbox.NewDeferredFlush(), deadCh: make(chan struct{})}
	cmd.Stderr = &w.stderr
	if err := cmd.Start(); err != nil {
		busy.close()
		return nil, fmt.Errorf("jsvm: starting worker: %w", err)
	}
	limitWorker(cmd.Process.Pid, opts.MemoryLimit)
	cfg := newFrame(nil, frameConfig, 0).u64(uint64(opts.MemoryLimit))
	cfg = append(cfg, opts.Egress.Spec()...)
	if err := w.send(cfg.finish()); err != nil {
		w.kill(nil, nil)
	}
	go w.readLoop(bufio.NewReaderSize(stdout, 64<<10))
	go w.flush.Run(w.deadCh, w.flushBuffered, func() { w.kill(nil, nil) })
	return w, nil
}

// workerEnv passes through only the variables a Go program and the test
// harness need; in particular no credentials of the server reach a worker.
func workerEnv(opts sandbox.Options) []string {
	var env []string
	for _, k := range []string{"PATH", "TMPDIR", "GODEBUG", workerTestEnv} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	// GOMAXPROCS=1: parallelism comes from the number of workers. With the
	// default, every worker's idle Ps spin on each wake-up.
	//
	// GOGC=400: a worker's live heap is small (cached runtimes), so at the
	// default 100 it collected every few hundred executions, a large share
	// of its CPU per token. GOMEMLIMIT still caps the heap, so the GC works
	// hard again near the memory limit whatever GOGC says. docs/hooks.md
	// has the figures.
	if opts.ExtraCACerts != "" {
		env = append(env, extraCAsEnv+"="+opts.ExtraCACerts)
	}
	return append(env, fmt.Sprintf("GOMEMLIMIT=%d", opts.MemoryLimit*3/4), "GOMAXPROCS=1", "GOGC=400")
}

// extraCAsEnv names a worker's sandbox.Options.ExtraCACerts (Node's name
// for the same setting).
const extraCAsEnv = "NODE_EXTRA_CA_CERTS"

// busyEnv tells a worker which descriptor holds its busy page.
const busyEnv = "TOKENHOOK_HOOK_WORKER_BUSY_FD"

// workerTestEnv lets this package's tests re-exec the test binary as a worker.
const workerTestEnv = "TOKENHOOK_JSVM_TEST_WORKER"

func (w *workerProc) isDead() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dead
}

func (w *workerProc) register(c *call) bool {
	// (inflight counts registered calls until they end, work after the
	// answer included, so the watchdog keeps watching that work.)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dead {
		return false
	}
	w.pending[c.id] = c
	w.inflight.Add(1)
	return true
}

type sentScript struct {
	id   uint64
	used uint64
}

// sendRun queues a run request, preceded by the script's source the first
// time this process runs it; the deferred flush writes it out.
func (w *workerProc) sendRun(id uint64, inv sandbox.Invocation, timeout time.Duration, maxResp int) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.clock++
	key := inv.Key()
	s := w.scripts[key]
	if s == nil {
		if len(w.scripts) >= maxWorkerScripts {
			var oldSrc string
			var old *sentScript
			for src, o := range w.scripts {
				if old == nil || o.used < old.used {
					oldSrc, old = src, o
				}
			}
			delete(w.scripts, oldSrc)
			if _, err := w.w.Write(newFrame(w.fbuf, frameForget, old.id).finish()); err != nil {
				return err
			}
		}
		w.lastScript++
		s = &sentScript{id: w.lastScript}
		w.scripts[key] = s
		f := newFrame(w.fbuf, frameScript, s.id).str(inv.ScriptKey)
		f = append(f, inv.Script...)
		if _, err := w.w.Write(f.finish()); err != nil {
			return err
		}
	}
	s.used = w.clock
	var flags byte
	if inv.Isolated {
		flags |= runIsolated
	}
	ctxArg := uint32(0)
	if inv.ContextArg >= 0 && inv.ContextArg < len(inv.Args) {
		ctxArg = uint32(inv.ContextArg) + 1
	}
	f := newFrame(w.fbuf, frameRun, id).u64(uint64(timeout)).u32(uint32(maxResp)).u64(s.id).u8(flags).u32(ctxArg).u32(uint32(len(inv.Env)))
	for k, v := range inv.Env {
		f = f.str(k).str(v)
	}
	f = f.u32(uint32(len(inv.Args)))
	for _, a := range inv.Args {
		f = f.bytes(a)
	}
	if _, err := w.w.Write(f.finish()); err != nil {
		return err
	}
	if cap(f) <= 64<<10 {
		// Keep the buffer, but not one a huge script or argument grew.
		w.fbuf = f[:0]
	} else {
		w.fbuf = nil
	}
	w.flush.Due()
	return nil
}

// flushBuffered writes the run frames sendRun buffered.
func (w *workerProc) flushBuffered() error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.w.Flush()
}

func (w *workerProc) send(frame []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if _, err := w.w.Write(frame); err != nil {
		return err
	}
	return w.w.Flush()
}

func (w *workerProc) cancel(id uint64) {
	_ = w.send(newFrame(make([]byte, 0, frameHeader), frameCancel, id).finish())
}

// kill ends the process. blame (may be nil) is the execution that caused it:
// it fails with err; the others in flight, of the same hook too (another
// client's token, waiting for an API), are retried.
func (w *workerProc) kill(blame *call, err error) {
	w.mu.Lock()
	if blame != nil && w.blameErr == nil {
		w.blamed, w.blameErr = blame.id, err
	}
	w.mu.Unlock()
	_ = w.cmd.Process.Kill()
}

func (w *workerProc) shutdown() {
	_ = w.stdin.Close()
	select {
	case <-w.deadCh:
	case <-time.After(time.Second):
		_ = w.cmd.Process.Kill()
	}
}

func (w *workerProc) readLoop(r *bufio.Reader) {
	var buf []byte
	for {
		typ, id, payload, nb, err := readFrame(r, buf)
		buf = nb
		if err != nil {
			break
		}
		w.mu.Lock()
		c := w.pending[id]
		w.mu.Unlock()
		if c == nil {
			continue
		}
		switch typ {
		case frameLog:
			d := sandbox.NewFrameDecoder(payload)
			ts := int64(d.U64())
			lvl := d.U8()
			if d.Err() != nil || int(lvl) >= len(logLevels) {
				continue
			}
			l := sandbox.LogLine{Time: time.Unix(0, ts), Level: logLevels[lvl], Text: string(d.Rest())}
			c.logs = append(c.logs, l)
			if c.onLog != nil {
				c.onLog(l)
			}
		case frameResult:
			out, err, trailing := decodeResult(payload)
			out.Logs = c.logs
			if trailing {
				// The answer goes out now; the call stays registered for
				// the log lines of its work after the answer, until frameEnd,
				// and is killed like any execution if that work outlives the
				// deadline.
				w.mu.Lock()
				c.answered = true
				w.mu.Unlock()
				time.AfterFunc(time.Until(c.deadline)+trailingGrace, func() {
					if w.isPending(c.id) {
						w.kill(c, sandbox.ErrTimeout)
					}
				})
			} else {
				w.end(c)
			}
			c.done <- callResult{out: out, err: err}
		case frameEnd:
			w.end(c)
		case frameHost:
			go w.hostCall(c, append([]byte(nil), payload...))
		}
	}
	_ = w.cmd.Process.Kill()
	waitErr := w.cmd.Wait()
	w.mu.Lock()
	w.dead = true
	pending := w.pending
	w.pending = nil
	blamed, blameErr := w.blamed, w.blameErr
	w.mu.Unlock()
	close(w.deadCh)
	// Blame goes by execution, not by script: the same hook's other
	// executions in flight (another client's token, waiting for an API)
	// were not the cause either.
	blamedCalls, suspects := map[uint64]bool{}, map[uint64]bool{}
	if blameErr != nil {
		blamedCalls[blamed] = true
	} else {
		// Died on its own (a Go fatal error such as an allocation refused by
		// RLIMIT_DATA) or killed by the memory watchdog. Blame what was
		// running JavaScript at that moment, else the one that last ran
		// JavaScript (its fetches' bodies, held by Go, can be what grew
		// while it waits on them), else the oldest execution.
		tail := w.stderr.Bytes()
		blameErr = fmt.Errorf("%w: %s (%v)", sandbox.ErrCrashed, fatalLine(tail), waitErr)

		if w.memKilled.Load() || looksLikeOOM(tail) {
			blameErr = sandbox.ErrMemory
		}
		running, last := w.busy.ids(), w.busy.last()
		var oldest, lastRan *call
		for _, c := range pending {
			if running[c.id] {
				blamedCalls[c.id] = true
			}
			if c.id == last && !c.answered {
				lastRan = c
			}
			if oldest == nil || c.start.Before(oldest.start) {
				oldest = c
			}
		}
		switch {
		case len(blamedCalls) > 1:
			// Several were running JavaScript: each is a suspect, and
			// runs once more alone (pool.Run) to tell.
			suspects, blamedCalls = blamedCalls, map[uint64]bool{}
		case len(blamedCalls) > 0:
		case lastRan != nil:
			blamedCalls[lastRan.id] = true
		case oldest != nil:
			blamedCalls[oldest.id] = true
		}
	}
	w.busy.close()
	for _, c := range pending {
		c.release()
		switch {
		case c.answered:
			// Its answer was given; only its work after the answer is lost.
		case blamedCalls[c.id]:
			c.done <- callResult{out: sandbox.Outcome{Logs: c.logs}, err: blameErr}
		case suspects[c.id]:
			c.done <- callResult{out: sandbox.Outcome{Logs: c.logs}, err: blameErr, suspect: true}
		default:
			c.done <- callResult{out: sandbox.Outcome{Logs: c.logs}, retry: true}
		}
	}
}

// end forgets a call whose execution ended in the worker.
func (w *workerProc) end(c *call) {
	w.mu.Lock()
	_, ok := w.pending[c.id]
	delete(w.pending, c.id)
	w.mu.Unlock()
	if ok {
		w.inflight.Add(-1)
	}
	c.release()
}

func (w *workerProc) isPending(id uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.pending[id]
	return ok
}

// hostCall serves a worker's host call (frameHost) for call c: the hook's
// storage lives in the server, so the worker asks for it here.
func (w *workerProc) hostCall(c *call, payload []byte) {
	d := sandbox.NewFrameDecoder(payload)
	seq, op, force, ifVersion := d.U64(), d.U8(), d.U8() == 1, string(d.Bytes())
	data := d.Rest()
	if d.Err() != nil {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), c.deadline)
	defer cancel()
	st, ver := hostOK, ""
	var out []byte
	var err error
	switch {
	case c.storage == nil:
		st = hostNone
	case op == hostStorageGet:
		out, ver, err = c.storage.Get(ctx)
	case op == hostStorageSet && len(data) <= sandbox.MaxStorageBytes:
		ver, err = c.storage.Set(ctx, data, ifVersion, force)
	default:
		st = hostFailed
	}
	switch {
	case err == nil:
	case errors.Is(err, sandbox.ErrStorageConflict):
		st = hostConflict
	case ctx.Err() != nil:
		st = hostDeadline
	default:
		// The backend's error stays here; the hook learns that it failed.
		st = hostFailed
	}
	f := newFrame(nil, frameReply, c.id).u64(seq).u8(st).str(ver)
	f = append(f, out...)
	_ = w.send(f.finish())
}

// fatalLine picks the Go runtime's "fatal error" line from a crashed worker's
// stderr, for the error text. Stack traces never include argument values.
func fatalLine(tail []byte) string {
	for _, l := range bytes.Split(tail, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("fatal error")) || bytes.HasPrefix(l, []byte("runtime:")) || bytes.HasPrefix(l, []byte("panic:")) {
			return string(l)
		}
	}
	return "worker exited"
}

// looksLikeOOM recognises how the Go runtime dies when RLIMIT_DATA refuses
// memory: usually "out of memory", but a refusal inside the runtime itself
// (GC work buffers, stack growth, thread creation) surfaces as assorted fatal
// errors with a goroutine dump. The worker's own code never reaches those
// paths otherwise, so a runtime fatal error without a Go panic is counted as
// memory; a panic (a bug) stays sandbox.ErrCrashed.
func looksLikeOOM(tail []byte) bool {
	for _, s := range []string{"out of memory", "cannot allocate memory", "failed to create new OS thread"} {
		if bytes.Contains(tail, []byte(s)) {
			return true
		}
	}
	if bytes.Contains(tail, []byte("panic:")) {
		return false
	}
	return bytes.Contains(tail, []byte("fatal error")) || bytes.Contains(tail, []byte("runtime:")) || bytes.Contains(tail, []byte("goroutine "))
}
