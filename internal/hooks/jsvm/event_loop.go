package jsvm

import (
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
// timers run on the executing goroutine. Promise jobs need no queue of ours:
// goja drains its microtask queue whenever a call from Go returns. Unlike
// goja_nodejs/eventloop it starts no goroutine, which keeps a warm execution
// free of scheduling costs. Timers left when an execution completes are
// dropped (compat: completion is when cb is called, not when the loop drains).
type eventLoop struct {
	v      *vmState
	timers timerHeap
	byID   map[int64]*jsTimer
	nextID int64
	wait   *time.Timer
}

type jsTimer struct {
	id       int64
	due      time.Time
	interval time.Duration // > 0 for setInterval
	fn       goja.Callable
	args     []goja.Value
	index    int
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
func (l *eventLoop) init(v *vmState) { l.v = v; l.byID = make(map[int64]*jsTimer) }

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

func (l *eventLoop) schedule(call goja.FunctionCall, repeat, immediate bool) goja.Value {
	fn, ok := goja.AssertFunction(call.Argument(0))
	if !ok {
		panic(l.v.newError("TypeError", "The \"callback\" argument must be of type function"))
	}
	if len(l.timers) >= maxPendingTimers {
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
	t := &jsTimer{id: l.nextID, due: time.Now().Add(delay), fn: fn, args: args}
	if repeat {
		t.interval = delay
	}
	heap.Push(&l.timers, t)
	l.byID[t.id] = t
	return l.v.rt.ToValue(t.id)
}

func (l *eventLoop) cancel(t *jsTimer) {
	delete(l.byID, t.id)
	if t.index >= 0 && t.index < len(l.timers) && l.timers[t.index] == t {
		heap.Remove(&l.timers, t.index)
	}
	t.index = -1
}

// reset drops every pending timer; called when an execution completes.
func (l *eventLoop) reset() {
	if len(l.timers) == 0 {
		return
	}
	for _, t := range l.timers {
		t.index = -1
	}
	clear(l.timers)
	l.timers = l.timers[:0]
	clear(l.byID)
}

// next returns the timer to run now, or waits for one. It returns an engine
// error when the deadline passes or done fires before anything is due.
func (l *eventLoop) next(deadline time.Time, done <-chan struct{}, ctxErr func() error) (*jsTimer, error) {
	for {
		now := time.Now()
		if !now.Before(deadline) {
			return nil, sandbox.ErrTimeout
		}
		wake := deadline
		if len(l.timers) > 0 {
			t := l.timers[0]
			if !t.due.After(now) {
				if t.interval > 0 {
					t.due = now.Add(t.interval)
					heap.Fix(&l.timers, 0)
				} else {
					heap.Pop(&l.timers)
					delete(l.byID, t.id)
					t.index = -1
				}
				return t, nil
			}
			if t.due.Before(wake) {
				wake = t.due
			}
		}
		if l.wait == nil {
			l.wait = time.NewTimer(wake.Sub(now))
		} else {
			l.wait.Reset(wake.Sub(now))
		}
		select {
		case <-l.wait.C:
		case <-done:
			l.wait.Stop()
			return nil, ctxErr()
		}
	}
}
