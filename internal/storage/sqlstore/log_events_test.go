package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// TestLogEventRowRefusedAlone: a row the database refuses (here by a
// constraint the test adds, standing for any refusal the writer cannot
// foresee) is left out alone; the other rows of its batch are stored.
func TestLogEventRowRefusedAlone(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := openSQLiteTest(t)
		if _, err := s.writer.ExecContext(t.Context(), `CREATE TRIGGER refuse_row BEFORE INSERT ON log_events
			WHEN NEW.client_id = 'refuse-me' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`); err != nil {
			t.Fatal(err)
		}
		checkRowRefusedAlone(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s := openPostgresAt(t, freshSchema(t, postgresAdmin(t)))
		if _, err := s.writer.ExecContext(t.Context(), `ALTER TABLE log_events ADD CONSTRAINT refuse_row CHECK (client_id <> 'refuse-me')`); err != nil {
			t.Fatal(err)
		}
		checkRowRefusedAlone(t, s)
	})
}

func checkRowRefusedAlone(t *testing.T, s *Store) {
	ctx := t.Context()
	var batch []storage.LogEvent
	for n := range 100 {
		e := storage.LogEvent{Tenant: "t", LogID: fmt.Sprintf("log-%03d", n), Date: time.Unix(int64(n), 0), Type: "seccft", ClientID: "c"}
		if n == 42 {
			e.ClientID = "refuse-me"
		}
		batch = append(batch, e)
	}
	err := s.AppendLogEvents(ctx, batch)
	var rejected *storage.RejectedEventsError
	if !errors.As(err, &rejected) || rejected.Count != 1 {
		t.Fatalf("append: %v, want one rejected row", err)
	}
	_, total, err := s.ListLogEvents(ctx, "t", storage.LogQuery{})
	if err != nil || total != 99 {
		t.Fatalf("%d events stored (%v), want 99", total, err)
	}
}

// TestLogEventsCompactMigration: a log written under the previous schema
// (a rowid table with an index on date) survives the migration that
// rebuilds it, and the rebuilt table is what the migration says: WITHOUT
// ROWID on SQLite, no date index on either backend.
func TestLogEventsCompactMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := t.TempDir() + "/old.db"
		checkCompactMigration(t, func() *Store {
			s, err := Open(t.Context(), path, testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := freshSchema(t, postgresAdmin(t))
		checkCompactMigration(t, func() *Store {
			s, err := Open(t.Context(), dsn, testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func checkCompactMigration(t *testing.T, open func() *Store) {
	ctx := t.Context()
	s := open()
	// Back to the schema of migrations 0001 and 0014, with a log in it.
	for _, stmt := range []string{
		"DROP TABLE log_events",
		"DELETE FROM schema_migrations WHERE name = '0020_log_events_by_client_type.sql'",
		`CREATE TABLE log_events (tenant TEXT NOT NULL, log_id TEXT NOT NULL, date TEXT NOT NULL, type TEXT NOT NULL,
			client_id TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (tenant, log_id))`,
		"CREATE INDEX log_events_by_type ON log_events (tenant, type, log_id)",
		"CREATE INDEX log_events_by_client ON log_events (tenant, client_id, log_id)",
		"CREATE INDEX log_events_by_date ON log_events (tenant, date)",
		"DELETE FROM schema_migrations WHERE name = '0019_log_events_compact.sql'",
		"DELETE FROM schema_migrations WHERE name = '0023_log_events_by_user.sql'",
	} {
		if _, err := s.writer.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var events []storage.LogEvent
	for n := range 200 {
		events = append(events, storage.LogEvent{Tenant: "t", LogID: fmt.Sprintf("log-%03d", n), Date: time.Unix(int64(n), 0).UTC(),
			Type: []string{"seccft", "feccft"}[n%2], ClientID: fmt.Sprintf("c%d", n%3), Description: "event", IP: "203.0.113.1",
			Details: map[string]any{"n": float64(n)}})
	}
	insertOldLogRows(t, s, events)
	s.Close()

	s = open()
	defer s.Close()
	got, _, err := s.ListLogEvents(ctx, "t", storage.LogQuery{OldestFirst: true})
	if err != nil || len(got) != len(events) {
		t.Fatalf("after the migration: %d events (%v), want %d", len(got), err, len(events))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], events[i]) {
			t.Fatalf("event %d after the migration:\n got %+v\nwant %+v", i, got[i], events[i])
		}
	}
	byClient, _, err := s.ListLogEvents(ctx, "t", storage.LogQuery{Type: "feccft", ClientID: "c1", Page: storage.Page{PerPage: 2}})
	if err != nil || len(byClient) != 2 || byClient[0].LogID != "log-199" || byClient[1].LogID != "log-193" {
		t.Fatalf("filtered after the migration: %+v, %v", byClient, err)
	}
	var indexQuery string
	switch s.d.name {
	case "sqlite":
		var withoutRowid int
		if err := s.reader.QueryRowContext(ctx, "SELECT wr FROM pragma_table_list WHERE name = 'log_events'").Scan(&withoutRowid); err != nil || withoutRowid != 1 {
			t.Fatalf("log_events WITHOUT ROWID = %d (%v), want 1", withoutRowid, err)
		}
		indexQuery = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'log_events' ORDER BY name"
	default:
		indexQuery = "SELECT indexname FROM pg_indexes WHERE tablename = 'log_events' AND schemaname = current_schema() ORDER BY indexname"
	}
	rows, err := s.reader.QueryContext(ctx, indexQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(n, "_pkey") {
			names = append(names, n)
		}
	}
	if want := []string{"log_events_by_client", "log_events_by_type", "log_events_by_user"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("indexes of log_events: %v, want %v (and the primary key)", names, want)
	}
}

// insertOldLogRows writes events as the schema before migration 0023 did:
// no user_id column, the user id inside attrs.
func insertOldLogRows(t *testing.T, s *Store, events []storage.LogEvent) {
	t.Helper()
	type oldAttrs struct {
		logEventAttrs
		UserID string `json:"user_id,omitempty"`
	}
	for _, e := range events {
		attrs, err := encodeAttrs(oldAttrs{logEventAttrs{Description: e.Description, ClientName: e.ClientName, IP: e.IP,
			UserAgent: e.UserAgent, UserName: e.UserName, Audience: e.Audience, Scope: e.Scope, Details: e.Details}, e.UserID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.writer.ExecContext(t.Context(), s.d.bind("INSERT INTO log_events (tenant, log_id, date, type, client_id, attrs) VALUES (?, ?, ?, ?, ?, ?)"),
			e.Tenant, e.LogID, formatTime(e.Date), e.Type, e.ClientID, attrs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogEventsByUserMigration: events stored before the user_id column
// existed get it from their attrs, so a user's events are found by it
// whenever they were logged; events of no user keep it NULL, out of the
// partial index (a user_id only nested in details is not the event's).
func TestLogEventsByUserMigration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := t.TempDir() + "/old.db"
		checkByUserMigration(t, func() *Store {
			s, err := Open(t.Context(), path, testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := freshSchema(t, postgresAdmin(t))
		checkByUserMigration(t, func() *Store {
			s, err := Open(t.Context(), dsn, testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func checkByUserMigration(t *testing.T, open func() *Store) {
	ctx := t.Context()
	s := open()
	// Back to the schema before migration 0023, with a log in it.
	for _, stmt := range []string{
		"DROP INDEX log_events_by_user",
		"ALTER TABLE log_events DROP COLUMN user_id",
		"DELETE FROM schema_migrations WHERE name = '0023_log_events_by_user.sql'",
	} {
		if _, err := s.writer.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var events []storage.LogEvent
	for n := range 60 {
		e := storage.LogEvent{Tenant: "t", LogID: fmt.Sprintf("log-%03d", n), Date: time.Unix(int64(n), 0).UTC(),
			Type: []string{"seccft", "sepft", "fepft"}[n%3], ClientID: "c", Description: "event"}
		switch n % 3 {
		case 1:
			e.UserID, e.UserName = fmt.Sprintf("auth0|u%d", n%2), "someone@example.com"
		case 2:
			e.UserID = "auth0|u1"
			e.Details = map[string]any{"nested": map[string]any{"user_id": "auth0|u0"}}
		default:
			e.Details = map[string]any{"user_id": "auth0|u0"}
		}
		events = append(events, e)
	}
	insertOldLogRows(t, s, events)
	s.Close()

	s = open()
	defer s.Close()
	got, _, err := s.ListLogEvents(ctx, "t", storage.LogQuery{OldestFirst: true})
	if err != nil || len(got) != len(events) {
		t.Fatalf("after the migration: %d events (%v), want %d", len(got), err, len(events))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], events[i]) {
			t.Fatalf("event %d after the migration:\n got %+v\nwant %+v", i, got[i], events[i])
		}
	}
	for user, want := range map[string]int{"auth0|u0": 10, "auth0|u1": 30, "auth0|nobody": 0} {
		list, total, err := s.ListLogEvents(ctx, "t", storage.LogQuery{UserID: user})
		if err != nil || total != want || len(list) != want {
			t.Fatalf("%s: %d events, total %d (%v), want %d", user, len(list), total, err, want)
		}
		for _, e := range list {
			if e.UserID != user {
				t.Fatalf("%s: got an event of %q", user, e.UserID)
			}
		}
	}
	var unindexed int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM log_events WHERE user_id IS NULL").Scan(&unindexed); err != nil || unindexed != 20 {
		t.Fatalf("%d events without a user_id (%v), want 20", unindexed, err)
	}
}

// TestLogQueryPlans: every query ListLogEvents and PruneLogEvents run
// reads an index range in the order it returns, so it stops after its
// page (plus an offset of at most storage.MaxLogPage) instead of sorting
// the tenant's log; with both type and client_id, the client's range of
// log_events_by_client, whose entries carry the type. A filter is tested
// in the index (on SQLite the page's ids come from a covering index
// first, then only those rows are read). On
// SQLite the plan must search (not scan) log_events and sort nothing; on
// PostgreSQL, with sequential scans and sorts priced out, the plan must
// still have neither, i.e. an index can answer it.
func TestLogQueryPlans(t *testing.T) {
	shapes := map[string]storage.LogQuery{
		"newest first":               {},
		"oldest first, page 9":       {OldestFirst: true, Page: storage.Page{Page: 9, PerPage: 100}},
		"by type":                    {Type: "feccft", Page: storage.Page{Page: 3, PerPage: 50}},
		"by client, oldest first":    {ClientID: "c1", OldestFirst: true, Page: storage.Page{PerPage: 50}},
		"by type and client":         {Type: "feccft", ClientID: "c1", Page: storage.Page{PerPage: 50}},
		"checkpoint":                 {After: "log-100", OldestFirst: true, Page: storage.Page{PerPage: 100}},
		"checkpoint by type":         {After: "log-100", Type: "seccft", OldestFirst: true, Page: storage.Page{PerPage: 100}},
		"checkpoint by client":       {After: "log-100", ClientID: "c2", OldestFirst: true, Page: storage.Page{PerPage: 100}},
		"most recent, no checkpoint": {Page: storage.Page{PerPage: 100}},
		"by user":                    {UserID: "auth0|1", Page: storage.Page{Page: 2, PerPage: 50}},
		"by user, oldest first":      {UserID: "auth0|1", OldestFirst: true, Page: storage.Page{PerPage: 100}},
		"by user and type":           {UserID: "auth0|1", Type: "sepft", Page: storage.Page{PerPage: 100}},
		"checkpoint by user":         {After: "log-100", UserID: "auth0|1", OldestFirst: true, Page: storage.Page{PerPage: 100}},
	}
	type stmt struct {
		name, query string
		args        []any
	}
	statements := func(d *dialect) []stmt {
		var stmts []stmt
		for name, q := range shapes {
			q.CountUpTo = storage.MaxLogPage // as the API asks
			list, listArgs, count, countArgs := logListSQL(d, "t", q)
			stmts = append(stmts, stmt{name + " (page)", list, listArgs}, stmt{name + " (total)", count, countArgs})
		}
		return append(stmts, stmt{"prune", logPruneSQL, []any{"t", "t", 1000, "2026-01-01T00:00:00.000000Z"}})
	}

	t.Run("sqlite", func(t *testing.T) {
		s, _ := openSQLiteTest(t)
		for _, st := range statements(s.d) {
			plan := explain(t, s, "EXPLAIN QUERY PLAN "+st.query, st.args)
			if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN log_events") {
				t.Errorf("%s reads more than its rows:\n%s\n%s", st.name, st.query, plan)
			}
			if strings.HasPrefix(st.name, "by type and client") && !strings.Contains(plan, "log_events_by_client") {
				t.Errorf("%s does not read the client's range:\n%s\n%s", st.name, st.query, plan)
			}
			// A filter is tested in the index: reading the row of every
			// entry tested cost a second at 5 million events.
			if strings.Contains(st.name, "user") && !strings.Contains(plan, "log_events_by_user") {
				t.Errorf("%s does not read the user's range:\n%s\n%s", st.name, st.query, plan)
			}
			if strings.Contains(st.name, "type") || strings.Contains(st.name, "client") || strings.Contains(st.name, "user") {
				if !strings.Contains(plan, "COVERING INDEX") {
					t.Errorf("%s reads rows to test its filter:\n%s\n%s", st.name, st.query, plan)
				}
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		s := openPostgresAt(t, freshSchema(t, postgresAdmin(t)))
		for _, st := range statements(s.d) {
			plan := explain(t, s, "EXPLAIN "+st.query, st.args, "SET enable_seqscan = off", "SET enable_sort = off", "SET enable_bitmapscan = off")
			if strings.Contains(plan, "Sort") || strings.Contains(plan, "Seq Scan") {
				t.Errorf("%s reads more than its rows:\n%s\n%s", st.name, st.query, plan)
			}
			if strings.Contains(st.name, "user") && !strings.Contains(plan, "log_events_by_user") {
				t.Errorf("%s does not read the user's range:\n%s\n%s", st.name, st.query, plan)
			}
		}
	})
}

// explain runs query (an EXPLAIN) on one connection after the settings and
// returns its plan as text.
func explain(t *testing.T, s *Store, query string, args []any, settings ...string) string {
	t.Helper()
	ctx := t.Context()
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, set := range settings {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(context.Background(), "RESET ALL")
	}
	rows, err := conn.QueryContext(ctx, s.d.bind(query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&out, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
