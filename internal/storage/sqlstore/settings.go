package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

type settingsAttrs struct {
	FriendlyName     string `json:"friendly_name,omitempty"`
	DefaultAudience  string `json:"default_audience,omitempty"`
	DefaultDirectory string `json:"default_directory,omitempty"`
	// ConnectionClients is absent (nil) for "every client".
	ConnectionClients *[]string `json:"connection_clients,omitempty"`
	DisableSignup     bool      `json:"disable_signup,omitempty"`
}

// GetTenantSettings implements storage.Storage.
func (s *Store) GetTenantSettings(ctx context.Context, tenant string) (storage.TenantSettings, error) {
	return s.getSettings(ctx, s.reader, tenant)
}

func (s *Store) getSettings(ctx context.Context, q querier, tenant string) (storage.TenantSettings, error) {
	var updated, attrs string
	err := q.QueryRowContext(ctx, s.d.bind("SELECT updated_at, attrs FROM tenant_settings WHERE tenant = ?"), tenant).Scan(&updated, &attrs)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.TenantSettings{Tenant: tenant}, nil
	}
	if err != nil {
		return storage.TenantSettings{}, fmt.Errorf("sqlstore: get tenant settings: %w", err)
	}
	var a settingsAttrs
	if err := decodeAttrs(attrs, &a); err != nil {
		return storage.TenantSettings{}, err
	}
	ts := storage.TenantSettings{Tenant: tenant, FriendlyName: a.FriendlyName, DefaultAudience: a.DefaultAudience, DefaultDirectory: a.DefaultDirectory,
		ConnectionClients: a.ConnectionClients, DisableSignup: a.DisableSignup}
	if ts.UpdatedAt, err = parseTime(updated); err != nil {
		return storage.TenantSettings{}, err
	}
	return ts, nil
}

// UpdateTenantSettings implements storage.Storage. Like signing keys, the
// row may not exist yet, so the read-modify-write is guarded by a named lock.
func (s *Store) UpdateTenantSettings(ctx context.Context, tenant string, fn func(storage.TenantSettings) (storage.TenantSettings, error)) (storage.TenantSettings, error) {
	var out storage.TenantSettings
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if s.d.lock != nil {
			if err := s.d.lock(ctx, tx, "settings:"+tenant); err != nil {
				return nil, fmt.Errorf("sqlstore: lock tenant settings: %w", err)
			}
		}
		old, err := s.getSettings(ctx, tx, tenant)
		if err != nil {
			return nil, err
		}
		ts, err := fn(old)
		if err != nil {
			return nil, err
		}
		ts.Tenant = tenant
		attrs, err := encodeAttrs(settingsAttrs{FriendlyName: ts.FriendlyName, DefaultAudience: ts.DefaultAudience, DefaultDirectory: ts.DefaultDirectory,
			ConnectionClients: ts.ConnectionClients, DisableSignup: ts.DisableSignup})
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO tenant_settings (tenant, updated_at, attrs) VALUES (?, ?, ?)
			ON CONFLICT (tenant) DO UPDATE SET updated_at = excluded.updated_at, attrs = excluded.attrs`,
			tenant, formatTime(ts.UpdatedAt), attrs); err != nil {
			return nil, fmt.Errorf("sqlstore: save tenant settings: %w", err)
		}
		ts.UpdatedAt = storedTime(ts.UpdatedAt)
		out = ts
		return []storage.Change{change(tenant, kindSettings, "")}, nil
	})
	return out, err
}
