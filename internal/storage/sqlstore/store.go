package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
)

var _ storage.Storage = (*Store)(nil)

// Store is the SQL implementation of storage.Storage.
type Store struct {
	d      *dialect
	sealer *seal.Sealer
	// writer runs every write transaction. On SQLite it is a pool of one
	// connection, which is what serializes writers without SQLITE_BUSY.
	writer *sql.DB
	// reader serves plain reads. On PostgreSQL it is the same pool as writer.
	reader *sql.DB
	subs   *broker
	// listener is the PostgreSQL LISTEN connection; nil on SQLite.
	listener *pgListener
	// schema tags PostgreSQL notifications: NOTIFY channels are
	// database-wide, but a Store only cares about its own schema.
	schema string

	// committed is the highest catalog change Seq this process committed,
	// per tenant (CommittedCatalogSeq).
	seqMu     sync.Mutex
	committed map[string]int64
	// keepChanges is how many recent changes per tenant the change log
	// keeps (changeLogKeep; tests lower it).
	keepChanges int64

	closeOnce sync.Once
	closeErr  error
}

// Open connects to dsn, runs pending migrations and returns a ready Store.
// dsn is a postgres:// or postgresql:// URL, or for SQLite a file path, a
// "file:" URI or "sqlite:" followed by a path.
func Open(ctx context.Context, dsn string, sealer *seal.Sealer) (*Store, error) {
	if sealer == nil {
		return nil, errors.New("sqlstore: a sealer is required")
	}
	var (
		s   *Store
		err error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err = openPostgres(ctx, dsn)
	} else {
		s, err = openSQLite(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	s.sealer = sealer
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.sealOperatorPasswords(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the listener, closes every subscriber channel and the pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.listener != nil {
			s.listener.stop()
		}
		s.subs.close()
		var errs []error
		if s.reader != s.writer {
			errs = append(errs, s.reader.Close())
		}
		errs = append(errs, s.writer.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Subscribe implements storage.Storage.
func (s *Store) Subscribe(ctx context.Context) <-chan storage.Change {
	return s.subs.subscribe(ctx)
}

// querier is what both *sql.DB and *sql.Tx offer, so read helpers can run
// inside a write transaction or on the read pool alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// write runs fn in one write transaction and announces the changes fn
// returns. On PostgreSQL the announcement is a NOTIFY inside the transaction,
// so other replicas hear of it only if it commits; on SQLite the only
// listeners are in this process and get it right after the commit.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) ([]storage.Change, error)) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback()
	changes, err := fn(tx)
	if err != nil {
		return err
	}
	if changes, err = s.sequence(ctx, tx, changes); err != nil {
		return err
	}
	if s.listener != nil {
		for _, c := range changes {
			if err := s.listener.notify(ctx, tx, c); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return s.mapErr(fmt.Errorf("sqlstore: commit: %w", err))
	}
	s.noteCommitted(changes)
	if s.listener == nil {
		for _, c := range changes {
			s.subs.publish(c)
		}
	}
	return nil
}

// readTx runs fn in a read transaction on the read pool.
func (s *Store) readTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin read: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// exec runs a statement and maps unique violations to storage.ErrConflict.
func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	res, err := q.ExecContext(ctx, s.d.bind(query), args...)
	if err != nil {
		return nil, s.mapErr(err)
	}
	return res, nil
}

func (s *Store) mapErr(err error) error {
	if err != nil && s.d.isUnique(err) {
		return fmt.Errorf("%w: %w", storage.ErrConflict, err)
	}
	return err
}

// mustAffect turns "no row matched" into ErrNotFound for deletes.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: %s: %w", what, storage.ErrNotFound)
	}
	return nil
}

// pageClause returns the LIMIT/OFFSET suffix for p; PerPage 0 means all.
// Values are formatted in, not bound: they are ints we computed, and both
// dialects accept literal LIMIT/OFFSET.
func pageClause(p storage.Page) string {
	if p.PerPage <= 0 {
		return ""
	}
	page := max(p.Page, 0)
	offset := page * p.PerPage
	if page > math.MaxInt64/p.PerPage {
		// Past any table: callers bound pages, but an overflow must not
		// turn into a negative OFFSET, which PostgreSQL refuses.
		offset = math.MaxInt64
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", p.PerPage, offset)
}

// count runs a COUNT(*) query.
func (s *Store) count(ctx context.Context, q querier, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, s.d.bind(query), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count: %w", err)
	}
	return n, nil
}

// notFound reports sql.ErrNoRows as storage.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: %s: %w", what, storage.ErrNotFound)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}
