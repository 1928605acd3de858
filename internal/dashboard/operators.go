package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tokenhook/tokenhook/internal/ids"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// DevOperatorEmail is the operator --dev creates when no admin email is
// configured.
const DevOperatorEmail = "admin@tokenhook.local"

// MinPasswordLength is enforced on configured operator passwords.
const MinPasswordLength = 8

// EnsureOperator makes email an operator whose password is password: it
// creates the operator, or resets the password of the existing one and
// signs it out everywhere when the password changed (the configured value
// is the source of truth on every start).
// New hashes get hasher's cost, the cost of the dummy compare that sign-in
// spends on unknown emails.
func EnsureOperator(ctx context.Context, store storage.Storage, hasher *password.Hasher, tenant, email, pw string, rnd io.Reader, now time.Time) error {
	email = NormalizeEmail(email)
	if len(pw) < MinPasswordLength {
		return fmt.Errorf("dashboard: the operator password must be at least %d characters", MinPasswordLength)
	}
	o, err := store.GetOperatorByEmail(ctx, tenant, email)
	if errors.Is(err, storage.ErrNotFound) {
		hash, err := hasher.Hash(pw)
		if err != nil {
			return fmt.Errorf("dashboard: hash password: %w", err)
		}
		return store.CreateOperator(ctx, storage.Operator{Tenant: tenant, ID: "op_" + ids.ClientID(rnd)[:24], Email: email,
			PasswordHash: hash, CreatedAt: now, UpdatedAt: now})
	}
	if err != nil {
		return err
	}
	if hasher.Matches(o.PasswordHash, pw) {
		return nil
	}
	hash, err := hasher.Hash(pw)
	if err != nil {
		return fmt.Errorf("dashboard: hash password: %w", err)
	}
	if _, err := store.UpdateOperator(ctx, tenant, o.ID, func(o storage.Operator) (storage.Operator, error) {
		o.PasswordHash, o.UpdatedAt = hash, now
		return o, nil
	}); err != nil {
		return err
	}
	return store.DeleteOperatorSessions(ctx, tenant, o.ID)
}

// EnsureDevOperator creates DevOperatorEmail with a generated password when
// the tenant has no operator yet, and prints the password to out once.
func EnsureDevOperator(ctx context.Context, store storage.Storage, hasher *password.Hasher, tenant, dashboardURL string, rnd io.Reader, now time.Time, out io.Writer) error {
	list, err := store.ListOperators(ctx, tenant)
	if err != nil || len(list) > 0 {
		return err
	}
	pw := ids.ClientSecret(rnd)[:24]
	if err := EnsureOperator(ctx, store, hasher, tenant, DevOperatorEmail, pw, rnd, now); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nDashboard: %s\n  sign in as %s with password %s (shown only this once)\n",
		dashboardURL, DevOperatorEmail, pw)
	return nil
}
