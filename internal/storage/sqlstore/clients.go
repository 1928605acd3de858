package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// clientAttrs is the JSON-encoded remainder of a client row. Keys are
// stable on-disk names; renaming a Go field must not rename them.
type clientAttrs struct {
	Name                    string            `json:"name,omitempty"`
	Description             string            `json:"description,omitempty"`
	AppType                 string            `json:"app_type,omitempty"`
	GrantTypes              []string          `json:"grant_types"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method,omitempty"`
	Metadata                map[string]string `json:"metadata"`
	Callbacks               []string          `json:"callbacks"`
	AllowedOrigins          []string          `json:"allowed_origins"`
	WebOrigins              []string          `json:"web_origins"`
	AllowedLogoutURLs       []string          `json:"allowed_logout_urls"`
	LogoURI                 string            `json:"logo_uri,omitempty"`
	IsFirstParty            bool              `json:"is_first_party,omitempty"`
	IDTokenLifetime         int               `json:"id_token_lifetime,omitempty"`
	Global                  bool              `json:"global,omitempty"`
}

const clientColumns = "tenant, client_id, created_at, updated_at, secret_sealed, attrs"

func (s *Store) scanClient(row interface{ Scan(...any) error }) (storage.Client, error) {
	var (
		c                storage.Client
		created, updated string
		secret           []byte
		attrs            string
		a                clientAttrs
	)
	if err := row.Scan(&c.Tenant, &c.ClientID, &created, &updated, &secret, &attrs); err != nil {
		return c, err
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return c, err
	}
	if c.Secret, err = s.openString(secret, clientSecretAD(c.Tenant, c.ClientID)); err != nil {
		return c, err
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return c, err
	}
	c.Name, c.Description, c.AppType = a.Name, a.Description, a.AppType
	c.GrantTypes, c.TokenEndpointAuthMethod, c.Metadata = a.GrantTypes, a.TokenEndpointAuthMethod, a.Metadata
	c.Callbacks, c.AllowedOrigins, c.WebOrigins = a.Callbacks, a.AllowedOrigins, a.WebOrigins
	c.AllowedLogoutURLs, c.LogoURI = a.AllowedLogoutURLs, a.LogoURI
	c.IsFirstParty, c.Global = a.IsFirstParty, a.Global
	c.IDTokenLifetime = a.IDTokenLifetime
	return c, nil
}

func clientAttrsOf(c storage.Client) (string, error) {
	return encodeAttrs(clientAttrs{
		Name: c.Name, Description: c.Description, AppType: c.AppType,
		GrantTypes: c.GrantTypes, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, Metadata: c.Metadata,
		Callbacks: c.Callbacks, AllowedOrigins: c.AllowedOrigins, WebOrigins: c.WebOrigins,
		AllowedLogoutURLs: c.AllowedLogoutURLs, LogoURI: c.LogoURI,
		IsFirstParty: c.IsFirstParty, Global: c.Global, IDTokenLifetime: c.IDTokenLifetime,
	})
}

// CreateClient implements storage.Storage.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if err := s.insertClient(ctx, tx, c); err != nil {
			return nil, err
		}
		return []storage.Change{change(c.Tenant, kindClients, c.ClientID)}, nil
	})
}

func (s *Store) insertClient(ctx context.Context, tx *sql.Tx, c storage.Client) error {
	attrs, err := clientAttrsOf(c)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, "INSERT INTO clients ("+clientColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		c.Tenant, c.ClientID, formatTime(c.CreatedAt), formatTime(c.UpdatedAt),
		s.sealString(c.Secret, clientSecretAD(c.Tenant, c.ClientID)), attrs)
	if err != nil {
		return fmt.Errorf("sqlstore: create client %q: %w", c.ClientID, err)
	}
	return nil
}

// GetClient implements storage.Storage.
func (s *Store) GetClient(ctx context.Context, tenant, clientID string) (storage.Client, error) {
	return s.getClient(ctx, s.reader, tenant, clientID, "")
}

func (s *Store) getClient(ctx context.Context, q querier, tenant, clientID, suffix string) (storage.Client, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+clientColumns+" FROM clients WHERE tenant = ? AND client_id = ?"+suffix), tenant, clientID)
	c, err := s.scanClient(row)
	if err != nil {
		return storage.Client{}, notFound(err, fmt.Sprintf("client %q", clientID))
	}
	return c, nil
}

// ListClients implements storage.Storage.
func (s *Store) ListClients(ctx context.Context, tenant string, p storage.Page) ([]storage.Client, int, error) {
	var (
		list  []storage.Client
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM clients WHERE tenant = ?", tenant); err != nil {
			return err
		}
		list, err = s.listClients(ctx, tx, tenant, p, 0)
		return err
	})
	return list, total, err
}

// listClients reads a page of clients; expect sizes the result up front
// (a whole catalog's clients: growing the slice row by row copies it over
// and over).
func (s *Store) listClients(ctx context.Context, q querier, tenant string, p storage.Page, expect int) ([]storage.Client, error) {
	rows, err := q.QueryContext(ctx, s.d.bind("SELECT "+clientColumns+" FROM clients WHERE tenant = ? ORDER BY created_at, client_id"+pageClause(p)), tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list clients: %w", err)
	}
	defer rows.Close()
	var out []storage.Client
	if expect > 0 {
		out = make([]storage.Client, 0, expect)
	}
	for rows.Next() {
		c, err := s.scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list clients: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateClient implements storage.Storage. The key (tenant, client_id)
// cannot change: fn's copy of it is ignored.
func (s *Store) UpdateClient(ctx context.Context, tenant, clientID string, fn func(storage.Client) (storage.Client, error)) (storage.Client, error) {
	var out storage.Client
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getClient(ctx, tx, tenant, clientID, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		c, err := fn(old)
		if err != nil {
			return nil, err
		}
		c.Tenant, c.ClientID = old.Tenant, old.ClientID
		attrs, err := clientAttrsOf(c)
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "UPDATE clients SET created_at = ?, updated_at = ?, secret_sealed = ?, attrs = ? WHERE tenant = ? AND client_id = ?",
			formatTime(c.CreatedAt), formatTime(c.UpdatedAt), s.sealString(c.Secret, clientSecretAD(tenant, clientID)), attrs,
			tenant, clientID); err != nil {
			return nil, fmt.Errorf("sqlstore: update client %q: %w", clientID, err)
		}
		c.CreatedAt, c.UpdatedAt = storedTime(c.CreatedAt), storedTime(c.UpdatedAt)
		out = c
		return []storage.Change{change(tenant, kindClients, clientID)}, nil
	})
	return out, err
}

// DeleteClient implements storage.Storage; the client's grants go with it.
func (s *Store) DeleteClient(ctx context.Context, tenant, clientID string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "DELETE FROM clients WHERE tenant = ? AND client_id = ?", tenant, clientID)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete client %q: %w", clientID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("client %q", clientID)); err != nil {
			return nil, err
		}
		res, err = s.exec(ctx, tx, "DELETE FROM client_grants WHERE tenant = ? AND client_id = ?", tenant, clientID)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete grants of client %q: %w", clientID, err)
		}
		changes := []storage.Change{change(tenant, kindClients, clientID)}
		if n, _ := res.RowsAffected(); n > 0 {
			changes = append(changes, change(tenant, kindClientGrants, clientID))
		}
		return changes, nil
	})
}
