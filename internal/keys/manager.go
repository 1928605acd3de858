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

// Ensure makes sure the tenant has a current and a next key in every
// family it uses. It writes, and generates keys, only when something is
// missing (on first start, or to repair a family), and then generates each
// missing key once, inside the write.
func (m *Manager) Ensure(ctx context.Context) error {
	return m.ensure(ctx, "")
}

// EnsureAlg makes sure the tenant has a current and a next key of family
// alg (AlgES256 or AlgEdDSA) before an API starts signing with it, as
// Ensure does.
func (m *Manager) EnsureAlg(ctx context.Context, alg string) error {
	return m.ensure(ctx, alg)
}

func (m *Manager) ensure(ctx context.Context, alg string) error {
	set, err := m.Store.ListSigningKeys(ctx, m.Tenant)
	if err != nil {
		return err
	}
	if Complete(set, alg) {
		return nil
	}
	_, err = m.Store.UpdateSigningKeys(ctx, m.Tenant, func(set []storage.SigningKey) ([]storage.SigningKey, error) {
		// Another replica may have completed the set since the read above:
		// the check runs again on what the transaction sees.
		if Complete(set, alg) {
			return set, nil
		}
		var err error
		if alg == "" {
			set, _, err = Ensure(set, m.Rand, m.Now(), m.Tenant)
		} else {
			set, _, err = EnsureAlg(set, alg, m.Rand, m.Now(), m.Tenant)
		}
		return set, err
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
