package jsvm

import (
	"errors"
	"slices"
	"sync"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"

	"container/heap"
	"math"
	"time"

	"github.com/dop251/goja"
)

// maxPendingTimers bounds the timers one execution may have scheduled at once,
// so a loop that schedules without end fails fast instead of eating memory.
const maxPendingTimers = 10000

// eventLoop is a minimal single-threaded loop owned by one vmState: a heap of
// timers and a queue of immediates run on the executing goroutine. Promise
// jobs need no queue of ours: goja drains its microtask queue whenever a
// call from Go returns. Unlike goja_nodejs/eventloop it starts no
// goroutine, which keeps a warm execution free of scheduling costs. Timers
// left when an execution completes are dropped (compat: completion is when
// cb is called, not when the loop drains).
//
// It keeps Node's phases, because hooks see their order: the hook runs as
// an I/O callback does, so its immediates run next (check), then the due
// timers (timers), then host completions (poll), round after round. An
// immediate is therefore never overtaken by a timer, however late the
// machine ran it.
type eventLoop struct {
	v          *vmState
	timers     timerHeap
	immediates []*jsTimer // setImmediate callbacks, in order
	byID       map[int64]*jsTimer
	nextID     int64
	phase      loopPhase
	// checkLeft is how many immediates the current check phase still runs
	// (those queued before it began), -1 before it begins; timersAt is
	// the time the current timers phase runs the timers due by.
	checkLeft int
	timersAt  time.Time
	// refs counts the pending timers that keep work after the answer
	// alive; an unref'd timer (Node's timeout.unref()) still fires while
	// the loop runs but does not keep it running.
	refs int
	wait *time.Timer
	// in receives completions of host operations (fetch, storage) that run
	// off the loop; a new inbox per execution, so a late completion of an
	// ended execution is dropped instead of reaching the next one.
	in *inbox
}

// inbox collects functions that other goroutines want run on the loop.
// post never blocks: a completion must not wait for a loop that may have
// ended at its deadline.
type inbox struct {
	mu      sync.Mutex
	jobs    []func() error
	pending int // operations started and not yet posted
	closed  bool
	kick    chan struct{} // 1-buffered
}

func newInbox() *inbox { return &inbox{kick: make(chan struct{}, 1)} }

// start counts an operation whose completion will be posted.
func (b *inbox) start() {
	b.mu.Lock()
	b.pending++
	b.mu.Unlock()
}

// post delivers the completion of a started operation.
func (b *inbox) post(fn func() error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.pending--
	b.jobs = append(b.jobs, fn)
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// take returns the oldest posted completion, nil if none.
func (b *inbox) take() func() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.jobs) == 0 {
		return nil
	}
	fn := b.jobs[0]
	b.jobs[0] = nil
	b.jobs = b.jobs[1:]
	return fn
}

// idle reports that no operation is outstanding and nothing is posted.
func (b *inbox) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending == 0 && len(b.jobs) == 0
}

func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.jobs = nil
	b.mu.Unlock()
}

// hasWork reports whether timers or host operations are outstanding.
func (l *eventLoop) hasWork() bool {
	if l.refs > 0 {
		return true
	}
	l.in.mu.Lock()
	defer l.in.mu.Unlock()
	return l.in.pending > 0 || len(l.in.jobs) > 0
}

// loopPhase is where the loop is in Node's round of phases.
type loopPhase int

const (
	phaseCheck  loopPhase = iota // immediates
	phaseTimers                  // due timers
	phasePoll                    // host completions, else wait
)

type jsTimer struct {
	id        int64
	due       time.Time
	interval  time.Duration // > 0 for setInterval
	fn        goja.Callable
	args      []goja.Value
	index     int // heap index; for an immediate 0 while queued; -1 once run or cleared
	unref     bool
	immediate bool
}

type timerHeap []*jsTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].id < h[j].id
	}
	return h[i].due.Before(h[j].due)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)   { t := x.(*jsTimer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}
func (l *eventLoop) init(v *vmState) {
	l.v = v
	l.byID = make(map[int64]*jsTimer)
	l.in = newInbox()
	l.phase, l.checkLeft = phaseCheck, -1
}

func (l *eventLoop) install(define func(string, any)) {
	define("setTimeout", func(call goja.FunctionCall) goja.Value { return l.schedule(call, false, false) })
	define("setInterval", func(call goja.FunctionCall) goja.Value { return l.schedule(call, true, false) })
	define("setImmediate", func(call goja.FunctionCall) goja.Value { return l.schedule(call, false, true) })
	clear := func(call goja.FunctionCall) goja.Value {
		if t, ok := l.byID[call.Argument(0).ToInteger()]; ok {
			l.cancel(t)
		}
		return goja.Undefined()
	}
	define("clearTimeout", clear)
	define("clearInterval", clear)
	define("clearImmediate", clear)
}

// setRef is natives.timerRef(id, ref): Node's timeout.ref() and unref().
func (l *eventLoop) setRef(call goja.FunctionCall) goja.Value {
	t, ok := l.byID[call.Argument(0).ToInteger()]
	if ok && t.index >= 0 && t.unref == call.Argument(1).ToBoolean() {
		t.unref = !t.unref
		if t.unref {
			l.refs--
		} else {
			l.refs++
		}
	}
	return goja.Undefined()
}

func (l *eventLoop) schedule(call goja.FunctionCall, repeat, immediate bool) goja.Value {
	fn, ok := goja.AssertFunction(call.Argument(0))
	if !ok {
		panic(l.v.newError("TypeError", "The \"callback\" argument must be of type function"))
	}
	if len(l.timers)+len(l.immediates) >= maxPendingTimers {
		panic(l.v.newError("RangeError", "too many pending timers"))
	}
	var delay time.Duration
	var args []goja.Value
	if immediate {
		if len(call.Arguments) > 1 {
			args = append(args, call.Arguments[1:]...)
		}
	} else {
		// Node clamps delays below 1 ms (and above 2^31-1 ms) to 1 ms.
		ms := call.Argument(1).ToFloat()
		if math.IsNaN(ms) || ms < 1 || ms > math.MaxInt32 {
			ms = 1
		}
		delay = time.Duration(ms * float64(time.Millisecond))
		if len(call.Arguments) > 2 {
			args = append(args, call.Arguments[2:]...)
		}
	}
	l.nextID++
	t := &jsTimer{id: l.nextID, fn: fn, args: args, immediate: immediate}
	if immediate {
		l.immediates = append(l.immediates, t)
	} else {
		t.due = time.Now().Add(delay)
		if repeat {
			t.interval = delay
		}
		heap.Push(&l.timers, t)
	}
	l.byID[t.id] = t
	l.refs++
	return l.v.rt.ToValue(t.id)
}

func (l *eventLoop) cancel(t *jsTimer) {
	delete(l.byID, t.id)
	if t.immediate {
		if i := slices.Index(l.immediates, t); i >= 0 {
			l.immediates = slices.Delete(l.immediates, i, i+1)
			if i < l.checkLeft {
				l.checkLeft--
			}
			if !t.unref {
				l.refs--
			}
		}
		t.index = -1
		return
	}
	if t.index >= 0 && t.index < len(l.timers) && l.timers[t.index] == t {
		heap.Remove(&l.timers, t.index)
		if !t.unref {
			l.refs--
		}
	}
	t.index = -1
}

// reset drops every pending timer and host operation; called when an
// execution ends.
func (l *eventLoop) reset() {
	l.in.mu.Lock()
	used := l.in.pending > 0 || len(l.in.jobs) > 0 || l.in.closed
	l.in.mu.Unlock()
	if used {
		l.in.close()
		l.in = newInbox()
	}
	l.phase, l.checkLeft = phaseCheck, -1
	if len(l.timers) == 0 && len(l.immediates) == 0 {
		return
	}
	for _, t := range l.timers {
		t.index = -1
	}
	for _, t := range l.immediates {
		t.index = -1
	}
	l.refs = 0
	clear(l.timers)
	l.timers = l.timers[:0]
	clear(l.immediates)
	l.immediates = l.immediates[:0]
	clear(l.byID)
}

// loopJob is what next hands out: a due timer, or a host completion.
type loopJob struct {
	timer *jsTimer
	fn    func() error // calls into JavaScript; returns goja's error
}

// errLoopEmpty: nothing is pending and nothing can arrive any more.
var errLoopEmpty = errors.New("jsvm: event loop empty")

// next returns the immediate, timer or host completion to run now, in
// Node's order of phases, or waits for one. It returns an engine error
// when the deadline passes or done fires before anything is due, and
// errLoopEmpty when stopWhenEmpty and nothing is left.
func (l *eventLoop) next(deadline time.Time, done <-chan struct{}, ctxErr func() error, stopWhenEmpty bool) (loopJob, error) {
	for {
		if stopWhenEmpty && l.refs == 0 && l.in.idle() {
			return loopJob{}, errLoopEmpty
		}
		// The deadline before any completion: a host operation that failed
		// because the deadline passed must not give the hook its answer.
		now := time.Now()
		if !now.Before(deadline) {
			return loopJob{}, sandbox.ErrTimeout
		}
		switch l.phase {
		case phaseCheck:
			// Immediates queued while this phase runs wait for the next
			// round, as in Node: a chain of them cannot starve timers.
			if l.checkLeft < 0 {
				l.checkLeft = len(l.immediates)
			}
			if l.checkLeft > 0 {
				t := l.immediates[0]
				l.immediates[0] = nil
				l.immediates = l.immediates[1:]
				l.checkLeft--
				delete(l.byID, t.id)
				t.index = -1
				if !t.unref {
					l.refs--
				}
				return loopJob{timer: t}, nil
			}
			l.checkLeft = -1
			l.phase, l.timersAt = phaseTimers, now
		case phaseTimers:
			// The timers due when the phase began; those a callback
			// schedules (1 ms at least) wait for the next round.
			if len(l.timers) > 0 && !l.timers[0].due.After(l.timersAt) {
				t := l.timers[0]
				if t.interval > 0 {
					t.due = now.Add(t.interval)
					heap.Fix(&l.timers, 0)
				} else {
					heap.Pop(&l.timers)
					delete(l.byID, t.id)
					t.index = -1
					if !t.unref {
						l.refs--
					}
				}
				return loopJob{timer: t}, nil
			}
			l.phase = phasePoll
		case phasePoll:
			if fn := l.in.take(); fn != nil {
				return loopJob{fn: fn}, nil
			}
			wake := deadline
			if len(l.timers) > 0 && l.timers[0].due.Before(wake) {
				wake = l.timers[0].due
			}
			if len(l.immediates) > 0 || !wake.After(now) {
				l.phase = phaseCheck
				continue
			}
			if l.wait == nil {
				l.wait = time.NewTimer(wake.Sub(now))
			} else {
				l.wait.Reset(wake.Sub(now))
			}
			select {
			case <-l.wait.C:
			case <-l.in.kick:
				l.wait.Stop() // Go ≥ 1.23: no stale tick after Stop or Reset
			case <-done:
				l.wait.Stop()
				return loopJob{}, ctxErr()
			}
		}
	}
}
