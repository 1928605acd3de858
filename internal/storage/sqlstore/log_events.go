package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// logEventAttrs is the JSON-encoded remainder of a log row. The user id is
// the user_id column (events stored before it existed still hold a copy
// here under "user_id", which is not read).
type logEventAttrs struct {
	Description string         `json:"description,omitempty"`
	ClientName  string         `json:"client_name,omitempty"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	UserName    string         `json:"user_name,omitempty"`
	Audience    string         `json:"audience,omitempty"`
	Scope       string         `json:"scope,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

const logEventColumns = "tenant, log_id, date, type, client_id, user_id, attrs"

func scanLogEvent(row interface{ Scan(...any) error }) (storage.LogEvent, error) {
	var (
		e           storage.LogEvent
		date, attrs string
		userID      sql.NullString
		a           logEventAttrs
	)
	if err := row.Scan(&e.Tenant, &e.LogID, &date, &e.Type, &e.ClientID, &userID, &attrs); err != nil {
		return e, err
	}
	e.UserID = userID.String
	var err error
	if e.Date, err = parseTime(date); err != nil {
		return e, err
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return e, err
	}
	e.Description, e.ClientName, e.IP, e.UserAgent = a.Description, a.ClientName, a.IP, a.UserAgent
	e.UserName, e.Audience, e.Scope, e.Details = a.UserName, a.Audience, a.Scope, a.Details
	return e, nil
}

// logInsertRows is how many events one INSERT statement carries: the
// token path logs an event per token, and one multi-row statement per
// chunk costs a fraction of a statement per row to parse and run
// (7 parameters a row stays far below both dialects' limits).
const logInsertRows = 64

// AppendLogEvents implements storage.Storage. Log events are not part of
// the catalog, so they announce nothing.
func (s *Store) AppendLogEvents(ctx context.Context, events []storage.LogEvent) error {
	if len(events) == 0 {
		return nil
	}
	err := s.appendLogEvents(ctx, events)
	if err == nil || ctx.Err() != nil {
		return err
	}
	// One row the database refuses fails its whole statement (and, on
	// PostgreSQL, its transaction): write row by row, so only that row is
	// left out.
	var (
		stored, rejected int
		first            error
	)
	for _, e := range events {
		err := s.appendLogEvents(ctx, []storage.LogEvent{e})
		switch {
		case err == nil:
			stored++
		case stored == 0 || ctx.Err() != nil:
			// Not one row goes in: storage itself is failing.
			return err
		default:
			rejected++
			if first == nil {
				first = err
			}
		}
	}
	if rejected > 0 {
		return &storage.RejectedEventsError{Count: rejected, Err: first}
	}
	return nil
}

func (s *Store) appendLogEvents(ctx context.Context, events []storage.LogEvent) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		for len(events) > 0 {
			chunk := events[:min(len(events), logInsertRows)]
			events = events[len(chunk):]
			query, args, err := logInsert(chunk)
			if err != nil {
				return nil, err
			}
			if _, err := s.exec(ctx, tx, query, args...); err != nil {
				return nil, fmt.Errorf("sqlstore: append %d log events from %q: %w", len(chunk), chunk[0].LogID, err)
			}
		}
		return nil, nil
	})
}

// storable makes v storable by both dialects: valid UTF-8 (PostgreSQL
// refuses other bytes in text) without NUL (which no PostgreSQL text may
// hold). attrs are JSON, which escapes both already. Writers clean events
// before they get here; this keeps one that did not from failing.
func storable(v string) string {
	if utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 {
		return v
	}
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "")
}

// logInsert is one INSERT of every event in chunk. An event already stored
// (a batch written again after a crash) is left as it is.
func logInsert(chunk []storage.LogEvent) (string, []any, error) {
	var q strings.Builder
	q.WriteString("INSERT INTO log_events (" + logEventColumns + ") VALUES ")
	args := make([]any, 0, 7*len(chunk))
	for i, e := range chunk {
		attrs, err := encodeAttrs(logEventAttrs{Description: e.Description, ClientName: e.ClientName, IP: e.IP,
			UserAgent: e.UserAgent, UserName: e.UserName, Audience: e.Audience,
			Scope: e.Scope, Details: e.Details})
		if err != nil {
			return "", nil, err
		}
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		// NULL, not "", for an event of no user: it stays out of the
		// partial index log_events_by_user.
		var userID any
		if e.UserID != "" {
			userID = storable(e.UserID)
		}
		args = append(args, storable(e.Tenant), storable(e.LogID), formatTime(e.Date), storable(e.Type), storable(e.ClientID), userID, attrs)
	}
	q.WriteString(" ON CONFLICT (tenant, log_id) DO NOTHING")
	return q.String(), args, nil
}

// ListLogEvents implements storage.Storage: by log id, which the contract
// makes sortable by age. The ORDER BY follows an index whatever the
// filter (log_events_by_type, log_events_by_client, log_events_by_user, or
// the primary key),
// so a page costs its offset plus its rows, never the whole table; with
// CountUpTo, so does the total.
func (s *Store) ListLogEvents(ctx context.Context, tenant string, q storage.LogQuery) ([]storage.LogEvent, int, error) {
	listQuery, listArgs, countQuery, countArgs := logListSQL(s.d, tenant, q)
	var (
		list  []storage.LogEvent
		total = -1
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if !q.SkipTotal {
			if total, err = s.count(ctx, tx, countQuery, countArgs...); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, s.d.bind(listQuery), listArgs...)
		if err != nil {
			return fmt.Errorf("sqlstore: list log events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanLogEvent(rows)
			if err != nil {
				return fmt.Errorf("sqlstore: list log events: %w", err)
			}
			list = append(list, e)
		}
		return rows.Err()
	})
	return list, total, err
}

// logListSQL is ListLogEvents' page query and capped count, with their
// arguments ("?" placeholders): one place, which the query plan tests
// read too.
func logListSQL(d *dialect, tenant string, q storage.LogQuery) (list string, listArgs []any, count string, args []any) {
	from := "log_events"
	switch {
	case q.UserID != "":
		from += d.logsByUser
	case q.Type != "" && q.ClientID != "":
		from += d.logsByClient
	}
	where, args := "tenant = ?", []any{tenant}
	if q.Type != "" {
		where, args = where+" AND type = ?", append(args, q.Type)
	}
	if q.ClientID != "" {
		where, args = where+" AND client_id = ?", append(args, q.ClientID)
	}
	if q.UserID != "" {
		where, args = where+" AND user_id = ?", append(args, storable(q.UserID))
	}
	filtered := q.Type != "" || q.ClientID != "" || q.UserID != ""
	if q.After != "" {
		where, args = where+" AND log_id > ?", append(args, storable(q.After))
	}
	order := " ORDER BY log_id DESC"
	if q.OldestFirst {
		order = " ORDER BY log_id ASC"
	}
	page := q.Page
	if page.PerPage <= 0 {
		page.PerPage = storage.MaxLogPage
	}
	list = "SELECT " + logEventColumns + " FROM " + from + " WHERE " + where + order + pageClause(page)
	if d.keysFirst && filtered {
		list = "SELECT " + logEventColumns + " FROM log_events WHERE tenant = ? AND log_id IN (SELECT log_id FROM " + from +
			" WHERE " + where + order + pageClause(page) + ")" + order
		listArgs = append([]any{tenant}, args...)
	} else {
		listArgs = args
	}
	count = "SELECT COUNT(*) FROM " + from + " WHERE " + where
	if q.CountUpTo > 0 {
		count = fmt.Sprintf("SELECT COUNT(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d) capped", from, where, q.CountUpTo)
	}
	return list, listArgs, count, args
}

// CountLogEventsByDay implements storage.Storage: the types' entries of
// log_events_by_type, each row read for its date (none is indexed: the
// retention walks log ids instead).
func (s *Store) CountLogEventsByDay(ctx context.Context, tenant string, types []string, from, to time.Time) ([]storage.DayCount, error) {
	if len(types) == 0 {
		return nil, nil
	}
	args := []any{tenant}
	for _, t := range types {
		args = append(args, storable(t))
	}
	args = append(args, formatTime(from), formatTime(to))
	// Stored dates are fixed-width UTC text: the first ten characters are
	// the day, and text order is time order.
	rows, err := s.reader.QueryContext(ctx, s.d.bind("SELECT substr(date, 1, 10), type, COUNT(*), MIN(date), MAX(date) FROM log_events"+
		" WHERE tenant = ? AND type IN (?"+strings.Repeat(", ?", len(types)-1)+") AND date >= ? AND date < ?"+
		" GROUP BY substr(date, 1, 10), type"), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: count log events by day: %w", err)
	}
	defer rows.Close()
	var out []storage.DayCount
	for rows.Next() {
		var (
			c                storage.DayCount
			day, first, last string
		)
		if err := rows.Scan(&day, &c.Type, &c.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("sqlstore: count log events by day: %w", err)
		}
		if c.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("sqlstore: count log events by day: %w", err)
		}
		if c.First, err = parseTime(first); err != nil {
			return nil, err
		}
		if c.Last, err = parseTime(last); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// logPruneSQL is PruneLogEvents' statement ("?" placeholders: tenant,
// tenant, limit, before).
const logPruneSQL = "DELETE FROM log_events WHERE tenant = ? AND log_id IN " +
	"(SELECT log_id FROM (SELECT log_id, date FROM log_events WHERE tenant = ? ORDER BY log_id LIMIT ?) oldest WHERE date < ?)"

// PruneLogEvents implements storage.Storage: one short statement that
// reads the tenant's limit oldest events by primary key (log ids sort by
// age) and deletes those dated before before. A batch that holds a younger
// event deletes fewer than limit, which ends the caller's loop: what
// follows it by id is younger still. No index on date is needed.
func (s *Store) PruneLogEvents(ctx context.Context, tenant string, before time.Time, limit int) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, logPruneSQL, tenant, tenant, limit, formatTime(before))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: prune log events: %w", err)
		}
		n, err = res.RowsAffected()
		return nil, err
	})
	return int(n), err
}

// GetLogEvent implements storage.Storage.
func (s *Store) GetLogEvent(ctx context.Context, tenant, logID string) (storage.LogEvent, error) {
	row := s.reader.QueryRowContext(ctx, s.d.bind("SELECT "+logEventColumns+" FROM log_events WHERE tenant = ? AND log_id = ?"), tenant, logID)
	e, err := scanLogEvent(row)
	if err != nil {
		return storage.LogEvent{}, notFound(err, fmt.Sprintf("log event %q", logID))
	}
	return e, nil
}
