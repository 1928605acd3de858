package storagetest

import (
	"context"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func testOperators(t *testing.T, open func(t *testing.T) storage.Storage) {
	ctx := context.Background()
	s := open(t)
	login := at(30)
	o := storage.Operator{Tenant: "t1", ID: "op1", Email: "ada@example.com", PasswordHash: "$2a$10$hash", CreatedAt: at(0), UpdatedAt: at(0)}
	mustNil(t, s.CreateOperator(ctx, o), "create operator")
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.Truncate(1000), o.UpdatedAt.Truncate(1000)

	dup := o
	dup.ID = "op2"
	mustIs(t, s.CreateOperator(ctx, dup), storage.ErrConflict, "same email")
	// Another tenant may use the same email.
	other := dup
	other.Tenant = "t2"
	mustNil(t, s.CreateOperator(ctx, other), "same email, other tenant")

	got, err := s.GetOperator(ctx, "t1", "op1")
	mustNil(t, err, "get operator")
	mustEqual(t, got, o, "get operator")
	got, err = s.GetOperatorByEmail(ctx, "t1", "ada@example.com")
	mustNil(t, err, "get by email")
	mustEqual(t, got.ID, "op1", "get by email")
	_, err = s.GetOperatorByEmail(ctx, "t1", "nobody@example.com")
	mustIs(t, err, storage.ErrNotFound, "unknown email")
	_, err = s.GetOperator(ctx, "t2", "op1")
	mustIs(t, err, storage.ErrNotFound, "operator of another tenant")

	upd, err := s.UpdateOperator(ctx, "t1", "op1", func(o storage.Operator) (storage.Operator, error) {
		o.PasswordHash, o.LastLoginAt, o.UpdatedAt = "$2a$10$new", &login, at(31)
		o.ID = "ignored"
		return o, nil
	})
	mustNil(t, err, "update operator")
	got, err = s.GetOperator(ctx, "t1", "op1")
	mustNil(t, err, "get updated operator")
	mustEqual(t, got, upd, "update returns what a read returns")
	mustEqual(t, got.PasswordHash, "$2a$10$new", "password hash updated")
	if got.LastLoginAt == nil || !got.LastLoginAt.Equal(login) {
		t.Fatalf("last login = %v, want %v", got.LastLoginAt, login)
	}
	_, err = s.UpdateOperator(ctx, "t1", "op1", func(o storage.Operator) (storage.Operator, error) { return o, errBoom })
	mustIs(t, err, errBoom, "update error aborts")

	list, err := s.ListOperators(ctx, "t1")
	mustNil(t, err, "list operators")
	mustEqual(t, len(list), 1, "operators of t1")

	se := storage.Session{IDHash: "h1", Tenant: "t1", OperatorID: "op1", CSRFToken: "csrf", CreatedAt: at(40), LastSeenAt: at(40),
		ExpiresAt: at(1000), IP: "127.0.0.1", UserAgent: "test"}
	mustNil(t, s.CreateSession(ctx, se), "create session")
	mustIs(t, s.CreateSession(ctx, se), storage.ErrConflict, "same session hash")
	gs, err := s.GetSession(ctx, "t1", "h1")
	mustNil(t, err, "get session")
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt = se.CreatedAt.Truncate(1000), se.LastSeenAt.Truncate(1000), se.ExpiresAt.Truncate(1000)
	mustEqual(t, gs, se, "get session")
	_, err = s.GetSession(ctx, "t2", "h1")
	mustIs(t, err, storage.ErrNotFound, "session of another tenant")

	mustNil(t, s.TouchSession(ctx, "t1", "h1", at(50)), "touch session")
	gs, _ = s.GetSession(ctx, "t1", "h1")
	if !gs.LastSeenAt.Equal(at(50)) {
		t.Fatalf("last seen = %v, want %v", gs.LastSeenAt, at(50))
	}
	mustIs(t, s.TouchSession(ctx, "t1", "nope", at(50)), storage.ErrNotFound, "touch unknown session")

	// Idle cleanup: h2 was last seen long ago, h3 expired, h1 is fine.
	mustNil(t, s.CreateSession(ctx, storage.Session{IDHash: "h2", Tenant: "t1", OperatorID: "op1", CSRFToken: "c",
		CreatedAt: at(0), LastSeenAt: at(1), ExpiresAt: at(1000)}), "create idle session")
	mustNil(t, s.CreateSession(ctx, storage.Session{IDHash: "h3", Tenant: "t1", OperatorID: "op1", CSRFToken: "c",
		CreatedAt: at(0), LastSeenAt: at(60), ExpiresAt: at(70)}), "create expiring session")
	n, err := s.DeleteSessionsBefore(ctx, at(80), at(45))
	mustNil(t, err, "delete old sessions")
	mustEqual(t, n, 2, "old sessions deleted")
	_, err = s.GetSession(ctx, "t1", "h1")
	mustNil(t, err, "live session survives cleanup")

	mustNil(t, s.DeleteSession(ctx, "t1", "h1"), "delete session")
	mustIs(t, s.DeleteSession(ctx, "t1", "h1"), storage.ErrNotFound, "delete session twice")

	mustNil(t, s.CreateSession(ctx, storage.Session{IDHash: "h4", Tenant: "t1", OperatorID: "op1", CSRFToken: "c",
		CreatedAt: at(0), LastSeenAt: at(60), ExpiresAt: at(1000)}), "create session")
	mustNil(t, s.DeleteOperatorSessions(ctx, "t1", "op1"), "sign out everywhere")
	_, err = s.GetSession(ctx, "t1", "h4")
	mustIs(t, err, storage.ErrNotFound, "session after sign out everywhere")

	mustNil(t, s.CreateSession(ctx, storage.Session{IDHash: "h5", Tenant: "t1", OperatorID: "op1", CSRFToken: "c",
		CreatedAt: at(0), LastSeenAt: at(60), ExpiresAt: at(1000)}), "create session")
	mustNil(t, s.DeleteOperator(ctx, "t1", "op1"), "delete operator")
	_, err = s.GetSession(ctx, "t1", "h5")
	mustIs(t, err, storage.ErrNotFound, "sessions go with their operator")
	mustIs(t, s.DeleteOperator(ctx, "t1", "op1"), storage.ErrNotFound, "delete operator twice")
	_, err = s.GetOperator(ctx, "t2", "op2")
	mustNil(t, err, "other tenant's operator survives")
}
