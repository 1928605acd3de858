package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// resourceServerAttrs is the JSON-encoded remainder of a resource server row.
type resourceServerAttrs struct {
	Name               string          `json:"name,omitempty"`
	Scopes             []storage.Scope `json:"scopes"`
	TokenLifetime      int             `json:"token_lifetime,omitempty"`
	SigningAlg         string          `json:"signing_alg,omitempty"`
	AllowOfflineAccess bool            `json:"allow_offline_access,omitempty"`
	SkipConsent        bool            `json:"skip_consent,omitempty"`
	IsSystem           bool            `json:"is_system,omitempty"`
}

const resourceServerColumns = "tenant, id, identifier, created_at, updated_at, signing_secret_sealed, attrs"

func (s *Store) scanResourceServer(row interface{ Scan(...any) error }) (storage.ResourceServer, error) {
	var (
		rs               storage.ResourceServer
		created, updated string
		secret           []byte
		attrs            string
		a                resourceServerAttrs
	)
	if err := row.Scan(&rs.Tenant, &rs.ID, &rs.Identifier, &created, &updated, &secret, &attrs); err != nil {
		return rs, err
	}
	var err error
	if rs.CreatedAt, err = parseTime(created); err != nil {
		return rs, err
	}
	if rs.UpdatedAt, err = parseTime(updated); err != nil {
		return rs, err
	}
	if rs.SigningSecret, err = s.openString(secret, apiSecretAD(rs.Tenant, rs.ID)); err != nil {
		return rs, err
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return rs, err
	}
	rs.Name, rs.Scopes, rs.TokenLifetime, rs.SigningAlg = a.Name, a.Scopes, a.TokenLifetime, a.SigningAlg
	rs.AllowOfflineAccess, rs.SkipConsent, rs.IsSystem = a.AllowOfflineAccess, a.SkipConsent, a.IsSystem
	return rs, nil
}

func resourceServerAttrsOf(rs storage.ResourceServer) (string, error) {
	return encodeAttrs(resourceServerAttrs{
		Name: rs.Name, Scopes: rs.Scopes, TokenLifetime: rs.TokenLifetime, SigningAlg: rs.SigningAlg,
		AllowOfflineAccess: rs.AllowOfflineAccess, SkipConsent: rs.SkipConsent, IsSystem: rs.IsSystem,
	})
}

// CreateResourceServer implements storage.Storage.
func (s *Store) CreateResourceServer(ctx context.Context, rs storage.ResourceServer) error {
	attrs, err := resourceServerAttrsOf(rs)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		_, err := s.exec(ctx, tx, "INSERT INTO resource_servers ("+resourceServerColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			rs.Tenant, rs.ID, rs.Identifier, formatTime(rs.CreatedAt), formatTime(rs.UpdatedAt),
			s.sealString(rs.SigningSecret, apiSecretAD(rs.Tenant, rs.ID)), attrs)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: create resource server %q: %w", rs.Identifier, err)
		}
		return []storage.Change{change(rs.Tenant, kindResourceServers, rs.Identifier)}, nil
	})
}

// GetResourceServer implements storage.Storage. An id match wins over an
// identifier match, so a record is always reachable by its own id.
func (s *Store) GetResourceServer(ctx context.Context, tenant, idOrIdentifier string) (storage.ResourceServer, error) {
	rows, err := s.reader.QueryContext(ctx, s.d.bind("SELECT "+resourceServerColumns+
		" FROM resource_servers WHERE tenant = ? AND (id = ? OR identifier = ?)"), tenant, idOrIdentifier, idOrIdentifier)
	if err != nil {
		return storage.ResourceServer{}, fmt.Errorf("sqlstore: get resource server: %w", err)
	}
	defer rows.Close()
	var found *storage.ResourceServer
	for rows.Next() {
		rs, err := s.scanResourceServer(rows)
		if err != nil {
			return storage.ResourceServer{}, fmt.Errorf("sqlstore: get resource server: %w", err)
		}
		if found == nil || rs.ID == idOrIdentifier {
			found = &rs
		}
	}
	if err := rows.Err(); err != nil {
		return storage.ResourceServer{}, fmt.Errorf("sqlstore: get resource server: %w", err)
	}
	if found == nil {
		return storage.ResourceServer{}, fmt.Errorf("sqlstore: resource server %q: %w", idOrIdentifier, storage.ErrNotFound)
	}
	return *found, nil
}

func (s *Store) getResourceServerByID(ctx context.Context, q querier, tenant, id, suffix string) (storage.ResourceServer, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+resourceServerColumns+" FROM resource_servers WHERE tenant = ? AND id = ?"+suffix), tenant, id)
	rs, err := s.scanResourceServer(row)
	if err != nil {
		return storage.ResourceServer{}, notFound(err, fmt.Sprintf("resource server %q", id))
	}
	return rs, nil
}

// ListResourceServers implements storage.Storage.
func (s *Store) ListResourceServers(ctx context.Context, tenant string, p storage.Page) ([]storage.ResourceServer, int, error) {
	var (
		list  []storage.ResourceServer
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM resource_servers WHERE tenant = ?", tenant); err != nil {
			return err
		}
		list, err = s.listResourceServers(ctx, tx, tenant, p)
		return err
	})
	return list, total, err
}

func (s *Store) listResourceServers(ctx context.Context, q querier, tenant string, p storage.Page) ([]storage.ResourceServer, error) {
	rows, err := q.QueryContext(ctx, s.d.bind("SELECT "+resourceServerColumns+" FROM resource_servers WHERE tenant = ? ORDER BY created_at, id"+pageClause(p)), tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list resource servers: %w", err)
	}
	defer rows.Close()
	var out []storage.ResourceServer
	for rows.Next() {
		rs, err := s.scanResourceServer(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list resource servers: %w", err)
		}
		out = append(out, rs)
	}
	return out, rows.Err()
}

// UpdateResourceServer implements storage.Storage. The key and the
// identifier are immutable (grants refer to the identifier): fn's copies of
// them are ignored.
func (s *Store) UpdateResourceServer(ctx context.Context, tenant, id string, fn func(storage.ResourceServer) (storage.ResourceServer, error)) (storage.ResourceServer, error) {
	var out storage.ResourceServer
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getResourceServerByID(ctx, tx, tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		rs, err := fn(old)
		if err != nil {
			return nil, err
		}
		rs.Tenant, rs.ID, rs.Identifier = old.Tenant, old.ID, old.Identifier
		attrs, err := resourceServerAttrsOf(rs)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "UPDATE resource_servers SET created_at = ?, updated_at = ?, signing_secret_sealed = ?, attrs = ? WHERE tenant = ? AND id = ?",
			formatTime(rs.CreatedAt), formatTime(rs.UpdatedAt), s.sealString(rs.SigningSecret, apiSecretAD(tenant, id)), attrs,
			tenant, id); err != nil {
			return nil, fmt.Errorf("sqlstore: update resource server %q: %w", id, err)
		}
		rs.CreatedAt, rs.UpdatedAt = storedTime(rs.CreatedAt), storedTime(rs.UpdatedAt)
		out = rs
		return []storage.Change{change(tenant, kindResourceServers, old.Identifier)}, nil
	})
	return out, err
}

// DeleteResourceServer implements storage.Storage; grants for its
// identifier go with it.
func (s *Store) DeleteResourceServer(ctx context.Context, tenant, id string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getResourceServerByID(ctx, tx, tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM resource_servers WHERE tenant = ? AND id = ?", tenant, id); err != nil {
			return nil, fmt.Errorf("sqlstore: delete resource server %q: %w", id, err)
		}
		granted, err := s.grantedClients(ctx, tx, tenant, old.Identifier)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM client_grants WHERE tenant = ? AND audience = ?", tenant, old.Identifier); err != nil {
			return nil, fmt.Errorf("sqlstore: delete grants for %q: %w", old.Identifier, err)
		}
		changes := []storage.Change{change(tenant, kindResourceServers, old.Identifier)}
		if len(granted) > maxNamedChanges {
			// Too many to name: caches re-read every grant.
			return append(changes, change(tenant, kindClientGrants, "")), nil
		}
		for _, clientID := range granted {
			changes = append(changes, change(tenant, kindClientGrants, clientID))
		}
		return changes, nil
	})
}

// maxNamedChanges is how many records one write names in its changes
// before it announces the whole kind instead.
const maxNamedChanges = 1000

// grantedClients lists the clients with a grant for audience, up to one
// past maxNamedChanges.
func (s *Store) grantedClients(ctx context.Context, q querier, tenant, audience string) ([]string, error) {
	rows, err := q.QueryContext(ctx, s.d.bind("SELECT client_id FROM client_grants WHERE tenant = ? AND audience = ? LIMIT ?"), tenant, audience, maxNamedChanges+1)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: grants for %q: %w", audience, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlstore: grants for %q: %w", audience, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
