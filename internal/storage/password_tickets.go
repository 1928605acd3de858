package storage

import (
	"context"
	"time"
)

// PasswordTicket is a single-use, expiring password-change link
// (POST /api/v2/tickets/password-change). Only the SHA-256 of its token is
// stored: whoever reads the database cannot use a ticket.
type PasswordTicket struct {
	Tenant    string
	Hash      string // hex SHA-256 of the token in the URL
	UserID    string
	ResultURL string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// PasswordTickets persists password-change tickets.
type PasswordTickets interface {
	// CreatePasswordTicket stores t and forgets the tenant's tickets that
	// expired before t.CreatedAt.
	CreatePasswordTicket(ctx context.Context, t PasswordTicket) error
	// GetPasswordTicket returns the ticket with that hash if it has not
	// expired at now, else ErrNotFound.
	GetPasswordTicket(ctx context.Context, tenant, hash string, now time.Time) (PasswordTicket, error)
	// UsePasswordTicket deletes and returns the ticket if it has not
	// expired at now, in one statement, so of concurrent uses exactly one
	// gets it; the others (and any later one) get ErrNotFound.
	UsePasswordTicket(ctx context.Context, tenant, hash string, now time.Time) (PasswordTicket, error)
}
