package sandbox

import "runtime"

// DeferredFlush writes a worker's buffered run frames behind the
// goroutines already runnable. Waking a sleeping worker costs two context
// switches, and on a busy server they also evict the signing threads'
// caches; deferring the flush lets the executions of concurrent token
// requests share one write and the worker one wake-up. On an idle server
// Gosched returns at once, so latency stays. Both runtimes' supervisors
// use it.
type DeferredFlush struct{ kick chan struct{} }

// NewDeferredFlush returns a DeferredFlush; Run must be started for it.
func NewDeferredFlush() *DeferredFlush { return &DeferredFlush{kick: make(chan struct{}, 1)} }

// Due asks for a flush; requests made before it runs make one flush.
func (d *DeferredFlush) Due() {
	select {
	case d.kick <- struct{}{}:
	default: // a flush is already due
	}
}

// Run calls flush once per batch of requests until dead is closed. When
// flush fails (the worker is gone or going) it calls fail and returns: the
// supervisor's read loop settles the executions in flight.
func (d *DeferredFlush) Run(dead <-chan struct{}, flush func() error, fail func()) {
	for {
		select {
		case <-d.kick:
		case <-dead:
			return
		}
		runtime.Gosched()
		if flush() != nil {
			fail()
			return
		}
	}
}
