package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// signingKeyAttrs is the attrs JSON column. Alg is omitted for RSA, so rows
// written before ES256 and EdDSA existed read back as RSA with no migration.
type signingKeyAttrs struct {
	Alg          string     `json:"alg,omitempty"`
	Cert         []byte     `json:"cert"`
	State        string     `json:"state"`
	CurrentSince *time.Time `json:"current_since,omitempty"`
	CurrentUntil *time.Time `json:"current_until,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

const signingKeyColumns = "tenant, kid, created_at, private_key_sealed, attrs"

func (s *Store) scanSigningKey(row interface{ Scan(...any) error }) (storage.SigningKey, error) {
	var (
		k       storage.SigningKey
		created string
		sealed  []byte
		attrs   string
		a       signingKeyAttrs
	)
	if err := row.Scan(&k.Tenant, &k.KID, &created, &sealed, &attrs); err != nil {
		return k, err
	}
	var err error
	if k.CreatedAt, err = parseTime(created); err != nil {
		return k, err
	}
	if k.PrivateKey, err = s.sealer.Open(sealed, signingKeyAD(k.Tenant, k.KID)); err != nil {
		return k, fmt.Errorf("sqlstore: signing key %q: %w", k.KID, err)
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return k, err
	}
	k.Alg, k.Cert, k.State = a.Alg, a.Cert, a.State
	k.CurrentSince, k.CurrentUntil, k.RevokedAt = utcPtr(a.CurrentSince), utcPtr(a.CurrentUntil), utcPtr(a.RevokedAt)
	return k, nil
}

// ListSigningKeys implements storage.Storage.
func (s *Store) ListSigningKeys(ctx context.Context, tenant string) ([]storage.SigningKey, error) {
	return s.listSigningKeys(ctx, s.reader, tenant)
}

func (s *Store) listSigningKeys(ctx context.Context, q querier, tenant string) ([]storage.SigningKey, error) {
	rows, err := q.QueryContext(ctx, s.d.bind("SELECT "+signingKeyColumns+" FROM signing_keys WHERE tenant = ? ORDER BY created_at, position"), tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list signing keys: %w", err)
	}
	defer rows.Close()
	var out []storage.SigningKey
	for rows.Next() {
		k, err := s.scanSigningKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list signing keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// UpdateSigningKeys implements storage.Storage. The set is locked by name
// rather than by rows because on first start there are no rows to lock,
// and two replicas must not both generate a first key set.
func (s *Store) UpdateSigningKeys(ctx context.Context, tenant string, fn func([]storage.SigningKey) ([]storage.SigningKey, error)) ([]storage.SigningKey, error) {
	var out []storage.SigningKey
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if s.d.lock != nil {
			if err := s.d.lock(ctx, tx, "signing_keys:"+tenant); err != nil {
				return nil, fmt.Errorf("sqlstore: lock signing keys: %w", err)
			}
		}
		old, err := s.listSigningKeys(ctx, tx, tenant)
		if err != nil {
			return nil, err
		}
		keys, err := fn(old)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM signing_keys WHERE tenant = ?", tenant); err != nil {
			return nil, fmt.Errorf("sqlstore: replace signing keys: %w", err)
		}
		// position keeps the caller's order among keys created in the same
		// instant (first start makes "current" and "next" together).
		for i, k := range keys {
			attrs, err := encodeAttrs(signingKeyAttrs{Alg: k.Alg, Cert: k.Cert, State: k.State,
				CurrentSince: utcPtr(k.CurrentSince), CurrentUntil: utcPtr(k.CurrentUntil), RevokedAt: utcPtr(k.RevokedAt)})
			if err != nil {
				return nil, err
			}
			if _, err := s.exec(ctx, tx, "INSERT INTO signing_keys (tenant, kid, position, created_at, private_key_sealed, attrs) VALUES (?, ?, ?, ?, ?, ?)",
				tenant, k.KID, i, formatTime(k.CreatedAt), s.sealer.Seal(k.PrivateKey, signingKeyAD(tenant, k.KID)), attrs); err != nil {
				return nil, fmt.Errorf("sqlstore: save signing key %q: %w", k.KID, err)
			}
		}
		// Return the stored order, which is what ListSigningKeys will give.
		out, err = s.listSigningKeys(ctx, tx, tenant)
		if err != nil {
			return nil, err
		}
		return []storage.Change{change(tenant, kindSigningKeys, "")}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
