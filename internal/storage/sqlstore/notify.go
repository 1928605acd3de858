package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Kinds announced through Subscribe, one per catalog resource.
const (
	kindClients         = "clients"
	kindResourceServers = "resource_servers"
	kindClientGrants    = "client_grants"
	kindSigningKeys     = "signing_keys"
	kindSettings        = "settings"
	kindHooks           = "hooks"
)

// change announces a write to one record (key) of a kind; see
// storage.Change for what key is per kind.
func change(tenant, kind, key string) storage.Change {
	return storage.Change{Tenant: tenant, Kind: kind, Key: key}
}

// subscriberBuffer is how many changes a subscriber may fall behind before
// its pending changes are coalesced into one KindResync.
const subscriberBuffer = 64

// broker fans changes out to subscribers without ever blocking the
// publisher: a writer must not wait on a slow cache.
type broker struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch   chan storage.Change
	stop func() bool // unregisters the ctx watch
}

func newBroker() *broker { return &broker{subs: map[*subscriber]struct{}{}} }

func (b *broker) subscribe(ctx context.Context) <-chan storage.Change {
	sub := &subscriber{ch: make(chan storage.Change, subscriberBuffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(sub.ch)
		return sub.ch
	}
	b.subs[sub] = struct{}{}
	sub.stop = context.AfterFunc(ctx, func() { b.remove(sub) })
	return sub.ch
}

func (b *broker) remove(sub *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[sub]; ok {
		delete(b.subs, sub)
		close(sub.ch)
	}
}

// publish delivers c to every subscriber. A full buffer is drained and
// replaced by a single KindResync: the subscriber reloads everything
// anyway, so the changes it held are redundant. Holding mu makes this
// goroutine the only sender, so after draining the send cannot block.
func (b *broker) publish(c storage.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs {
		select {
		case sub.ch <- c:
			continue
		default:
		}
	drain:
		for {
			select {
			case <-sub.ch:
			default:
				break drain
			}
		}
		select {
		case sub.ch <- storage.Change{Kind: storage.KindResync}:
		default:
		}
	}
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for sub := range b.subs {
		sub.stop()
		delete(b.subs, sub)
		close(sub.ch)
	}
}

// notifyChannel is the PostgreSQL NOTIFY channel every replica listens on.
const notifyChannel = "tokenhook_changes"

// notification is the NOTIFY payload. Schema is there because channels are
// database-wide while a deployment (or a test) owns one schema.
type notification struct {
	Schema string `json:"s"`
	Tenant string `json:"t"`
	Kind   string `json:"k"`
	Key    string `json:"r,omitempty"`
	Seq    int64  `json:"n,omitempty"`
}

// Listener timing: idle connections are pinged so a silently dead TCP
// connection is noticed; reconnects back off so a down server is not
// hammered.
const (
	listenerPingEvery  = 30 * time.Second
	listenerBackoffMin = 100 * time.Millisecond
	listenerBackoffMax = 5 * time.Second
)

// pgListener owns the one connection per Store that LISTENs for changes
// from every replica (this one included: local writes are delivered the
// same way, so each change arrives exactly once).
type pgListener struct {
	cfg     *pgx.ConnConfig
	schema  string
	subs    *broker
	appName string
	cancel  context.CancelFunc
	done    chan struct{}
}

func startListener(ctx context.Context, base *pgx.ConnConfig, schema string, subs *broker) (*pgListener, error) {
	cfg := base.Copy()
	// A distinct application_name lets operators (and tests) find this
	// connection in pg_stat_activity.
	suffix := make([]byte, 4)
	rand.Read(suffix)
	l := &pgListener{
		cfg:     cfg,
		schema:  schema,
		subs:    subs,
		appName: "tokenhook-listener-" + hex.EncodeToString(suffix),
		done:    make(chan struct{}),
	}
	cfg.RuntimeParams["application_name"] = l.appName
	conn, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.run(runCtx, conn)
	return l, nil
}

func (l *pgListener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: listener connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("sqlstore: listen: %w", err)
	}
	return conn, nil
}

func (l *pgListener) stop() {
	l.cancel()
	<-l.done
}

func (l *pgListener) run(ctx context.Context, conn *pgx.Conn) {
	defer close(l.done)
	for {
		err := l.listen(ctx, conn)
		conn.Close(context.Background())
		if ctx.Err() != nil {
			return
		}
		slog.Warn("sqlstore: change listener lost its connection; reconnecting", "err", err)
		conn = l.reconnect(ctx)
		if conn == nil {
			return
		}
		// Changes committed while we were away were never heard.
		l.subs.publish(storage.Change{Kind: storage.KindResync})
	}
}

// listen delivers notifications until the connection fails or ctx ends.
func (l *pgListener) listen(ctx context.Context, conn *pgx.Conn) error {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenerPingEvery)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if n != nil {
			l.deliver(n.Payload)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			if err := conn.Ping(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
	}
}

func (l *pgListener) deliver(payload string) {
	var msg notification
	if err := json.Unmarshal([]byte(payload), &msg); err != nil {
		slog.Warn("sqlstore: ignoring malformed change notification", "payload", payload)
		return
	}
	if msg.Schema == l.schema {
		l.subs.publish(storage.Change{Tenant: msg.Tenant, Kind: msg.Kind, Key: msg.Key, Seq: msg.Seq})
	}
}

func (l *pgListener) reconnect(ctx context.Context) *pgx.Conn {
	wait := listenerBackoffMin
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		attemptCtx, cancel := context.WithTimeout(ctx, listenerBackoffMax)
		conn, err := l.connect(attemptCtx)
		cancel()
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		slog.Warn("sqlstore: change listener reconnect failed", "err", err, "retry_in", wait)
		wait = min(wait*2, listenerBackoffMax)
	}
}

// notify queues a NOTIFY in tx; PostgreSQL sends it only if tx commits.
func (l *pgListener) notify(ctx context.Context, tx *sql.Tx, c storage.Change) error {
	payload, err := json.Marshal(notification{Schema: l.schema, Tenant: c.Tenant, Kind: c.Kind, Key: c.Key, Seq: c.Seq})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", notifyChannel, string(payload)); err != nil {
		return fmt.Errorf("sqlstore: notify: %w", err)
	}
	return nil
}
