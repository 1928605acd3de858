package noderun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// worker is one Node.js runner process serving one hook version (or one
// isolated execution).
type worker struct {
	e          *Engine
	key        string // "" for an isolated worker
	once       bool   // isolated: stopped after its execution ends
	script     string
	modulesDir string

	ready    chan struct{} // closed when started or failed to
	readyCh  chan struct{} // closed by the read loop on the ready frame
	startErr error         // set before ready is closed
	version  string

	cmd    *exec.Cmd
	toNode *os.File
	wmu    sync.Mutex
	bw     *bufio.Writer
	flush  *sandbox.DeferredFlush // writes the run frames waiting in bw
	output sandbox.TailBuffer     // the runner's stdout and stderr

	mu       sync.Mutex
	calls    map[uint64]*call // answered calls stay until their work ends
	dead     bool
	blamed   *call
	blameErr error
	deadCh   chan struct{}

	sem       chan struct{} // a slot per unanswered execution (MaxConcurrent)
	lastUsed  atomic.Int64
	memKilled atomic.Bool
	pidv      atomic.Int64
}

// call is one execution on a worker.
type call struct {
	id       uint64
	start    time.Time
	deadline time.Time
	onLog    func(sandbox.LogLine)
	storage  sandbox.Storage
	result   chan callResult

	// Owned by the worker's read loop.
	logs     []sandbox.LogLine
	logLines int
	logBytes int
	answered bool
	linger   *time.Timer
}

type callResult struct {
	out sandbox.Outcome
	err error
	// rerun: the worker died while this execution was in flight and it is
	// not known to be the cause (another execution's memory bomb, say); it
	// should run once more alone before it fails with err.
	rerun bool
}

// runnerConfig is the config frame: everything the runner needs to serve
// this hook version.
type runnerConfig struct {
	Script          string          `json:"script"`
	ModulesDir      string          `json:"modulesDir"`
	Egress          json.RawMessage `json:"egress"`
	MaxResponse     int             `json:"maxResponse"`
	MaxLogLines     int             `json:"maxLogLines"`
	MaxLogBytes     int             `json:"maxLogBytes"`
	MaxSockets      int             `json:"maxSockets"`
	MaxErrorMessage int             `json:"maxErrorMessage"`
	Permission      bool            `json:"permission"` // Node's permission model is on
}

// start launches the process and waits for its ready frame; it closes
// w.ready in every case.
func (w *worker) start() {
	err := w.launch()
	if err != nil && w.cmd == nil {
		w.mu.Lock()
		w.dead = true
		w.mu.Unlock()
		close(w.deadCh)
	}
	if err == nil {
		select {
		case <-w.readyFrame():
			batchScheduling(w.pid())
		case <-w.deadCh:
			err = fmt.Errorf("exited during start: %s", w.exitSummary())
		case <-time.After(w.e.opts.StartTimeout):
			err = errors.New("no ready answer in time")
			w.kill(nil, nil)
		}
	}
	if err != nil {
		w.startErr = err
		w.e.forget(w)
	}
	close(w.ready)
}

// readyCh is signalled by the read loop on the ready frame.
func (w *worker) readyFrame() chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.readyCh == nil {
		w.readyCh = make(chan struct{})
	}
	return w.readyCh
}

func (w *worker) launch() error {
	e := w.e
	if err := e.ensureRunner(); err != nil {
		return err
	}
	args := []string{"--max-old-space-size=" + strconv.FormatInt(e.heapMiB(), 10), "--no-warnings"}
	modulesDir := ""
	if w.modulesDir != "" {
		d, err := filepath.EvalSymlinks(w.modulesDir)
		if err != nil {
			return fmt.Errorf("modules directory: %v", err)
		}
		modulesDir = d
	}
	if f := e.node.permissionFlag(); f != "" {
		// Read-only access to the runner and the hook's own dependency
		// tree; everything else (writes, child processes, worker threads,
		// addons, the inspector) is refused by Node itself.
		args = append(args, f, "--allow-fs-read="+e.runner)
		if modulesDir != "" {
			args = append(args, "--allow-fs-read="+modulesDir)
		}
	}
	args = append(args, e.runner)
	cmd := exec.Command(e.node.Path, args...)
	// No variable of the server's environment reaches hook code (nor
	// NODE_OPTIONS): a hook's process.env is what its execution is given.
	// Node reads the extra CAs at start, outside any process.env.
	cmd.Env = []string{}
	if e.opts.ExtraCACerts != "" {
		cmd.Env = append(cmd.Env, "NODE_EXTRA_CA_CERTS="+e.opts.ExtraCACerts)
	}
	cmd.Dir = "/"
	cmd.Stdout = &w.output
	cmd.Stderr = &w.output
	setProcAttr(cmd)
	toNodeR, toNodeW, err := os.Pipe()
	if err != nil {
		return err
	}
	fromNodeR, fromNodeW, err := os.Pipe()
	if err != nil {
		toNodeR.Close()
		toNodeW.Close()
		return err
	}
	cmd.ExtraFiles = []*os.File{toNodeR, fromNodeW} // fd 3, fd 4
	if err := cmd.Start(); err != nil {
		toNodeR.Close()
		toNodeW.Close()
		fromNodeR.Close()
		fromNodeW.Close()
		return err
	}
	toNodeR.Close()
	fromNodeW.Close()
	w.cmd, w.toNode, w.bw = cmd, toNodeW, bufio.NewWriterSize(toNodeW, 64<<10)
	w.pidv.Store(int64(cmd.Process.Pid))
	w.flush = sandbox.NewDeferredFlush()
	go w.readLoop(bufio.NewReaderSize(fromNodeR, 64<<10), fromNodeR)
	go w.flush.Run(w.deadCh, w.flushBuffered, func() { w.kill(nil, nil) })

	cfg, _ := json.Marshal(runnerConfig{
		Script: w.script, ModulesDir: modulesDir, Egress: e.egressSpec,
		MaxResponse: e.opts.MaxResponseBytes, MaxLogLines: maxLogLines, MaxLogBytes: maxLogBytes,
		MaxSockets: e.opts.MaxSockets, MaxErrorMessage: sandbox.MaxErrorMessage,
		Permission: e.node.permissionFlag() != "",
	})
	f := newFrame(frameConfig, 0)
	f = append(f, cfg...)
	if err := w.send(f.finish()); err != nil {
		w.kill(nil, nil)
	}
	return nil
}

// closeInput closes the runner's fd 3: it exits when it reads the end.
func (w *worker) closeInput() {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.toNode != nil {
		_ = w.toNode.Close()
	}
}

var errWorkerDied = fmt.Errorf("%w: the worker ended", sandbox.ErrCrashed)

// acquire takes an execution slot, waiting until deadline at most.
func (w *worker) acquire(ctx context.Context, deadline time.Time) error {
	select {
	case w.sem <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case w.sem <- struct{}{}:
		return nil
	case <-t.C:
		return sandbox.ErrTimeout
	case <-ctx.Done():
		return ctx.Err()
	case <-w.deadCh:
		return errWorkerDied
	}
}

func (w *worker) release() { <-w.sem }

func (w *worker) pid() int { return int(w.pidv.Load()) }

func (w *worker) isDead() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dead
}

func (w *worker) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.dead && len(w.calls) == 0
}

func (w *worker) register(c *call) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dead || (w.once && len(w.calls) > 0) {
		return false
	}
	w.calls[c.id] = c
	return true
}

func (w *worker) lookup(id uint64) *call {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[id]
}

func (w *worker) send(frame []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if _, err := w.bw.Write(frame); err != nil {
		return err
	}
	return w.bw.Flush()
}

// flushBuffered writes the run frames sendRun queued.
func (w *worker) flushBuffered() error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.bw.Flush()
}

// sendRun queues a run frame for the deferred flush.
func (w *worker) sendRun(frame []byte) error {
	w.wmu.Lock()
	_, err := w.bw.Write(frame)
	w.wmu.Unlock()
	if err != nil {
		return err
	}
	w.flush.Due()
	return nil
}

// run sends c and waits for its answer.
func (w *worker) run(ctx context.Context, c *call, inv sandbox.Invocation, timeout time.Duration) callResult {
	env := []byte("{}")
	if len(inv.Env) > 0 {
		env, _ = json.Marshal(inv.Env)
	}
	ctxArg := uint32(0)
	if inv.ContextArg >= 0 && inv.ContextArg < len(inv.Args) {
		ctxArg = uint32(inv.ContextArg) + 1
	}
	f := newFrame(frameRun, c.id).u64(uint64(timeout)).u32(ctxArg).bytes(env).u32(uint32(len(inv.Args)))
	for _, a := range inv.Args {
		f = f.bytes(a)
	}
	if err := w.sendRun(f.finish()); err != nil {
		w.kill(c, fmt.Errorf("%w: %v", sandbox.ErrCrashed, err))
	}

	t := time.NewTimer(timeout + answerGrace)
	defer t.Stop()
	var r callResult
	select {
	case r = <-c.result:
	case <-t.C:
		// The runner did not answer its own deadline: its event loop is
		// blocked. Only killing the process stops it.
		w.kill(c, sandbox.ErrTimeout)
		r = <-c.result
	case <-ctx.Done():
		_ = w.send(newFrame(frameCancel, c.id).finish())
		select {
		case r = <-c.result:
		case <-time.After(answerGrace):
			w.kill(c, sandbox.ErrTimeout)
			r = <-c.result
		}
		if r.err != nil || ctx.Err() != nil {
			r.err, r.rerun = ctx.Err(), false
		}
	}
	if errors.Is(r.err, errCanceled) {
		r.err = context.Canceled
		if ctx.Err() != nil {
			r.err = ctx.Err()
		}
	}
	return r
}

var errCanceled = errors.New("noderun: execution canceled")

// kill ends the process. blame (may be nil) is the execution that caused
// it and err what it fails with; the others in flight run once more alone
// (die).
func (w *worker) kill(blame *call, err error) {
	w.mu.Lock()
	if blame != nil && w.blameErr == nil && !w.dead {
		w.blamed, w.blameErr = blame, err
	}
	w.mu.Unlock()
	if w.cmd != nil && w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
}

func (w *worker) readLoop(r *bufio.Reader, f *os.File) {
	defer f.Close()
	// The runner enforces the response, storage and console bounds; the
	// parent checks them again, so that hook code writing frames to fd 4
	// itself cannot make the server's memory grow.
	maxFrame := uint32(max(w.e.opts.MaxResponseBytes, sandbox.MaxStorageBytes, maxLogBytes) + 64<<10)
	for {
		typ, id, payload, err := readFrame(r, maxFrame)
		if err != nil {
			break
		}
		switch typ {
		case frameReady:
			w.version = string(payload)
			ch := w.readyFrame()
			select {
			case <-ch:
			default:
				close(ch)
			}
		case frameLog:
			c := w.lookup(id)
			d := sandbox.NewFrameDecoder(payload)
			ts := int64(d.U64())
			lvl := d.U8()
			if c == nil || d.Err() != nil || int(lvl) >= len(logLevels) {
				continue
			}
			text := d.Rest()
			if c.logLines >= maxLogLines+1 || c.logBytes+len(text) > maxLogBytes+1024 {
				continue
			}
			c.logLines++
			c.logBytes += len(text)
			l := sandbox.LogLine{Time: time.Unix(0, ts), Level: logLevels[lvl], Text: string(text)}
			if !c.answered {
				c.logs = append(c.logs, l)
			}
			if c.onLog != nil {
				c.onLog(l)
			}
		case frameResult:
			c := w.lookup(id)
			if c == nil || c.answered {
				continue
			}
			c.answered = true
			w.release()
			out, err := decodeResult(payload)
			out.Logs = c.logs
			c.result <- callResult{out: out, err: err}
			// The execution's work may go on (fire-and-forget); if the
			// runner does not report its end by the deadline, its event
			// loop is stuck.
			c.linger = time.AfterFunc(time.Until(c.deadline)+doneGrace, func() {
				if w.lookup(c.id) == c {
					w.kill(nil, nil)
				}
			})
		case frameDone:
			w.mu.Lock()
			c := w.calls[id]
			delete(w.calls, id)
			retire := w.once && len(w.calls) == 0
			w.mu.Unlock()
			if c != nil && c.linger != nil {
				c.linger.Stop()
			}
			if retire {
				w.kill(nil, nil)
			}
			if w.e.testDone != nil {
				w.e.testDone()
			}
		case frameHostCall:
			c := w.lookup(id)
			d := sandbox.NewFrameDecoder(payload)
			cid := d.U64()
			op := d.U8()
			if d.Err() != nil {
				continue
			}
			if c == nil {
				f := newFrame(frameHostReply, cid).u8(hostFailed)
				_ = w.send(append(f, "the execution has ended"...).finish())
				continue
			}
			go w.serveHost(c, cid, op, d.Rest())
		}
	}
	w.die()
}

// die runs once the runner's output ends: it reaps the process and answers
// every execution still waiting. The one that caused the death fails: the
// execution the parent killed it for (its deadline passed, it was
// canceled), or else the only execution alive on the worker. Node cannot
// say which of several executions sharing a process filled its memory or
// crashed it, so when several were alive none is blamed: each unanswered
// one runs once more alone (Engine.Run), where the culprit kills only its
// own process.
func (w *worker) die() {
	if w.cmd != nil && w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
	var waitErr error
	if w.cmd != nil {
		waitErr = w.cmd.Wait()
	}
	w.mu.Lock()
	w.dead = true
	calls := w.calls
	w.calls = map[uint64]*call{}
	blamed, blameErr := w.blamed, w.blameErr
	w.mu.Unlock()
	w.closeInput()
	close(w.deadCh)
	w.e.forget(w)

	if blameErr == nil {
		// Died on its own, or the watchdog found it over its memory.
		tail := w.output.Bytes()
		if w.memKilled.Load() || looksLikeOOM(tail) {
			blameErr = sandbox.ErrMemory
		} else {
			blameErr = fmt.Errorf("%w: %s", sandbox.ErrCrashed, crashSummary(tail, waitErr))
		}
		if len(calls) == 1 {
			// Alone on the worker (answered calls whose work goes on
			// count too): the cause, unless it was module-level code,
			// which is the same hook's anyway.
			for _, c := range calls {
				blamed = c
			}
		}
	}
	for _, c := range calls {
		if c.linger != nil {
			c.linger.Stop()
		}
		if c.answered {
			continue
		}
		w.release()
		r := callResult{out: sandbox.Outcome{Logs: c.logs, Duration: time.Since(c.start)}, err: blameErr}
		if c != blamed {
			r.rerun = true
			if blamed != nil {
				r.err = sandbox.ErrCrashed
			}
		}
		c.result <- r
	}
}

func (w *worker) exitSummary() string {
	return crashSummary(w.output.Bytes(), nil)
}

// serveHost answers one context.webtask.storage call from inv.Storage.
func (w *worker) serveHost(c *call, cid uint64, op byte, payload []byte) {
	ctx, cancel := context.WithDeadline(context.Background(), c.deadline)
	defer cancel()
	f := newFrame(frameHostReply, cid)
	fail := func(msg string) { f = f.u8(hostFailed); f = append(f, msg...) }
	switch {
	case op == hostGet && c.storage == nil:
		f = f.u8(hostOK).bytes(nil)
	case op == hostGet:
		data, version, err := c.storage.Get(ctx)
		if err != nil {
			fail("storage is unavailable")
			break
		}
		f = f.u8(hostOK).bytes([]byte(version))
		f = append(f, data...)
	case op == hostSet && c.storage == nil:
		fail("context.webtask.storage is not available to this execution")
	case op == hostSet:
		d := sandbox.NewFrameDecoder(payload)
		force := d.U8() != 0
		ifVersion := string(d.Bytes())
		data := d.Rest()
		switch {
		case d.Err() != nil:
			fail("bad storage request")
		case len(data) > sandbox.MaxStorageBytes:
			fail("Storage data is limited to 500 KB")
		case !json.Valid(data):
			fail("storage data must be JSON")
		default:
			v, err := c.storage.Set(ctx, append(json.RawMessage(nil), data...), ifVersion, force)
			switch {
			case errors.Is(err, sandbox.ErrStorageConflict):
				f = f.u8(hostConflict)
			case err != nil:
				fail("storage is unavailable")
			default:
				f = f.u8(hostOK)
				f = append(f, v...)
			}
		}
	default:
		fail("unknown host call")
	}
	_ = w.send(f.finish())
}

// decodeResult reads a result frame's payload.
func decodeResult(payload []byte) (out sandbox.Outcome, err error) {
	d := sandbox.NewFrameDecoder(payload)
	st := d.U8()
	out.Duration = time.Duration(d.U64())
	if d.Err() != nil {
		return out, fmt.Errorf("%w: %v", sandbox.ErrCrashed, d.Err())
	}
	switch st {
	case statusOK:
		out.Response = json.RawMessage(d.Rest())
	case statusScriptError:
		name := string(d.Bytes())
		out.Err = &sandbox.HookError{Name: name, Message: string(d.Rest())}
	case statusCompileError:
		line, col := d.U32(), d.U32()
		return out, &sandbox.CompileError{Line: int(line), Column: int(col), Message: string(d.Rest())}
	case statusTimeout:
		return out, sandbox.ErrTimeout
	case statusMemory:
		return out, sandbox.ErrMemory
	case statusTooLarge:
		return out, sandbox.ErrTooLarge
	case statusCanceled:
		return out, errCanceled
	default:
		return out, fmt.Errorf("%w: unknown result status %d", sandbox.ErrCrashed, st)
	}
	return out, d.Err()
}

// looksLikeOOM recognises V8 giving up at its heap limit.
func looksLikeOOM(tail []byte) bool {
	for _, s := range []string{"heap out of memory", "Reached heap limit", "Fatal process out of memory", "Allocation failed"} {
		if bytes.Contains(tail, []byte(s)) {
			return true
		}
	}
	return false
}

// crashSummary describes how a runner ended without repeating anything it
// wrote to stdout/stderr: hook code writes there too, and it may hold
// secrets. Only whether V8 reported a fatal error, and the exit status.
func crashSummary(tail []byte, waitErr error) string {
	s := "node exited"
	if bytes.Contains(tail, []byte("FATAL ERROR:")) || bytes.Contains(tail, []byte("# Fatal error")) {
		s += " after a fatal V8 error"
	}
	if waitErr != nil {
		s += " (" + waitErr.Error() + ")"
	}
	return s
}
