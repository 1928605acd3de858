package eventlog

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Event types (Auth0's log event codes).
const (
	SuccessCredentialsExchange = "seccft"
	FailedCredentialsExchange  = "feccft"
	SuccessPasswordExchange    = "sepft"
	FailedPasswordExchange     = "fepft"
	SuccessSignup              = "ss"
	FailedSignup               = "fs"
	// Warning is Auth0's "w": here, a configuration that needs the
	// operator (a hook secret imported without a value).
	Warning = "w"
)

const (
	// spoolEvery is how long a recorded event may wait in memory before it
	// is appended to the spool: the events a kill -9 can lose.
	spoolEvery = 10 * time.Millisecond
	// flushEvery bounds how stale /api/v2/logs is while storage keeps up.
	flushEvery = 200 * time.Millisecond
	// batchSize wakes the spooler and the store writer before their
	// timers: a busy server writes this many events per storage call.
	batchSize = 512
	// maxRows bounds one storage call when a backlog is written.
	maxRows = 4096

	// maxPending and maxPendingBytes bound the events waiting for the
	// spooler. They fill only when the spool's disk stalls; Record then
	// drops rather than wait.
	maxPending      = 16384
	maxPendingBytes = 16 << 20
	// maxHeldBytes bounds the copies of spooled events kept in memory for
	// storage; past it, a backlog is read back from the spool instead.
	maxHeldBytes = 16 << 20

	// storeTimeout bounds one storage call; a call that times out is
	// retried, its events safe in the spool.
	storeTimeout = 30 * time.Second
	// closeTimeout bounds the last write at Close; what it leaves stays
	// in the spool for the next start.
	closeTimeout = 10 * time.Second
	// warnEvery is how often a persisting problem (storage failing, events
	// dropped) is logged.
	warnEvery = time.Minute

	// DefaultSpoolBytes is the spool's byte budget unless Options says.
	DefaultSpoolBytes = 256 << 20
	// DefaultRetention is how long events are kept unless Options says.
	DefaultRetention = 30 * 24 * time.Hour
)

// Options configures a Writer. The zero value is a writer without spool:
// events wait in memory only, and are dropped (and counted) when that
// fills.
type Options struct {
	// SpoolDir holds the spool files; "" runs without spool.
	SpoolDir string
	// SpoolBytes is the spool's byte budget (0 = DefaultSpoolBytes).
	SpoolBytes int64
	// Registerer receives the writer's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock of warnings and retention (nil = time.Now).
	Now func() time.Time
	// Tenant and Retention: events of Tenant older than Retention are
	// deleted, in small batches every pruneEvery; 0 keeps them forever.
	Tenant    string
	Retention time.Duration
}

const (
	// pruneEvery is how often retention runs; pruneBatch bounds one
	// DELETE, so it never holds a lock for long.
	pruneEvery = 10 * time.Minute
	pruneBatch = 1000
	// pruneRestFactor is how long retention rests after a batch, as a
	// multiple of the batch's time: deleting a backlog back to back took
	// a core, and with it a third of the tokens of a two-core machine.
	// Resting 9× the batch leaves retention a tenth of one core, still
	// tens of thousands of events a second, far above any token rate.
	pruneRestFactor = 9
	maxPruneRest    = time.Second
)

// chunk is a run of events the spooler handed to the store writer: held in
// memory (events), in the spool (seg, off..end), or both.
type chunk struct {
	events []storage.LogEvent // nil: read back from the spool
	n      int                // events, 0 when unknown (a file left by a previous process)
	bytes  int                // memory held by events
	seg    *segment
	off    int64
	end    int64
}

// Writer records events. Record queues the event in memory under a mutex
// and returns; a spooler goroutine appends what is queued to the spool
// every spoolEvery; a store goroutine writes spooled events to storage in
// batches and deletes spool files storage holds. Nothing on the Record
// path waits for storage or disk.
type Writer struct {
	store storage.Storage
	log   *slog.Logger
	now   func() time.Time
	spool *spool // nil: no spool

	// Record → spooler.
	mu           sync.Mutex
	pending      []storage.LogEvent
	pendingBytes int
	closed       bool
	kick         chan struct{} // 1-buffered: wakes the spooler

	// spooler → store writer.
	qmu    sync.Mutex
	queue  []*chunk
	queued int           // events in queue (known counts)
	held   int           // bytes of events held in queue
	flush  chan struct{} // 1-buffered: a batch is ready
	// closing ends the store writer after one last write.
	closing   chan struct{}
	spoolDone chan struct{}
	done      chan struct{}
	life      context.Context
	cancel    context.CancelFunc
	pruned    chan struct{} // closed when the retention goroutine ends; nil without retention

	stored, spooled, dropped, unspooled, pruneCount atomic.Int64
	// replayed is events of spool files a previous process left, written
	// by this one: they are in stored but were never in spooled, so a
	// caught-up writer has stored == spooled + replayed (+ unspooled ones
	// written).
	replayed atomic.Int64
	warnMu   sync.Mutex
	lastWarn map[string]time.Time
	unwarned map[string]int64
}

// New starts a writer. Files left in the spool by a previous process are
// written to storage first.
func New(store storage.Storage, log *slog.Logger, opts Options) *Writer {
	w := &Writer{
		store:     store,
		log:       log,
		now:       opts.Now,
		pending:   make([]storage.LogEvent, 0, batchSize),
		kick:      make(chan struct{}, 1),
		flush:     make(chan struct{}, 1),
		closing:   make(chan struct{}),
		spoolDone: make(chan struct{}),
		done:      make(chan struct{}),
		lastWarn:  map[string]time.Time{},
		unwarned:  map[string]int64{},
	}
	if w.now == nil {
		w.now = time.Now
	}
	w.life, w.cancel = context.WithCancel(context.Background())
	if opts.SpoolDir != "" {
		budget := opts.SpoolBytes
		if budget <= 0 {
			budget = DefaultSpoolBytes
		}
		sp, left, err := openSpool(opts.SpoolDir, budget)
		if err != nil {
			log.Error("tenant log spool unavailable: events wait in memory only", "err", err)
		} else {
			w.spool = sp
			for _, seg := range left {
				w.queue = append(w.queue, &chunk{seg: seg, end: seg.size})
			}
			if len(left) > 0 {
				log.Info("tenant log: writing events spooled before the last stop", "files", len(left))
			}
		}
	}
	if opts.Registerer != nil {
		w.register(opts.Registerer)
	}
	go w.spoolLoop()
	go w.storeLoop()
	if opts.Retention > 0 && opts.Tenant != "" {
		w.pruned = make(chan struct{})
		go w.pruneLoop(opts.Tenant, opts.Retention)
	}
	if len(w.queue) > 0 {
		wake(w.flush)
	}
	return w
}

func (w *Writer) register(reg prometheus.Registerer) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tokenhook_log_events_stored_total", Help: "Tenant log events written to storage.",
		}, func() float64 { return float64(w.stored.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tokenhook_log_events_spooled_total", Help: "Tenant log events appended to the local spool.",
		}, func() float64 { return float64(w.spooled.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tokenhook_log_events_replayed_total", Help: "Tenant log events a previous process left in the spool, written to storage by this one (also counted in stored).",
		}, func() float64 { return float64(w.replayed.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tokenhook_log_events_dropped_total", Help: "Tenant log events lost: the spool's byte budget (or memory, without spool) was exhausted.",
		}, func() float64 { return float64(w.dropped.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tokenhook_log_events_pruned_total", Help: "Tenant log events deleted by retention (--log-retention).",
		}, func() float64 { return float64(w.pruneCount.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tokenhook_log_spool_bytes", Help: "Bytes in the tenant log spool.",
		}, func() float64 {
			if w.spool == nil {
				return 0
			}
			return float64(w.spool.bytes())
		}),
	)
}

// Stats are the writer's counters since New.
type Stats struct {
	Stored, Spooled, Dropped int64
	// Replayed is events of spool files left by a previous process that
	// this writer stored; Stored counts them too.
	Replayed int64
	// Unspooled is events waiting in memory only, the spool having
	// refused them (budget exhausted, disk failing) or there being none.
	Unspooled  int64
	SpoolBytes int64
	// Pruned is events deleted by retention.
	Pruned int64
}

// Stats returns the counters /metrics shows.
func (w *Writer) Stats() Stats {
	st := Stats{Stored: w.stored.Load(), Spooled: w.spooled.Load(), Replayed: w.replayed.Load(), Dropped: w.dropped.Load(), Unspooled: w.unspooled.Load(), Pruned: w.pruneCount.Load()}
	if w.spool != nil {
		st.SpoolBytes = w.spool.bytes()
	}
	return st
}

// NewID returns a log id for an event at t, for a caller that must know
// the id before Record (a token request's Actions execution id is its
// event's id). Ids sort by time as Record's own do.
func NewID(t time.Time) string {
	idMu.Lock()
	defer idMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(t), idEntropy).String()
}

// One monotonic source for the process: ids made in the same millisecond,
// by Record or ahead of it, sort in the order they were made.
var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// Record queues e, giving it a log id that sorts by time unless it has
// one already (NewID). Every string is
// made valid UTF-8 and cut to its cap first. Record never waits for
// storage: with storage slow the spool absorbs events, and only when both
// memory and the spool's budget are exhausted is the event dropped, which
// /metrics counts and the log warns about.
func (w *Writer) Record(e storage.LogEvent) {
	if e.Date.IsZero() {
		e.Date = time.Now().UTC()
	}
	size := clean(&e)
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		// The last flush has run or is running: say so rather than lose
		// the event without a trace.
		w.log.Warn("tenant log event recorded after shutdown was not written", "type", e.Type, "client_id", e.ClientID)
		return
	}
	if len(w.pending) >= maxPending || w.pendingBytes+size > maxPendingBytes {
		w.mu.Unlock()
		w.drop(1, "the spool is not keeping up")
		return
	}
	if e.LogID == "" {
		e.LogID = NewID(e.Date)
	}
	first := len(w.pending) == 0
	w.pending = append(w.pending, e)
	w.pendingBytes += size
	full := len(w.pending) == batchSize
	w.mu.Unlock()
	if first || full {
		wake(w.kick)
	}
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Close spools what is queued, writes what it can to storage within
// closeTimeout and stops. Events storage did not take stay in the spool
// for the next start. Events recorded after Close are not written.
func (w *Writer) Close() {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if already {
		<-w.done
		return
	}
	wake(w.kick)
	<-w.spoolDone
	close(w.closing)
	w.cancel() // a storage call stuck on a lock gives way to the last write
	<-w.done
	if w.pruned != nil {
		<-w.pruned
	}
	if w.spool != nil {
		w.spool.close()
	}
}

// spoolLoop moves recorded events to the spool (and to the store writer's
// queue): once spoolEvery after the first event of a batch, or at once
// when batchSize events wait.
func (w *Writer) spoolLoop() {
	defer close(w.spoolDone)
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		<-w.kick
		w.mu.Lock()
		wait := !w.closed && len(w.pending) < batchSize
		w.mu.Unlock()
		if wait {
			gather.Reset(spoolEvery)
			select {
			case <-gather.C:
			case <-w.kick: // a full batch, or Close
				gather.Stop()
			}
		}
		w.mu.Lock()
		batch, size, closed := w.pending, w.pendingBytes, w.closed
		w.pending, w.pendingBytes = make([]storage.LogEvent, 0, batchSize), 0
		w.mu.Unlock()
		if len(batch) > 0 {
			w.enqueue(batch, size)
		}
		if closed {
			return
		}
	}
}

// enqueue spools batch and queues it for storage.
func (w *Writer) enqueue(batch []storage.LogEvent, size int) {
	c := &chunk{events: batch, n: len(batch), bytes: size}
	if w.spool != nil {
		seg, off, end, err := w.spool.append(batch)
		if err == nil {
			c.seg, c.off, c.end = seg, off, end
			w.spooled.Add(int64(len(batch)))
		} else if !errors.Is(err, errSpoolFull) {
			w.warn("spool", "tenant log spool write failed: events wait in memory", "err", err)
		}
	}
	w.qmu.Lock()
	if w.held+size > maxHeldBytes {
		if c.seg == nil {
			w.qmu.Unlock()
			w.drop(len(batch), "storage is not keeping up and the spool's byte budget is exhausted")
			return
		}
		c.events, c.bytes = nil, 0 // read back from the spool when storage catches up
	}
	w.held += c.bytes
	if c.seg == nil {
		w.unspooled.Add(int64(c.n))
	}
	w.queue = append(w.queue, c)
	w.queued += c.n
	ready := w.queued >= batchSize
	w.qmu.Unlock()
	if ready {
		wake(w.flush)
	}
}

// storeLoop writes queued events to storage: when a batch is ready or
// every flushEvery, retrying a failing store on the next tick.
func (w *Writer) storeLoop() {
	defer close(w.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-w.flush:
		case <-tick.C:
		case <-w.closing:
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			err := w.write(ctx)
			cancel()
			if err != nil {
				w.log.Error("tenant log events not written at shutdown", "events", w.backlog(), "spooled", w.spool != nil, "err", err)
			}
			return
		}
		if err := w.write(w.life); err != nil && w.life.Err() == nil {
			w.warn("store", "tenant log storage is failing; events wait in the spool", "events", w.backlog(), "err", err)
		}
	}
}

// backlog is how many queued events storage does not hold yet (those of
// files left by a previous process not counted).
func (w *Writer) backlog() int {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return w.queued
}

// write writes the queue to storage, oldest first, until it is empty or
// storage fails.
func (w *Writer) write(parent context.Context) error {
	for {
		w.qmu.Lock()
		var (
			take []*chunk
			rows int
		)
		for _, c := range w.queue {
			// A file left by a previous process (n unknown) is a batch of
			// its own, so what it stored is counted as replayed exactly.
			if len(take) > 0 && (c.n == 0 || take[0].n == 0 || rows+c.n > maxRows) {
				break
			}
			take = append(take, c)
			rows += c.n
		}
		w.qmu.Unlock()
		if len(take) == 0 {
			return nil
		}
		var (
			events []storage.LogEvent
			replay bool // a file left by a previous process (a batch of its own)
		)
		for _, c := range take {
			if c.n == 0 && c.seg != nil {
				replay = true
			}
			if c.events != nil {
				events = append(events, c.events...)
				continue
			}
			got, bad, err := w.spool.read(c.seg, c.off, c.end)
			if err != nil {
				return err
			}
			if bad > 0 {
				w.log.Warn("tenant log spool: unreadable lines skipped (a write cut short)", "lines", bad, "file", c.seg.path)
			}
			events = append(events, got...)
		}
		ctx, cancel := context.WithTimeout(parent, storeTimeout)
		err := w.store.AppendLogEvents(ctx, events)
		cancel()
		var rejected *storage.RejectedEventsError
		stored := len(events)
		if errors.As(err, &rejected) {
			// Refused rows are counted as dropped, not also as stored.
			w.drop(rejected.Count, "storage rejected them: "+rejected.Err.Error())
			stored -= rejected.Count
			err = nil
		}
		if err != nil {
			return err
		}
		w.stored.Add(int64(stored))
		if replay {
			w.replayed.Add(int64(stored))
		}
		w.qmu.Lock()
		clear(w.queue[:len(take)])
		w.queue = w.queue[len(take):]
		for _, c := range take {
			w.queued -= c.n
			w.held -= c.bytes
			if c.seg == nil {
				w.unspooled.Add(-int64(c.n))
			}
		}
		w.qmu.Unlock()
		for _, c := range take {
			if c.seg != nil {
				w.spool.commit(c.seg, c.end)
			}
		}
	}
}

// pruneLoop deletes the tenant's events older than retention: at start and
// every pruneEvery, batch after batch until a batch is not full. It runs
// beside the token path and the writer, never in them.
func (w *Writer) pruneLoop(tenant string, retention time.Duration) {
	defer close(w.pruned)
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		before := w.now().Add(-retention)
		for {
			ctx, cancel := context.WithTimeout(w.life, storeTimeout)
			t0 := time.Now()
			n, err := w.store.PruneLogEvents(ctx, tenant, before, pruneBatch)
			took := time.Since(t0)
			cancel()
			if err != nil {
				if w.life.Err() == nil {
					w.warn("prune", "tenant log retention failed; retrying later", "err", err)
				}
				break
			}
			w.pruneCount.Add(int64(n))
			if n < pruneBatch {
				break
			}
			rest := time.NewTimer(min(pruneRestFactor*took, maxPruneRest))
			select {
			case <-rest.C:
			case <-w.life.Done():
				rest.Stop()
				return
			}
		}
		select {
		case <-tick.C:
		case <-w.life.Done():
			return
		}
	}
}

// drop counts n lost events and warns at most once per warnEvery.
func (w *Writer) drop(n int, why string) {
	w.dropped.Add(int64(n))
	w.warn("drop", "tenant log events dropped", "reason", why, "dropped_total", w.dropped.Load())
}

// warn logs msg at most once per warnEvery per kind, saying how many
// occurrences it did not log.
func (w *Writer) warn(kind, msg string, args ...any) {
	now := w.now()
	w.warnMu.Lock()
	last, seen := w.lastWarn[kind]
	if seen && now.Sub(last) < warnEvery {
		w.unwarned[kind]++
		w.warnMu.Unlock()
		return
	}
	w.lastWarn[kind] = now
	skipped := w.unwarned[kind]
	w.unwarned[kind] = 0
	w.warnMu.Unlock()
	w.log.Warn(msg, append(args, "not_logged_since_last_warning", skipped)...)
}
