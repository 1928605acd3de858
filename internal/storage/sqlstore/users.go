package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// userAttrs is the JSON-encoded remainder of a user row.
type userAttrs struct {
	Email         string         `json:"email"`
	Username      string         `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified,omitempty"`
	Name          string         `json:"name,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	UserMetadata  map[string]any `json:"user_metadata,omitempty"`
	AppMetadata   map[string]any `json:"app_metadata,omitempty"`
	Blocked       bool           `json:"blocked,omitempty"`
}

const userColumns = "tenant, user_id, connection, created_at, updated_at, last_login, logins_count, last_ip, password_sealed, attrs"

func userPasswordAD(tenant, userID string) string { return "user_password:" + tenant + ":" + userID }

// nullIfEmpty stores an absent username as NULL, which the unique index
// lets repeat.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Store) scanUser(row interface{ Scan(...any) error }) (storage.User, error) {
	var (
		u                storage.User
		created, updated string
		lastLogin        sql.NullString
		sealed           []byte
		attrs            string
		a                userAttrs
	)
	if err := row.Scan(&u.Tenant, &u.UserID, &u.Connection, &created, &updated, &lastLogin, &u.LoginsCount, &u.LastIP, &sealed, &attrs); err != nil {
		return u, err
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return u, err
	}
	if u.UpdatedAt, err = parseTime(updated); err != nil {
		return u, err
	}
	if lastLogin.Valid {
		t, err := parseTime(lastLogin.String)
		if err != nil {
			return u, err
		}
		u.LastLogin = &t
	}
	if u.PasswordHash, err = s.openString(sealed, userPasswordAD(u.Tenant, u.UserID)); err != nil {
		return u, err
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return u, err
	}
	u.Email, u.Username, u.EmailVerified = a.Email, a.Username, a.EmailVerified
	u.Name, u.Nickname, u.Picture = a.Name, a.Nickname, a.Picture
	u.GivenName, u.FamilyName = a.GivenName, a.FamilyName
	u.UserMetadata, u.AppMetadata, u.Blocked = a.UserMetadata, a.AppMetadata, a.Blocked
	return u, nil
}

func userAttrsOf(u storage.User) (string, error) {
	return encodeAttrs(userAttrs{
		Email: u.Email, Username: u.Username, EmailVerified: u.EmailVerified,
		Name: u.Name, GivenName: u.GivenName, FamilyName: u.FamilyName, Nickname: u.Nickname, Picture: u.Picture,
		UserMetadata: u.UserMetadata, AppMetadata: u.AppMetadata, Blocked: u.Blocked,
	})
}

// CreateUser implements storage.Storage.
func (s *Store) CreateUser(ctx context.Context, u storage.User, then ...storage.Execution) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if err := s.insertUser(ctx, tx, u); err != nil {
			return nil, err
		}
		return nil, s.insertExecutions(ctx, tx, then) // users are not part of the catalog
	})
}

func (s *Store) insertUser(ctx context.Context, tx *sql.Tx, u storage.User) error {
	attrs, err := userAttrsOf(u)
	if err != nil {
		return err
	}
	var lastLogin any
	if u.LastLogin != nil {
		lastLogin = formatTime(*u.LastLogin)
	}
	_, err = s.exec(ctx, tx, "INSERT INTO users (tenant, user_id, connection, email_lower, username_lower, name_lower, created_at, updated_at, last_login, logins_count, last_ip, password_sealed, attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.Tenant, u.UserID, u.Connection, strings.ToLower(u.Email), nullIfEmpty(strings.ToLower(u.Username)), strings.ToLower(u.Name),
		formatTime(u.CreatedAt), formatTime(u.UpdatedAt), lastLogin, u.LoginsCount, u.LastIP,
		s.sealString(u.PasswordHash, userPasswordAD(u.Tenant, u.UserID)), attrs)
	if err != nil {
		return fmt.Errorf("sqlstore: create user %q: %w", u.UserID, err)
	}
	return nil
}

func (s *Store) getUserWhere(ctx context.Context, q querier, what, where string, args ...any) (storage.User, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+userColumns+" FROM users WHERE "+where), args...)
	u, err := s.scanUser(row)
	if err != nil {
		return storage.User{}, notFound(err, what)
	}
	return u, nil
}

// GetUser implements storage.Storage.
func (s *Store) GetUser(ctx context.Context, tenant, userID string) (storage.User, error) {
	return s.getUserWhere(ctx, s.reader, fmt.Sprintf("user %q", userID), "tenant = ? AND user_id = ?", tenant, userID)
}

// GetUserByEmail implements storage.Storage.
func (s *Store) GetUserByEmail(ctx context.Context, tenant, connection, email string) (storage.User, error) {
	return s.getUserWhere(ctx, s.reader, "user by email", "tenant = ? AND connection = ? AND email_lower = ?",
		tenant, connection, strings.ToLower(email))
}

// GetUserByLogin implements storage.Storage. The email match wins if an
// email and another user's username were ever equal (the Management API
// forbids "@" in usernames, so it does not happen through it).
func (s *Store) GetUserByLogin(ctx context.Context, tenant, connection, login string) (storage.User, error) {
	l := strings.ToLower(login)
	return s.getUserWhere(ctx, s.reader, "user by login",
		"tenant = ? AND connection = ? AND (email_lower = ? OR username_lower = ?) ORDER BY CASE WHEN email_lower = ? THEN 0 ELSE 1 END LIMIT 1",
		tenant, connection, l, l, l)
}

// likeEscaper makes a search string literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// CountActiveUsers implements storage.Storage. last_login is fixed-width
// UTC text (NULL for a user who never logged in), so text order is time
// order.
func (s *Store) CountActiveUsers(ctx context.Context, tenant string, since time.Time) (int, error) {
	return s.count(ctx, s.reader, "SELECT COUNT(*) FROM users WHERE tenant = ? AND last_login >= ?", tenant, formatTime(since))
}

// ListUsers implements storage.Storage.
func (s *Store) ListUsers(ctx context.Context, tenant string, q storage.UserQuery) ([]storage.User, int, error) {
	where, args := "tenant = ?", []any{tenant}
	if q.Email != "" {
		where, args = where+" AND email_lower = ?", append(args, strings.ToLower(q.Email))
	}
	if q.Search != "" {
		p := "%" + likeEscaper.Replace(strings.ToLower(q.Search)) + "%"
		where += ` AND (email_lower LIKE ? ESCAPE '\' OR username_lower LIKE ? ESCAPE '\' OR name_lower LIKE ? ESCAPE '\')`
		args = append(args, p, p, p)
	}
	var (
		list  []storage.User
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM users WHERE "+where, args...); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.d.bind("SELECT "+userColumns+" FROM users WHERE "+where+userOrder(q)+pageClause(q.Page)), args...)
		if err != nil {
			return fmt.Errorf("sqlstore: list users: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			u, err := s.scanUser(rows)
			if err != nil {
				return fmt.Errorf("sqlstore: list users: %w", err)
			}
			list = append(list, u)
		}
		return rows.Err()
	})
	return list, total, err
}

// userColumnOf maps storage.UserSortFields to columns.
var userColumnOf = map[string]string{
	"created_at": "created_at", "updated_at": "updated_at", "last_login": "last_login", "logins_count": "logins_count",
	"email": "email_lower", "name": "name_lower", "username": "username_lower", "user_id": "user_id",
}

// userOrder is ListUsers' ORDER BY; user_id breaks ties so pages do not
// overlap. Rows without a nullable field sort last in both dialects,
// which would otherwise disagree; the default order (created_at) follows
// users_by_creation.
func userOrder(q storage.UserQuery) string {
	col, ok := userColumnOf[q.SortBy]
	if !ok {
		col = "created_at"
	}
	dir := ""
	if q.Descending {
		dir = " DESC"
	}
	order := " ORDER BY "
	if col == "last_login" || col == "username_lower" {
		order += "(" + col + " IS NULL), "
	}
	return order + col + dir + ", user_id" + dir
}

// UpdateUser implements storage.Storage.
func (s *Store) UpdateUser(ctx context.Context, tenant, userID string, fn func(storage.User) (storage.User, error)) (storage.User, error) {
	return s.UpdateUserThen(ctx, tenant, userID, func(u storage.User) (storage.User, []storage.Execution, error) {
		u, err := fn(u)
		return u, nil, err
	})
}

// UpdateUserThen implements storage.Storage.
func (s *Store) UpdateUserThen(ctx context.Context, tenant, userID string, fn func(storage.User) (storage.User, []storage.Execution, error)) (storage.User, error) {
	var out storage.User
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getUserWhere(ctx, tx, fmt.Sprintf("user %q", userID), "tenant = ? AND user_id = ?"+s.d.forUpdate, tenant, userID)
		if err != nil {
			return nil, err
		}
		u, then, err := fn(old)
		if err != nil {
			return nil, err
		}
		u.Tenant, u.UserID = old.Tenant, old.UserID
		u.LastLogin, u.LoginsCount, u.LastIP = old.LastLogin, old.LoginsCount, old.LastIP
		attrs, err := userAttrsOf(u)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "UPDATE users SET connection = ?, email_lower = ?, username_lower = ?, name_lower = ?, created_at = ?, updated_at = ?, password_sealed = ?, attrs = ? WHERE tenant = ? AND user_id = ?",
			u.Connection, strings.ToLower(u.Email), nullIfEmpty(strings.ToLower(u.Username)), strings.ToLower(u.Name),
			formatTime(u.CreatedAt), formatTime(u.UpdatedAt), s.sealString(u.PasswordHash, userPasswordAD(tenant, userID)), attrs,
			tenant, userID); err != nil {
			return nil, fmt.Errorf("sqlstore: update user %q: %w", userID, err)
		}
		if err := s.insertExecutions(ctx, tx, then); err != nil {
			return nil, err
		}
		u.CreatedAt, u.UpdatedAt = storedTime(u.CreatedAt), storedTime(u.UpdatedAt)
		out = u
		return nil, nil
	})
	return out, err
}

// DeleteUser implements storage.Storage.
func (s *Store) DeleteUser(ctx context.Context, tenant, userID string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "DELETE FROM users WHERE tenant = ? AND user_id = ?", tenant, userID)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete user %q: %w", userID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("user %q", userID)); err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM failed_logins WHERE tenant = ? AND user_id = ?", tenant, userID); err != nil {
			return nil, fmt.Errorf("sqlstore: delete failed logins of %q: %w", userID, err)
		}
		return nil, nil
	})
}

// RecordLogin implements storage.Storage with one UPDATE: no read, no
// lost increment however many logins run at once.
func (s *Store) RecordLogin(ctx context.Context, tenant, userID, ip string, at time.Time) error {
	res, err := s.exec(ctx, s.writer, "UPDATE users SET logins_count = logins_count + 1, last_login = ?, last_ip = ? WHERE tenant = ? AND user_id = ?",
		formatTime(at), ip, tenant, userID)
	if err != nil {
		return fmt.Errorf("sqlstore: record login of %q: %w", userID, err)
	}
	return mustAffect(res, fmt.Sprintf("user %q", userID))
}

// CountLoginAttempt implements storage.Storage. One upsert both counts
// and reports: the database serializes concurrent statements on the row,
// and RETURNING hands back the count this very attempt produced. In SET,
// every failed_logins.* names the row as it was before this statement, so
// last_at moves only for attempts up to the limit.
func (s *Store) CountLoginAttempt(ctx context.Context, tenant, key, ip string, at, staleBefore time.Time, limit int) (int, error) {
	var n int
	stale := formatTime(staleBefore)
	err := s.writer.QueryRowContext(ctx, s.d.bind(`INSERT INTO failed_logins (tenant, user_id, ip, count, last_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (tenant, user_id, ip) DO UPDATE SET
			count = CASE WHEN failed_logins.last_at < ? THEN 1 ELSE failed_logins.count + 1 END,
			last_at = CASE WHEN failed_logins.last_at < ? OR failed_logins.count < ? THEN excluded.last_at ELSE failed_logins.last_at END
		RETURNING count`), tenant, key, ip, formatTime(at), stale, stale, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count login attempt: %w", err)
	}
	return n, nil
}

// DeleteFailedLoginsBefore implements storage.Storage.
func (s *Store) DeleteFailedLoginsBefore(ctx context.Context, staleBefore time.Time) (int, error) {
	res, err := s.exec(ctx, s.writer, "DELETE FROM failed_logins WHERE last_at < ?", formatTime(staleBefore))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete stale failed logins: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanFailedLogins(row interface{ Scan(...any) error }) (storage.FailedLogins, error) {
	var (
		f    storage.FailedLogins
		last string
	)
	if err := row.Scan(&f.UserID, &f.IP, &f.Count, &last); err != nil {
		return f, err
	}
	var err error
	f.Last, err = parseTime(last)
	return f, err
}

// GetFailedLogins implements storage.Storage.
func (s *Store) GetFailedLogins(ctx context.Context, tenant, userID, ip string) (storage.FailedLogins, error) {
	row := s.reader.QueryRowContext(ctx, s.d.bind("SELECT user_id, ip, count, last_at FROM failed_logins WHERE tenant = ? AND user_id = ? AND ip = ?"), tenant, userID, ip)
	f, err := scanFailedLogins(row)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.FailedLogins{UserID: userID, IP: ip}, nil
	}
	if err != nil {
		return f, fmt.Errorf("sqlstore: failed logins of %q: %w", userID, err)
	}
	return f, nil
}

// ListFailedLogins implements storage.Storage.
func (s *Store) ListFailedLogins(ctx context.Context, tenant, userID string) ([]storage.FailedLogins, error) {
	rows, err := s.reader.QueryContext(ctx, s.d.bind("SELECT user_id, ip, count, last_at FROM failed_logins WHERE tenant = ? AND user_id = ? ORDER BY ip"), tenant, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list failed logins of %q: %w", userID, err)
	}
	defer rows.Close()
	var out []storage.FailedLogins
	for rows.Next() {
		f, err := scanFailedLogins(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list failed logins of %q: %w", userID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ResetFailedLogins implements storage.Storage.
func (s *Store) ResetFailedLogins(ctx context.Context, tenant, userID, ip string) error {
	q, args := "DELETE FROM failed_logins WHERE tenant = ? AND user_id = ?", []any{tenant, userID}
	if ip != "" {
		q, args = q+" AND ip = ?", append(args, ip)
	}
	if _, err := s.exec(ctx, s.writer, q, args...); err != nil {
		return fmt.Errorf("sqlstore: reset failed logins of %q: %w", userID, err)
	}
	return nil
}
