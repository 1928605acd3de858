package eventlog

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Event types (Auth0's log event codes).
const (
	SuccessCredentialsExchange = "seccft"
	FailedCredentialsExchange  = "feccft"
	SuccessPasswordExchange    = "sepft"
	FailedPasswordExchange     = "fepft"
)

const (
	// queueSize bounds the events held in memory while storage is slow or
	// down; Record waits beyond it.
	queueSize = 8192
	// batchSize wakes the writer before its tick: a busy server writes
	// this many events per storage call.
	batchSize = 512
	// flushEvery bounds how stale /api/v2/logs can be.
	flushEvery = 200 * time.Millisecond
)

// Writer batches events into storage. Record appends to a slice under a
// mutex and wakes the writer only once batchSize events wait, so a token
// costs an append, not a goroutine wake-up as a channel send would.
type Writer struct {
	store storage.Storage
	log   *slog.Logger
	kick  chan struct{} // 1-buffered: a batch is ready, or Close was called
	done  chan struct{}

	mu      sync.Mutex
	space   *sync.Cond // signalled when the writer takes the pending events
	pending []storage.LogEvent
	closed  bool
	entropy *ulid.MonotonicEntropy
}

// New starts a writer.
func New(store storage.Storage, log *slog.Logger) *Writer {
	w := &Writer{
		store:   store,
		log:     log,
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		pending: make([]storage.LogEvent, 0, batchSize),
		entropy: ulid.Monotonic(rand.Reader, 0),
	}
	w.space = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// Record queues e, giving it a log id that sorts by time. It waits while
// queueSize events are pending: the log is an audit trail, not a sample.
func (w *Writer) Record(e storage.LogEvent) {
	if e.Date.IsZero() {
		e.Date = time.Now().UTC()
	}
	w.mu.Lock()
	for len(w.pending) >= queueSize && !w.closed {
		w.space.Wait()
	}
	if w.closed {
		// The last flush has run or is running: say so rather than lose
		// the event without a trace.
		w.mu.Unlock()
		w.log.Warn("tenant log event recorded after shutdown was not written", "type", e.Type, "client_id", e.ClientID)
		return
	}
	e.LogID = ulid.MustNew(ulid.Timestamp(e.Date), w.entropy).String()
	w.pending = append(w.pending, e)
	ready := len(w.pending) == batchSize
	w.mu.Unlock()
	if ready {
		w.wake()
	}
}

func (w *Writer) wake() {
	select {
	case w.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Close writes everything queued and stops the writer. Events recorded
// after Close are not written.
func (w *Writer) Close() {
	w.mu.Lock()
	w.closed = true
	w.space.Broadcast()
	w.mu.Unlock()
	w.wake()
	<-w.done
}

func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	spare := make([]storage.LogEvent, 0, batchSize)
	for {
		select {
		case <-w.kick:
		case <-tick.C:
		}
		w.mu.Lock()
		batch, closed := w.pending, w.closed
		w.pending = spare[:0]
		w.space.Broadcast()
		w.mu.Unlock()
		w.flush(batch)
		clear(batch) // drop references to the events' strings and maps
		spare = batch
		if closed {
			return
		}
	}
}

// flush writes batch, retrying a failing store twice.
func (w *Writer) flush(batch []storage.LogEvent) {
	if len(batch) == 0 {
		return
	}
	// A fresh context: a flush during shutdown must still complete.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := w.store.AppendLogEvents(ctx, batch)
		if err == nil {
			return
		}
		if attempt == 3 {
			w.log.Error("tenant log events lost after 3 attempts", "count", len(batch), "err", err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
