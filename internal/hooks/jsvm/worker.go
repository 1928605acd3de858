package jsvm

import (
	"github.com/tokenhook/tokenhook/internal/egress"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"

	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// ServeWorker is the body of `tokenhook hook-worker`: it reads request frames
// from in, runs each on its own goroutine, and writes log and result frames
// to out. It returns nil when in reaches EOF (the parent closed the pipe).
// Nothing else may write to out: it is the protocol channel.
func ServeWorker(in io.Reader, out io.Writer) error {
	in, out = pollable(in).(io.Reader), pollable(out).(io.Writer)
	batchScheduling()
	w := &workerServer{
		exec:     newExecutor(),
		out:      bufio.NewWriterSize(out, 64<<10),
		cancels:  make(map[uint64]context.CancelFunc),
		hostWait: make(map[uint64]func(byte, string, []byte)),
		scripts:  make(map[uint64]*scriptRef),
		jobs:     make(chan runJob),
	}
	defer close(w.jobs)
	w.exec.extraCAs = os.Getenv(extraCAsEnv)
	if os.Getenv(busyEnv) == "3" {
		if b, err := mapBusy(os.NewFile(3, "busy-page")); err == nil {
			w.busy = b
		}
	}
	r := bufio.NewReaderSize(in, 64<<10)
	var buf []byte
	for {
		typ, id, payload, nb, err := readFrame(r, buf)
		buf = nb
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch typ {
		case frameConfig:
			d := sandbox.NewFrameDecoder(payload)
			if limit := int64(d.U64()); d.Err() == nil && limit > 0 {
				// A soft limit below the parent's hard one makes the Go GC work
				// harder before the watchdog or RLIMIT_DATA has to step in.
				debug.SetMemoryLimit(limit * 3 / 4)
			}
			if spec := d.Rest(); d.Err() == nil && len(spec) > 0 {
				p, err := egress.FromSpec(spec)
				if err != nil {
					return err
				}
				w.exec.egress = p
			}
		case frameScript:
			if len(w.scripts) >= maxWorkerScripts {
				// The parent forgets before it adds; more means it is broken.
				return errors.New("jsvm: too many scripts")
			}
			d := sandbox.NewFrameDecoder(payload)
			key := string(d.Bytes())
			if d.Err() != nil {
				return d.Err()
			}
			w.scripts[id] = &scriptRef{key: key, src: string(d.Rest())}
		case frameForget:
			delete(w.scripts, id)
		case frameRun:
			req, err := decodeRun(payload, w.scripts)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			w.mu.Lock()
			w.cancels[id] = func() { cancel(errCanceled) }
			w.mu.Unlock()
			j := runJob{ctx: ctx, id: id, req: req}
			select {
			case w.jobs <- j:
			default:
				go w.runner(j)
			}
		case frameReply:
			d := sandbox.NewFrameDecoder(payload)
			seq, st, ver := d.U64(), d.U8(), string(d.Bytes())
			data := append([]byte(nil), d.Rest()...)
			if d.Err() != nil {
				return d.Err()
			}
			w.mu.Lock()
			fn := w.hostWait[seq]
			delete(w.hostWait, seq)
			w.mu.Unlock()
			if fn != nil {
				fn(st, ver, data)
			}
		case frameCancel:
			w.mu.Lock()
			if c := w.cancels[id]; c != nil {
				c()
			}
			w.mu.Unlock()
		default:
			return fmt.Errorf("jsvm: unexpected frame type %d", typ)
		}
	}
}

type workerServer struct {
	exec    *executor
	wmu     sync.Mutex
	out     *bufio.Writer
	wbuf    []byte
	mu      sync.Mutex
	cancels map[uint64]context.CancelFunc
	scripts map[uint64]*scriptRef // by script id; read loop only
	// hostWait holds the continuations of host calls awaiting the parent's
	// reply, by sequence number (under mu).
	hostWait map[uint64]func(status byte, version string, data []byte)
	busy     *busyPage // shared with the parent; nil without one
	hostSeq  atomic.Uint64
	jobs     chan runJob // to idle runners; unbuffered
	idle     atomic.Int32
}

// maxIdleRunners bounds the goroutines kept waiting for the next execution.
const maxIdleRunners = 16

type runJob struct {
	ctx context.Context
	id  uint64
	req runRequest
}

// runner runs j, then waits for further jobs. Every request still gets a
// goroutine of its own (the read loop starts one when none is idle), but an
// idle one is reused: a fresh goroutine's stack was grown (copied) to goja's
// depth on every execution, a fifth of a worker's CPU per token.
func (w *workerServer) runner(j runJob) {
	for {
		w.run(j.ctx, j.id, j.req)
		if w.idle.Add(1) > maxIdleRunners {
			w.idle.Add(-1)
			return
		}
		var ok bool
		j, ok = <-w.jobs
		w.idle.Add(-1)
		if !ok {
			return
		}
	}
}

type runRequest struct {
	timeout    time.Duration
	maxResp    int
	script     *scriptRef
	flags      byte
	contextArg int
	env        map[string]string
	args       []json.RawMessage
}

func decodeRun(p []byte, scripts map[uint64]*scriptRef) (runRequest, error) {
	d := sandbox.NewFrameDecoder(p)
	var r runRequest
	r.timeout = time.Duration(d.U64())
	r.maxResp = int(d.U32())
	sid := d.U64()
	r.flags = d.U8()
	r.contextArg = int(d.U32()) - 1
	// The payload buffer is reused for the next frame: copy what follows
	// (environment and arguments) out, all in one allocation.
	d = sandbox.NewFrameDecoder(append([]byte(nil), d.Rest()...))
	if ne := int(d.U32()); ne > 0 && d.Err() == nil && ne <= d.Len()/8 {
		r.env = make(map[string]string, ne)
		for i := 0; i < ne; i++ {
			k := string(d.Bytes())
			r.env[k] = string(d.Bytes())
		}
	}
	n := int(d.U32())
	if d.Err() == nil && n <= d.Len()/4 {
		r.args = make([]json.RawMessage, n)
		for i := range r.args {
			r.args[i] = d.Bytes()
		}
	}
	if d.Err() != nil {
		return r, d.Err()
	}
	if r.script = scripts[sid]; r.script == nil {
		return r, fmt.Errorf("jsvm: run of unknown script %d", sid)
	}
	return r, nil
}

func (w *workerServer) run(ctx context.Context, id uint64, req runRequest) {
	onLog := func(l sandbox.LogLine) {
		w.wmu.Lock()
		f := newFrame(w.wbuf, frameLog, id).u64(uint64(l.Time.UnixNano())).u8(levelIndex(l.Level))
		f = append(f, l.Text...)
		w.wbuf = f
		w.write(f.finish())
		w.wmu.Unlock()
	}
	p := &runParams{args: req.args, timeout: req.timeout, maxResp: req.maxResp, env: req.env, contextArg: req.contextArg, host: workerHost{w: w, id: id}}
	if w.busy != nil {
		slot := -1
		p.busy = func(running bool) {
			switch {
			case running && slot < 0:
				slot = w.busy.enter(id)
			case !running && slot >= 0:
				w.busy.exit(slot)
				slot = -1
			}
		}
	}
	out, err, rest := w.exec.run(ctx, req.script, p, req.flags&runIsolated != 0, onLog)
	if err != nil && ctx.Err() != nil && !errors.Is(err, sandbox.ErrTimeout) {
		err = errCanceled
	}
	w.mu.Lock()
	delete(w.cancels, id)
	w.mu.Unlock()
	w.wmu.Lock()
	w.wbuf = encodeResult(w.wbuf, id, out, err, rest != nil)
	w.write(w.wbuf)
	w.wmu.Unlock()
	if rest != nil {
		// Fire-and-forget: the answer is on its way; the work the hook left
		// runs on until its loop is empty or its deadline, its log lines
		// still streaming, and the parent learns the end from frameEnd.
		rest()
		w.wmu.Lock()
		w.wbuf = newFrame(w.wbuf, frameEnd, id).finish()
		w.write(w.wbuf)
		w.wmu.Unlock()
	}
}

// workerHost reaches the hook's storage through the parent: a frameHost
// out, a frameReply back.
type workerHost struct {
	w  *workerServer
	id uint64
}

func (h workerHost) call(ctx context.Context, op byte, force bool, ifVersion string, data []byte, done func(st byte, ver string, data []byte)) {
	w := h.w
	seq := w.hostSeq.Add(1)
	var once sync.Once
	finish := func(st byte, ver string, data []byte) { once.Do(func() { done(st, ver, data) }) }
	w.mu.Lock()
	w.hostWait[seq] = finish
	w.mu.Unlock()
	// The execution's end (its deadline) gives up on a reply that never
	// comes, so the table does not keep it.
	context.AfterFunc(ctx, func() {
		w.mu.Lock()
		delete(w.hostWait, seq)
		w.mu.Unlock()
		finish(hostDeadline, "", nil)
	})
	var fb byte
	if force {
		fb = 1
	}
	w.wmu.Lock()
	f := newFrame(w.wbuf, frameHost, h.id).u64(seq).u8(op).u8(fb).str(ifVersion)
	f = append(f, data...)
	w.wbuf = f
	w.write(f.finish())
	w.wmu.Unlock()
}

func hostErr(st byte) error {
	switch st {
	case hostOK:
		return nil
	case hostConflict:
		return sandbox.ErrStorageConflict
	case hostNone:
		return errNoStorage
	case hostDeadline:
		return context.DeadlineExceeded
	}
	return errors.New("storage failed")
}

func (h workerHost) storageGet(ctx context.Context, done func([]byte, string, error)) {
	h.call(ctx, hostStorageGet, false, "", nil, func(st byte, ver string, data []byte) {
		if st == hostNone {
			done(nil, "", nil) // no storage: get() yields undefined
			return
		}
		done(data, ver, hostErr(st))
	})
}

func (h workerHost) storageSet(ctx context.Context, data []byte, ifVersion string, force bool, done func(string, error)) {
	h.call(ctx, hostStorageSet, force, ifVersion, data, func(st byte, ver string, _ []byte) {
		done(ver, hostErr(st))
	})
}

// write sends one frame. A write error means the parent is gone; the worker
// then ends on its next read.
func (w *workerServer) write(b []byte) {
	if _, err := w.out.Write(b); err == nil {
		_ = w.out.Flush()
	}
}
