package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// CreatePasswordTicket implements storage.PasswordTickets.
func (s *Store) CreatePasswordTicket(ctx context.Context, t storage.PasswordTicket) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if _, err := s.exec(ctx, tx, "DELETE FROM password_tickets WHERE tenant = ? AND expires_at <= ?", t.Tenant, formatTime(t.CreatedAt)); err != nil {
			return nil, fmt.Errorf("sqlstore: prune password tickets: %w", err)
		}
		if _, err := s.exec(ctx, tx, "INSERT INTO password_tickets (tenant, hash, user_id, result_url, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			t.Tenant, t.Hash, t.UserID, t.ResultURL, formatTime(t.ExpiresAt), formatTime(t.CreatedAt)); err != nil {
			return nil, fmt.Errorf("sqlstore: create password ticket: %w", err)
		}
		return nil, nil
	})
}

func scanTicket(row interface{ Scan(...any) error }) (storage.PasswordTicket, error) {
	var (
		t                storage.PasswordTicket
		expires, created string
	)
	if err := row.Scan(&t.Tenant, &t.Hash, &t.UserID, &t.ResultURL, &expires, &created); err != nil {
		return t, err
	}
	var err error
	if t.ExpiresAt, err = parseTime(expires); err != nil {
		return t, err
	}
	t.CreatedAt, err = parseTime(created)
	return t, err
}

const ticketColumns = "tenant, hash, user_id, result_url, expires_at, created_at"

// GetPasswordTicket implements storage.PasswordTickets.
func (s *Store) GetPasswordTicket(ctx context.Context, tenant, hash string, now time.Time) (storage.PasswordTicket, error) {
	t, err := scanTicket(s.reader.QueryRowContext(ctx, s.d.bind("SELECT "+ticketColumns+" FROM password_tickets WHERE tenant = ? AND hash = ? AND expires_at > ?"),
		tenant, hash, formatTime(now)))
	if err != nil {
		return t, notFound(err, "password ticket")
	}
	return t, nil
}

// UsePasswordTicket implements storage.PasswordTickets with one DELETE ...
// RETURNING: the database decides which of concurrent uses deletes it.
func (s *Store) UsePasswordTicket(ctx context.Context, tenant, hash string, now time.Time) (storage.PasswordTicket, error) {
	var t storage.PasswordTicket
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		var err error
		t, err = scanTicket(tx.QueryRowContext(ctx, s.d.bind("DELETE FROM password_tickets WHERE tenant = ? AND hash = ? AND expires_at > ? RETURNING "+ticketColumns),
			tenant, hash, formatTime(now)))
		if err != nil {
			return nil, notFound(err, "password ticket")
		}
		return nil, nil
	})
	return t, err
}
