package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

type clientGrantAttrs struct {
	Scope                []string `json:"scope"`
	OrganizationUsage    string   `json:"organization_usage,omitempty"`
	AllowAnyOrganization *bool    `json:"allow_any_organization,omitempty"`
	AllowAllScopes       *bool    `json:"allow_all_scopes,omitempty"`
	AuthorizationDetails []string `json:"authorization_details_types,omitempty"`
}

func clientGrantAttrsOf(g storage.ClientGrant) (string, error) {
	return encodeAttrs(clientGrantAttrs{Scope: g.Scope, OrganizationUsage: g.OrganizationUsage, AllowAnyOrganization: g.AllowAnyOrganization,
		AllowAllScopes: g.AllowAllScopes, AuthorizationDetails: g.AuthorizationDetailsTypes})
}

const clientGrantColumns = "tenant, id, client_id, audience, created_at, updated_at, attrs"

func scanClientGrant(row interface{ Scan(...any) error }) (storage.ClientGrant, error) {
	var (
		g                storage.ClientGrant
		created, updated string
		attrs            string
		a                clientGrantAttrs
	)
	if err := row.Scan(&g.Tenant, &g.ID, &g.ClientID, &g.Audience, &created, &updated, &attrs); err != nil {
		return g, err
	}
	var err error
	if g.CreatedAt, err = parseTime(created); err != nil {
		return g, err
	}
	if g.UpdatedAt, err = parseTime(updated); err != nil {
		return g, err
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return g, err
	}
	g.Scope, g.OrganizationUsage, g.AllowAnyOrganization = a.Scope, a.OrganizationUsage, a.AllowAnyOrganization
	g.AllowAllScopes, g.AuthorizationDetailsTypes = a.AllowAllScopes, a.AuthorizationDetails
	return g, nil
}

// CreateClientGrant implements storage.Storage. It does not check that the
// client or API exists: that is the Management API's job, which must answer
// with the right Auth0 error anyway.
func (s *Store) CreateClientGrant(ctx context.Context, g storage.ClientGrant) error {
	attrs, err := clientGrantAttrsOf(g)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		_, err := s.exec(ctx, tx, "INSERT INTO client_grants ("+clientGrantColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			g.Tenant, g.ID, g.ClientID, g.Audience, formatTime(g.CreatedAt), formatTime(g.UpdatedAt), attrs)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: create client grant %q: %w", g.ID, err)
		}
		return []storage.Change{change(g.Tenant, kindClientGrants, g.ClientID)}, nil
	})
}

// GetClientGrant implements storage.Storage.
func (s *Store) GetClientGrant(ctx context.Context, tenant, id string) (storage.ClientGrant, error) {
	return s.getClientGrant(ctx, s.reader, tenant, id, "")
}

func (s *Store) getClientGrant(ctx context.Context, q querier, tenant, id, suffix string) (storage.ClientGrant, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+clientGrantColumns+" FROM client_grants WHERE tenant = ? AND id = ?"+suffix), tenant, id)
	g, err := scanClientGrant(row)
	if err != nil {
		return storage.ClientGrant{}, notFound(err, fmt.Sprintf("client grant %q", id))
	}
	return g, nil
}

// ListClientGrants implements storage.Storage.
func (s *Store) ListClientGrants(ctx context.Context, tenant string, f storage.GrantFilter, p storage.Page) ([]storage.ClientGrant, int, error) {
	where, args := "tenant = ?", []any{tenant}
	if f.ClientID != "" {
		where, args = where+" AND client_id = ?", append(args, f.ClientID)
	}
	if f.Audience != "" {
		where, args = where+" AND audience = ?", append(args, f.Audience)
	}
	var (
		list  []storage.ClientGrant
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM client_grants WHERE "+where, args...); err != nil {
			return err
		}
		list, err = s.listClientGrants(ctx, tx, where, args, p)
		return err
	})
	return list, total, err
}

func (s *Store) listClientGrants(ctx context.Context, q querier, where string, args []any, p storage.Page) ([]storage.ClientGrant, error) {
	rows, err := q.QueryContext(ctx, s.d.bind("SELECT "+clientGrantColumns+" FROM client_grants WHERE "+where+" ORDER BY created_at, id"+pageClause(p)), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list client grants: %w", err)
	}
	defer rows.Close()
	var out []storage.ClientGrant
	for rows.Next() {
		g, err := scanClientGrant(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list client grants: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UpdateClientGrant implements storage.Storage. fn may move the grant to
// another client or audience; taking an existing pair is ErrConflict.
func (s *Store) UpdateClientGrant(ctx context.Context, tenant, id string, fn func(storage.ClientGrant) (storage.ClientGrant, error)) (storage.ClientGrant, error) {
	var out storage.ClientGrant
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getClientGrant(ctx, tx, tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		g, err := fn(old)
		if err != nil {
			return nil, err
		}
		g.Tenant, g.ID = old.Tenant, old.ID
		attrs, err := clientGrantAttrsOf(g)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "UPDATE client_grants SET client_id = ?, audience = ?, created_at = ?, updated_at = ?, attrs = ? WHERE tenant = ? AND id = ?",
			g.ClientID, g.Audience, formatTime(g.CreatedAt), formatTime(g.UpdatedAt), attrs, tenant, id); err != nil {
			return nil, fmt.Errorf("sqlstore: update client grant %q: %w", id, err)
		}
		g.CreatedAt, g.UpdatedAt = storedTime(g.CreatedAt), storedTime(g.UpdatedAt)
		out = g
		// A grant moved to another client changes both clients' grants.
		return []storage.Change{change(tenant, kindClientGrants, old.ClientID), change(tenant, kindClientGrants, g.ClientID)}, nil
	})
	return out, err
}

// DeleteClientGrant implements storage.Storage.
func (s *Store) DeleteClientGrant(ctx context.Context, tenant, id string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getClientGrant(ctx, tx, tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		res, err := s.exec(ctx, tx, "DELETE FROM client_grants WHERE tenant = ? AND id = ?", tenant, id)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete client grant %q: %w", id, err)
		}
		if err := mustAffect(res, fmt.Sprintf("client grant %q", id)); err != nil {
			return nil, err
		}
		return []storage.Change{change(tenant, kindClientGrants, old.ClientID)}, nil
	})
}
