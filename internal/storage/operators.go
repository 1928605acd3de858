package storage

import (
	"context"
	"time"
)

// Operator is a person who signs in to the dashboard. Operators are not
// users of the tenant's connections: they administer the tenant and get
// every Management API scope through their session.
type Operator struct {
	Tenant string
	ID     string
	// Email is the sign-in name, stored case-folded by the caller; it is
	// unique per tenant (ErrConflict).
	Email string
	// PasswordHash is a bcrypt hash; the password itself is never stored.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// Session is a signed-in dashboard session. The cookie holds a random id;
// storage holds only its SHA-256 (IDHash), so a leaked database cannot be
// replayed as cookies.
type Session struct {
	IDHash     string
	Tenant     string
	OperatorID string
	// CSRFToken must accompany every state-changing request of the
	// session (X-CSRF-Token).
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, whatever its activity.
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// Operators is the part of the contract that stores dashboard operators
// and their sessions. Sessions are not catalog data: writes announce no
// Change.
type Operators interface {
	CreateOperator(ctx context.Context, o Operator) error
	GetOperator(ctx context.Context, tenant, id string) (Operator, error)
	GetOperatorByEmail(ctx context.Context, tenant, email string) (Operator, error)
	// ListOperators returns the tenant's operators, oldest first.
	ListOperators(ctx context.Context, tenant string) ([]Operator, error)
	UpdateOperator(ctx context.Context, tenant, id string, fn func(Operator) (Operator, error)) (Operator, error)
	// DeleteOperator also deletes the operator's sessions.
	DeleteOperator(ctx context.Context, tenant, id string) error

	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, tenant, idHash string) (Session, error)
	// TouchSession records activity (LastSeenAt) without reading the row.
	TouchSession(ctx context.Context, tenant, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, tenant, idHash string) error
	// DeleteOperatorSessions signs an operator out everywhere (password reset).
	DeleteOperatorSessions(ctx context.Context, tenant, operatorID string) error
	// DeleteSessionsBefore removes sessions whose absolute expiry or whose
	// last activity is before the given times; it returns how many.
	DeleteSessionsBefore(ctx context.Context, expiredBefore, idleBefore time.Time) (int, error)
}
