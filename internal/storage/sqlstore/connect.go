package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteBusyTimeoutMS bounds how long a connection waits for another
// process's lock. Within one process writes never contend: they share the
// single writer connection.
const sqliteBusyTimeoutMS = 10000

func openSQLite(ctx context.Context, dsn string) (*Store, error) {
	uri, err := sqliteURI(dsn)
	if err != nil {
		return nil, err
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	if err := createPrivate(dsn); err != nil {
		return nil, err
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", sqliteBusyTimeoutMS)
	// IMMEDIATE takes the write lock at BEGIN, so a read-modify-write can
	// never fail half-way when it upgrades from reader to writer.
	writerDSN := uri + sep + common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	readerDSN := uri + sep + common + "&_query_only=1"

	writer, err := sql.Open("sqlite", writerDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// The writer connects first: it is the one that switches the file to WAL,
	// which readers then rely on to read while a write is in progress.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	reader, err := sql.Open("sqlite", readerDSN)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	reader.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return &Store{d: &sqliteDialect, writer: writer, reader: reader, subs: newBroker(), committed: map[string]int64{}, keepChanges: changeLogKeep}, nil
}

// createPrivate makes the database file of a plain path (not a "file:"
// URI, whose options the caller owns) readable by the owner only: the
// file holds sealed secrets, bcrypt hashes and the audit log. SQLite gives
// its -wal and -shm files the main file's mode, so they follow. An existing
// file keeps its contents and loses group and other access.
func createPrivate(dsn string) error {
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	if !ok {
		path, _ = strings.CutPrefix(dsn, "sqlite:")
	}
	if path == "" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlstore: create %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sqlstore: stat %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("sqlstore: restrict %s: %w", p, err)
			}
		}
	}
	return nil
}

// sqliteURI turns the accepted DSN forms into a SQLite "file:" URI.
func sqliteURI(dsn string) (string, error) {
	rest, ok := strings.CutPrefix(dsn, "sqlite://")
	if !ok {
		rest, _ = strings.CutPrefix(dsn, "sqlite:")
	}
	if rest == "" {
		return "", errors.New("sqlstore: empty SQLite path")
	}
	// The reader and writer pools open separate connections, and each
	// in-memory connection would be a database of its own.
	if rest == ":memory:" || strings.Contains(rest, "mode=memory") {
		return "", errors.New("sqlstore: in-memory SQLite is not supported; use a file in a temporary directory")
	}
	if strings.HasPrefix(rest, "file:") {
		return rest, nil
	}
	// A plain path becomes a URI, so the characters URIs give meaning to
	// must be escaped to keep naming the same file.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(rest)
	return "file:" + esc, nil
}

// postgresMaxConns keeps one replica from taking a server's whole
// connection budget; the listener connection comes on top.
const postgresMaxConns = 10

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: parse postgres dsn: %w", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "tokenhook"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresMaxConns)
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect postgres: %w", err)
	}
	if !schema.Valid {
		db.Close()
		return nil, errors.New("sqlstore: postgres search_path names no existing schema")
	}
	s := &Store{d: &postgresDialect, writer: db, reader: db, subs: newBroker(), schema: schema.String, committed: map[string]int64{}, keepChanges: changeLogKeep}
	// Listen before Open returns, so no change committed after Open can be
	// missed by a subscriber.
	s.listener, err = startListener(ctx, cfg, s.schema, s.subs)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
