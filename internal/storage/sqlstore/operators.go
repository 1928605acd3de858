package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

const operatorColumns = "tenant, id, email, password_sealed, created_at, updated_at, last_login_at"

// operatorPasswordAD binds a sealed operator hash to its row, as
// userPasswordAD does for users: a sealed hash copied onto another
// operator does not open.
func operatorPasswordAD(tenant, id string) string { return "operator_password:" + tenant + ":" + id }

func (s *Store) scanOperator(row interface{ Scan(...any) error }) (storage.Operator, error) {
	var (
		o                storage.Operator
		created, updated string
		lastLogin        sql.NullString
		sealed           []byte
	)
	if err := row.Scan(&o.Tenant, &o.ID, &o.Email, &sealed, &created, &updated, &lastLogin); err != nil {
		return o, err
	}
	var err error
	if o.PasswordHash, err = s.openString(sealed, operatorPasswordAD(o.Tenant, o.ID)); err != nil {
		return o, err
	}
	if o.CreatedAt, err = parseTime(created); err != nil {
		return o, err
	}
	if o.UpdatedAt, err = parseTime(updated); err != nil {
		return o, err
	}
	if lastLogin.Valid {
		t, err := parseTime(lastLogin.String)
		if err != nil {
			return o, err
		}
		o.LastLoginAt = &t
	}
	return o, nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// CreateOperator implements storage.Storage.
func (s *Store) CreateOperator(ctx context.Context, o storage.Operator) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if _, err := s.exec(ctx, tx, "INSERT INTO operators ("+operatorColumns+", password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, '')",
			o.Tenant, o.ID, o.Email, s.sealString(o.PasswordHash, operatorPasswordAD(o.Tenant, o.ID)),
			formatTime(o.CreatedAt), formatTime(o.UpdatedAt), nullTime(o.LastLoginAt)); err != nil {
			return nil, fmt.Errorf("sqlstore: create operator %q: %w", o.Email, err)
		}
		return nil, nil
	})
}

// GetOperator implements storage.Storage.
func (s *Store) GetOperator(ctx context.Context, tenant, id string) (storage.Operator, error) {
	return s.getOperator(ctx, s.reader, "id", tenant, id, "")
}

// GetOperatorByEmail implements storage.Storage.
func (s *Store) GetOperatorByEmail(ctx context.Context, tenant, email string) (storage.Operator, error) {
	return s.getOperator(ctx, s.reader, "email", tenant, email, "")
}

// getOperator reads by column key, which is one of two constants above,
// never user input.
func (s *Store) getOperator(ctx context.Context, q querier, key, tenant, value, suffix string) (storage.Operator, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+operatorColumns+" FROM operators WHERE tenant = ? AND "+key+" = ?"+suffix), tenant, value)
	o, err := s.scanOperator(row)
	if err != nil {
		return storage.Operator{}, notFound(err, fmt.Sprintf("operator %q", value))
	}
	return o, nil
}

// ListOperators implements storage.Storage.
func (s *Store) ListOperators(ctx context.Context, tenant string) ([]storage.Operator, error) {
	rows, err := s.reader.QueryContext(ctx, s.d.bind("SELECT "+operatorColumns+" FROM operators WHERE tenant = ? ORDER BY created_at, id"), tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list operators: %w", err)
	}
	defer rows.Close()
	var out []storage.Operator
	for rows.Next() {
		o, err := s.scanOperator(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list operators: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// UpdateOperator implements storage.Storage. The key (tenant, id) is
// fixed; changing the email onto another operator's is ErrConflict.
func (s *Store) UpdateOperator(ctx context.Context, tenant, id string, fn func(storage.Operator) (storage.Operator, error)) (storage.Operator, error) {
	var out storage.Operator
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getOperator(ctx, tx, "id", tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		o, err := fn(old)
		if err != nil {
			return nil, err
		}
		o.Tenant, o.ID = old.Tenant, old.ID
		if _, err := s.exec(ctx, tx, "UPDATE operators SET email = ?, password_sealed = ?, password_hash = '', created_at = ?, updated_at = ?, last_login_at = ? WHERE tenant = ? AND id = ?",
			o.Email, s.sealString(o.PasswordHash, operatorPasswordAD(tenant, id)), formatTime(o.CreatedAt), formatTime(o.UpdatedAt), nullTime(o.LastLoginAt), tenant, id); err != nil {
			return nil, fmt.Errorf("sqlstore: update operator %q: %w", id, err)
		}
		o.CreatedAt, o.UpdatedAt = storedTime(o.CreatedAt), storedTime(o.UpdatedAt)
		if o.LastLoginAt != nil {
			t := storedTime(*o.LastLoginAt)
			o.LastLoginAt = &t
		}
		out = o
		return nil, nil
	})
	return out, err
}

// DeleteOperator implements storage.Storage; the operator's sessions go
// with it.
func (s *Store) DeleteOperator(ctx context.Context, tenant, id string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "DELETE FROM operators WHERE tenant = ? AND id = ?", tenant, id)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete operator %q: %w", id, err)
		}
		if err := mustAffect(res, fmt.Sprintf("operator %q", id)); err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM operator_sessions WHERE tenant = ? AND operator_id = ?", tenant, id); err != nil {
			return nil, fmt.Errorf("sqlstore: delete sessions of operator %q: %w", id, err)
		}
		return nil, nil
	})
}

const sessionColumns = "tenant, id_hash, operator_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent"

// CreateSession implements storage.Storage.
func (s *Store) CreateSession(ctx context.Context, se storage.Session) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if _, err := s.exec(ctx, tx, "INSERT INTO operator_sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			se.Tenant, se.IDHash, se.OperatorID, se.CSRFToken, formatTime(se.CreatedAt), formatTime(se.LastSeenAt),
			formatTime(se.ExpiresAt), se.IP, se.UserAgent); err != nil {
			return nil, fmt.Errorf("sqlstore: create session: %w", err)
		}
		return nil, nil
	})
}

// GetSession implements storage.Storage.
func (s *Store) GetSession(ctx context.Context, tenant, idHash string) (storage.Session, error) {
	var (
		se                     storage.Session
		created, seen, expires string
	)
	err := s.reader.QueryRowContext(ctx, s.d.bind("SELECT "+sessionColumns+" FROM operator_sessions WHERE tenant = ? AND id_hash = ?"), tenant, idHash).
		Scan(&se.Tenant, &se.IDHash, &se.OperatorID, &se.CSRFToken, &created, &seen, &expires, &se.IP, &se.UserAgent)
	if err != nil {
		// The hash is not logged: it identifies a live session.
		return storage.Session{}, notFound(err, "session")
	}
	for _, f := range []struct {
		s string
		t *time.Time
	}{{created, &se.CreatedAt}, {seen, &se.LastSeenAt}, {expires, &se.ExpiresAt}} {
		if *f.t, err = parseTime(f.s); err != nil {
			return storage.Session{}, err
		}
	}
	return se, nil
}

// TouchSession implements storage.Storage.
func (s *Store) TouchSession(ctx context.Context, tenant, idHash string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "UPDATE operator_sessions SET last_seen_at = ? WHERE tenant = ? AND id_hash = ?", formatTime(at), tenant, idHash)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: touch session: %w", err)
		}
		return nil, mustAffect(res, "session")
	})
}

// DeleteSession implements storage.Storage.
func (s *Store) DeleteSession(ctx context.Context, tenant, idHash string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "DELETE FROM operator_sessions WHERE tenant = ? AND id_hash = ?", tenant, idHash)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete session: %w", err)
		}
		return nil, mustAffect(res, "session")
	})
}

// DeleteOperatorSessions implements storage.Storage.
func (s *Store) DeleteOperatorSessions(ctx context.Context, tenant, operatorID string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if _, err := s.exec(ctx, tx, "DELETE FROM operator_sessions WHERE tenant = ? AND operator_id = ?", tenant, operatorID); err != nil {
			return nil, fmt.Errorf("sqlstore: delete sessions of operator %q: %w", operatorID, err)
		}
		return nil, nil
	})
}

// DeleteSessionsBefore implements storage.Storage.
func (s *Store) DeleteSessionsBefore(ctx context.Context, expiredBefore, idleBefore time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "DELETE FROM operator_sessions WHERE expires_at < ? OR last_seen_at < ?",
			formatTime(expiredBefore), formatTime(idleBefore))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete old sessions: %w", err)
		}
		n, err = res.RowsAffected()
		return nil, err
	})
	return int(n), err
}

// sealOperatorPasswords seals the operator hashes stored in plain text
// before migration 0013, once, at Open. Each row is updated only while it
// is still unsealed, so replicas starting together cannot undo each other.
func (s *Store) sealOperatorPasswords(ctx context.Context) error {
	type plain struct{ tenant, id, hash string }
	var todo []plain
	rows, err := s.writer.QueryContext(ctx, "SELECT tenant, id, password_hash FROM operators WHERE password_sealed IS NULL AND password_hash <> ''")
	if err != nil {
		return fmt.Errorf("sqlstore: seal operator passwords: %w", err)
	}
	for rows.Next() {
		var p plain
		if err := rows.Scan(&p.tenant, &p.id, &p.hash); err != nil {
			rows.Close()
			return fmt.Errorf("sqlstore: seal operator passwords: %w", err)
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: seal operator passwords: %w", err)
	}
	for _, p := range todo {
		if _, err := s.exec(ctx, s.writer, "UPDATE operators SET password_sealed = ?, password_hash = '' WHERE tenant = ? AND id = ? AND password_sealed IS NULL",
			s.sealString(p.hash, operatorPasswordAD(p.tenant, p.id)), p.tenant, p.id); err != nil {
			return fmt.Errorf("sqlstore: seal operator password %q: %w", p.id, err)
		}
	}
	return nil
}
