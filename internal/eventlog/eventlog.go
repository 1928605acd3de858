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
	queueSize = 8192
	batchSize = 512
	// flushEvery bounds how stale /api/v2/logs can be.
	flushEvery = 200 * time.Millisecond
)

// Writer batches events into storage.
type Writer struct {
	store storage.Storage
	log   *slog.Logger
	queue chan storage.LogEvent
	done  chan struct{}

	idMu    sync.Mutex
	entropy *ulid.MonotonicEntropy
	closed  sync.Once
}

// New starts a writer.
func New(store storage.Storage, log *slog.Logger) *Writer {
	w := &Writer{
		store:   store,
		log:     log,
		queue:   make(chan storage.LogEvent, queueSize),
		done:    make(chan struct{}),
		entropy: ulid.Monotonic(rand.Reader, 0),
	}
	go w.run()
	return w
}

// Record queues e, giving it a log id that sorts by time.
func (w *Writer) Record(e storage.LogEvent) {
	if e.Date.IsZero() {
		e.Date = time.Now().UTC()
	}
	w.idMu.Lock()
	e.LogID = ulid.MustNew(ulid.Timestamp(e.Date), w.entropy).String()
	w.idMu.Unlock()
	w.queue <- e
}

// Close writes everything queued and stops the writer. Record must not be
// called after Close.
func (w *Writer) Close() {
	w.closed.Do(func() { close(w.queue) })
	<-w.done
}

func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	batch := make([]storage.LogEvent, 0, batchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// A fresh context: a flush during shutdown must still complete.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for attempt := 1; ; attempt++ {
			err := w.store.AppendLogEvents(ctx, batch)
			if err == nil {
				break
			}
			if attempt == 3 {
				w.log.Error("tenant log events lost after 3 attempts", "count", len(batch), "err", err)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-w.queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) == batchSize {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}
