package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every difference between SQLite and PostgreSQL that the
// query code has to know about. Queries are written once with "?"
// placeholders and a shared SQL subset (ON CONFLICT upserts, TEXT times,
// BOOLEAN); anything beyond that subset belongs here and nowhere else.
type dialect struct {
	name string
	// bytesType replaces {{BYTES}} in migrations.
	bytesType string
	// withoutRowid replaces {{WITHOUT_ROWID}} in migrations: SQLite's
	// clause that stores a table in its primary key's b-tree (PostgreSQL
	// has no rowid to drop).
	withoutRowid string
	// logsByClient follows "FROM log_events" in a log query filtered by
	// both client and type: SQLite, which keeps no statistics, would as
	// soon read the type's index, which spans most of the log.
	logsByClient string
	// logsByUser follows "FROM log_events" in a log query filtered by
	// user: SQLite would as soon walk the primary key or the type's index.
	logsByUser string
	// attrsUserID replaces {{ATTRS_USER_ID}} in migrations: the user_id
	// property of a row's attrs JSON, as text.
	attrsUserID string
	// keysFirst makes a filtered log query pick its page's log ids from
	// the covering index first and read only those rows: SQLite reads a
	// WITHOUT ROWID table's row for every index entry it tests against a
	// filter (PostgreSQL tests index columns in the index).
	keysFirst bool
	// dollarParams turns "?" into "$1", "$2", ... (PostgreSQL).
	dollarParams bool
	// forUpdate is appended to the read of a read-modify-write so a
	// concurrent writer on another connection waits for our commit. SQLite
	// needs none: its write transactions begin IMMEDIATE and so hold the
	// database write lock from the start.
	forUpdate string
	// skipLocked ends the SELECT of an outbox claim so concurrent claims
	// pass over each other's rows (PostgreSQL); SQLite's writes are serial.
	skipLocked string
	// catalogTx is how LoadCatalog reads a consistent snapshot. On SQLite any
	// read transaction in WAL mode already is one.
	catalogTx *sql.TxOptions
	// lock serializes read-modify-writes of a set that may have no row yet to
	// lock (signing keys, settings). nil where writes are already serial.
	lock func(ctx context.Context, tx *sql.Tx, name string) error
	// lockMigrations keeps replicas starting together from migrating at once.
	lockMigrations func(ctx context.Context, tx *sql.Tx) error
	// isUnique reports a unique or primary key violation.
	isUnique func(err error) bool
}

var sqliteDialect = dialect{
	name:         "sqlite",
	bytesType:    "BLOB",
	withoutRowid: " WITHOUT ROWID",
	logsByClient: " INDEXED BY log_events_by_client",
	logsByUser:   " INDEXED BY log_events_by_user",
	attrsUserID:  "json_extract(attrs, '$.user_id')",
	keysFirst:    true,
	catalogTx:    &sql.TxOptions{},
	isUnique: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
}

// migrationLockKey is an arbitrary constant shared by every tokenhook
// replica; pg advisory locks are database-wide, hence a fixed number.
const migrationLockKey = 7_461_203_955_118

var postgresDialect = dialect{
	name:         "postgres",
	bytesType:    "BYTEA",
	attrsUserID:  "(attrs::jsonb ->> 'user_id')",
	dollarParams: true,
	forUpdate:    " FOR UPDATE",
	skipLocked:   " FOR UPDATE SKIP LOCKED",
	catalogTx:    &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	lock: func(ctx context.Context, tx *sql.Tx, name string) error {
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", name)
		return err
	},
	lockMigrations: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLockKey))
		return err
	},
	isUnique: func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == "23505"
	},
}

// bind rewrites "?" placeholders for the dialect. Queries in this package
// never contain a literal "?", so a plain scan is enough.
func (d *dialect) bind(query string) string {
	if !d.dollarParams {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
