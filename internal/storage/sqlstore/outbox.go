package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// maxOutboxError caps the last error kept on a row.
const maxOutboxError = 1000

// insertExecutions stores executions inside a write transaction.
func (s *Store) insertExecutions(ctx context.Context, tx *sql.Tx, list []storage.Execution) error {
	for _, e := range list {
		if _, err := s.exec(ctx, tx, "INSERT INTO outbox (id, tenant, trigger_id, payload, attempts, next_at, created_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			e.ID, e.Tenant, e.Trigger, string(e.Payload), e.Attempts, formatTime(e.NextAt), formatTime(e.CreatedAt), capError(e.LastError)); err != nil {
			return fmt.Errorf("sqlstore: store execution %q: %w", e.ID, err)
		}
	}
	return nil
}

const executionColumns = "id, tenant, trigger_id, payload, attempts, next_at, created_at, last_error"

func scanExecution(row interface{ Scan(...any) error }) (storage.Execution, error) {
	var (
		e             storage.Execution
		payload       string
		next, created string
	)
	if err := row.Scan(&e.ID, &e.Tenant, &e.Trigger, &payload, &e.Attempts, &next, &created, &e.LastError); err != nil {
		return e, err
	}
	e.Payload = []byte(payload)
	var err error
	if e.NextAt, err = parseTime(next); err != nil {
		return e, err
	}
	e.CreatedAt, err = parseTime(created)
	return e, err
}

// ClaimExecutions implements storage.Outbox with one UPDATE ... RETURNING.
// On PostgreSQL the inner SELECT skips rows another replica is claiming
// at this moment (SKIP LOCKED) instead of waiting for them; on SQLite
// write transactions are serial, so the statement alone is exclusive.
func (s *Store) ClaimExecutions(ctx context.Context, tenant string, now time.Time, lease time.Duration, limit int) ([]storage.Execution, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []storage.Execution
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		rows, err := tx.QueryContext(ctx, s.d.bind(fmt.Sprintf(`UPDATE outbox SET attempts = attempts + 1, next_at = ?
			WHERE id IN (SELECT id FROM outbox WHERE tenant = ? AND next_at <= ? ORDER BY next_at, id LIMIT %d%s)
			RETURNING `+executionColumns, limit, s.d.skipLocked)),
			formatTime(now.Add(lease)), tenant, formatTime(now))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: claim executions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanExecution(rows)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: claim executions: %w", err)
			}
			out = append(out, e)
		}
		return nil, rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order: oldest first, as documented.
	sortExecutions(out)
	return out, nil
}

func sortExecutions(list []storage.Execution) {
	slices.SortFunc(list, func(a, b storage.Execution) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// CompleteExecution implements storage.Outbox.
func (s *Store) CompleteExecution(ctx context.Context, e storage.Execution) error {
	if _, err := s.exec(ctx, s.writer, "DELETE FROM outbox WHERE tenant = ? AND id = ? AND attempts = ?", e.Tenant, e.ID, e.Attempts); err != nil {
		return fmt.Errorf("sqlstore: complete execution %q: %w", e.ID, err)
	}
	return nil
}

// RetryExecution implements storage.Outbox.
func (s *Store) RetryExecution(ctx context.Context, e storage.Execution, next time.Time, lastError string) error {
	if _, err := s.exec(ctx, s.writer, "UPDATE outbox SET next_at = ?, last_error = ? WHERE tenant = ? AND id = ? AND attempts = ?",
		formatTime(next), capError(lastError), e.Tenant, e.ID, e.Attempts); err != nil {
		return fmt.Errorf("sqlstore: retry execution %q: %w", e.ID, err)
	}
	return nil
}

// ListExecutions implements storage.Outbox.
func (s *Store) ListExecutions(ctx context.Context, tenant string) ([]storage.Execution, error) {
	rows, err := s.reader.QueryContext(ctx, s.d.bind("SELECT "+executionColumns+" FROM outbox WHERE tenant = ? ORDER BY created_at, id"), tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list executions: %w", err)
	}
	defer rows.Close()
	var out []storage.Execution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list executions: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// capError keeps a stored error valid UTF-8 and bounded.
func capError(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	for len(s) > maxOutboxError {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
