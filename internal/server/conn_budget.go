package server

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// connBudget bounds the connections open at once across every listener of
// the process, so that slow clients from many addresses (which the
// per-address cap cannot stop) never use up the file descriptors the
// database, the log spool, hook workers and npm need. Above its high-water
// mark it sheds the connections that have been slowest to send their
// request: still reading headers or a body, or idle between requests, for
// longer than a short grace. At the budget itself it sheds the oldest such
// connections even within the grace, so a new client (a token request, a
// health check) always finds a slot without waiting for the read timeout
// to cut the slow ones off; only when every connection is being answered
// (a handler is running) is a new one closed as it is accepted.
type connBudget struct {
	max, high int
	grace     time.Duration
	log       *slog.Logger
	now       func() time.Time // injected by tests

	mu       sync.Mutex
	conns    map[*budgetConn]struct{}
	nextScan time.Time // no connection can be stale before then
	lastWarn time.Time

	shed    atomic.Uint64
	refused atomic.Uint64
}

// Phases of a connection, as far as shedding cares.
const (
	phaseReading int32 = iota // accepted, or its request's headers or body still arriving
	phaseIdle                 // between requests of a keep-alive connection
	phaseServing              // its request is in; a handler is answering (a log stream, say)
)

func newConnBudget(max int, grace time.Duration, log *slog.Logger) *connBudget {
	return &connBudget{
		max: max, high: highWater(max), grace: grace, log: log, now: time.Now,
		conns: map[*budgetConn]struct{}{},
	}
}

// highWater is where shedding starts: three quarters of the budget, so a
// burst of new clients still finds free slots while the slow ones go.
func highWater(max int) int { return max - max/4 }

// Open is the number of connections counted now.
func (b *connBudget) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// listen wraps ln: its connections count against the budget.
func (b *connBudget) listen(ln net.Listener) net.Listener {
	return &budgetListener{Listener: ln, b: b}
}

type budgetListener struct {
	net.Listener
	b *connBudget
}

func (l *budgetListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if bc := l.b.admit(c); bc != nil {
			return bc, nil
		}
		_ = c.Close()
	}
}

// admit counts c in, shedding stale connections first when above the
// high-water mark; nil when the budget is full even so.
func (b *connBudget) admit(c net.Conn) *budgetConn {
	now := b.now()
	b.mu.Lock()
	var victims []*budgetConn
	if len(b.conns) >= b.high {
		victims = b.staleLocked(now)
	}
	if len(b.conns) >= b.max {
		victims = append(victims, b.oldestLocked(max(1, b.max/16))...)
	}
	var bc *budgetConn
	if len(b.conns) < b.max {
		bc = &budgetConn{Conn: c, b: b}
		bc.mark(phaseReading, now)
		b.conns[bc] = struct{}{}
	}
	warn := bc == nil && now.Sub(b.lastWarn) >= time.Minute
	if warn {
		b.lastWarn = now
	}
	b.mu.Unlock()
	for _, v := range victims {
		_ = v.Conn.Close()
	}
	if n := len(victims); n > 0 {
		b.shed.Add(uint64(n))
	}
	if bc == nil {
		b.refused.Add(1)
		if warn {
			b.log.Warn("connection refused: every connection of the budget is being answered", "max_conns", b.max)
		}
	}
	return bc
}

// staleLocked takes out of the budget every connection that has been
// reading its request, or idle, for longer than the grace: all of them at
// once, which keeps the scan off most accepts.
func (b *connBudget) staleLocked(now time.Time) []*budgetConn {
	if now.Before(b.nextScan) {
		return nil
	}
	cutoff := now.Add(-b.grace).UnixNano()
	// A connection that turns sheddable after this scan does so at a
	// later time than now, so none can be stale before now+grace, nor
	// before the least recent of those not stale yet.
	next := now.Add(b.grace).UnixNano()
	var stale []*budgetConn
	for c := range b.conns {
		if c.phase.Load() == phaseServing {
			continue
		}
		since := c.since.Load()
		if since <= cutoff {
			stale = append(stale, c)
		} else if since+int64(b.grace) < next {
			next = since + int64(b.grace)
		}
	}
	b.nextScan = time.Unix(0, next)
	for _, c := range stale {
		c.counted = false
		delete(b.conns, c)
	}
	if len(stale) > 0 {
		b.log.Debug("shed slow connections", "count", len(stale), "open", len(b.conns), "max_conns", b.max)
	}
	return stale
}

// oldestLocked takes out of the budget the n connections that have been
// reading their request, or idle, the longest, stale or not: the budget is
// full and a new client is waiting. A batch, so that a full budget is not
// scanned on every accept.
func (b *connBudget) oldestLocked(n int) []*budgetConn {
	var waiting []*budgetConn
	for c := range b.conns {
		if c.phase.Load() != phaseServing {
			waiting = append(waiting, c)
		}
	}
	slices.SortFunc(waiting, func(x, y *budgetConn) int { return cmp.Compare(x.since.Load(), y.since.Load()) })
	waiting = waiting[:min(n, len(waiting))]
	for _, c := range waiting {
		c.counted = false
		delete(b.conns, c)
	}
	return waiting
}

func (b *connBudget) release(c *budgetConn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.counted {
		c.counted = false
		delete(b.conns, c)
	}
}

// budgetConn is one counted connection.
type budgetConn struct {
	net.Conn
	b       *connBudget
	counted bool // under b.mu: still in b.conns
	once    sync.Once
	phase   atomic.Int32
	since   atomic.Int64 // unix nanoseconds the phase began
}

func (c *budgetConn) mark(p int32, t time.Time) {
	if p == phaseReading {
		c.counted = true
	}
	c.since.Store(t.UnixNano())
	c.phase.Store(p)
}

func (c *budgetConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.b.release(c) })
	return err
}

// CloseWrite lets net/http half-close after an error response, as on a
// bare TCP connection.
func (c *budgetConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// budgetConnOf finds the counted connection under what net/http holds (a
// *tls.Conn on TLS listeners).
func budgetConnOf(c net.Conn) *budgetConn {
	for c != nil {
		if bc, ok := c.(*budgetConn); ok {
			return bc
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		c = u.NetConn()
	}
	return nil
}

type budgetConnKey struct{}

// install has srv tell the budget what its connections are doing: idle
// between requests (http.Server.ConnState), reading a request body or
// serving it (the handler wrapper).
func (b *connBudget) install(srv *http.Server) {
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if bc := budgetConnOf(c); bc != nil {
			return context.WithValue(ctx, budgetConnKey{}, bc)
		}
		return ctx
	}
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		bc := budgetConnOf(c)
		if bc == nil {
			return
		}
		switch s {
		case http.StateIdle:
			// The next request's headers arrive in this state too: a
			// client trickling them stays sheddable.
			bc.since.Store(b.now().UnixNano())
			bc.phase.Store(phaseIdle)
		case http.StateHijacked:
			bc.phase.Store(phaseServing)
		}
	}
	h := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bc, ok := r.Context().Value(budgetConnKey{}).(*budgetConn); ok {
			if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
				bc.phase.Store(phaseServing)
			} else {
				// Headers are in; the body may still be trickling. The
				// phase's start stays when the request began.
				bc.phase.Store(phaseReading)
				r.Body = &bodyWatch{ReadCloser: r.Body, conn: bc}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// bodyWatch marks its connection serving once the body has been read to
// its end (or failed, or was closed by the handler).
type bodyWatch struct {
	io.ReadCloser
	conn *budgetConn
}

func (w *bodyWatch) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	if err != nil {
		w.conn.phase.Store(phaseServing)
	}
	return n, err
}

func (w *bodyWatch) Close() error {
	w.conn.phase.Store(phaseServing)
	return w.ReadCloser.Close()
}

const (
	// fdReserveMin is the least of the file limit kept out of the
	// connection budget for everything else the server opens: database
	// files and connections, the log spool, hook workers' pipes, npm.
	fdReserveMin = 128
	// defaultMaxConns is the budget when the file limit is unknown.
	defaultMaxConns = 4096
	// maxDerivedConns caps a budget derived from a huge or unlimited
	// file limit.
	maxDerivedConns = 1 << 20
)

// connBudgetFor is the connection budget for an open-file limit: the
// limit less a reserve (an eighth of it, at least fdReserveMin), and at
// least half the limit when the limit is small.
func connBudgetFor(limit uint64) int {
	if limit == 0 {
		return defaultMaxConns
	}
	limit = min(limit, maxDerivedConns)
	reserve := max(fdReserveMin, limit/8)
	if limit < 2*reserve {
		return int(max(1, limit/2))
	}
	return int(limit - reserve)
}
