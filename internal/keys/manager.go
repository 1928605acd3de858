package keys

import (
	"context"
	"io"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Manager applies Ensure and Rotate to a tenant's stored keys atomically.
type Manager struct {
	Store  storage.Storage
	Tenant string
	Rand   io.Reader
	Now    func() time.Time
}

// Ensure makes sure the tenant has a current and a next key.
func (m *Manager) Ensure(ctx context.Context) error {
	_, err := m.Store.UpdateSigningKeys(ctx, m.Tenant, func(set []storage.SigningKey) ([]storage.SigningKey, error) {
		out, _, err := Ensure(set, m.Rand, m.Now(), m.Tenant)
		return out, err
	})
	return err
}

// EnsureAlg makes sure the tenant has a current and a next key of family
// alg (AlgES256 or AlgEdDSA) before an API starts signing with it. It
// writes only when something is missing.
func (m *Manager) EnsureAlg(ctx context.Context, alg string) error {
	set, err := m.Store.ListSigningKeys(ctx, m.Tenant)
	if err != nil {
		return err
	}
	if _, changed, err := EnsureAlg(set, alg, m.Rand, m.Now(), m.Tenant); err != nil || !changed {
		return err
	}
	_, err = m.Store.UpdateSigningKeys(ctx, m.Tenant, func(set []storage.SigningKey) ([]storage.SigningKey, error) {
		out, _, err := EnsureAlg(set, alg, m.Rand, m.Now(), m.Tenant)
		return out, err
	})
	return err
}

// Rotate rotates the tenant's keys (POST /api/v2/keys/signing/rotate).
func (m *Manager) Rotate(ctx context.Context) error {
	_, err := m.Store.UpdateSigningKeys(ctx, m.Tenant, func(set []storage.SigningKey) ([]storage.SigningKey, error) {
		return Rotate(set, m.Rand, m.Now(), m.Tenant)
	})
	return err
}
