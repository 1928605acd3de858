package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tokenhook/tokenhook/internal/dashboard"
	"github.com/tokenhook/tokenhook/internal/ids"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Demo data created by --dev on first start.
const (
	DemoAPIIdentifier = "https://api.example.com/"
	DemoClientName    = "Demo M2M application"
	demoAPIName       = "Demo API"
	adminClientName   = "tokenhook management"
)

// bootstrap makes sure the tenant can be used: signing keys, the
// Management API as a system API, and an application that can call it.
// It runs on every start and is idempotent.
func (s *Server) bootstrap(ctx context.Context, out io.Writer, now func() time.Time) error {
	tenant := s.cfg.Tenant
	// Generates the keys on first start only, and each key once.
	km := &keys.Manager{Store: s.store, Tenant: tenant, Rand: rand.Reader, Now: now}
	if err := km.Ensure(ctx); err != nil {
		return err
	}
	if _, err := s.store.UpdateTenantSettings(ctx, tenant, func(t storage.TenantSettings) (storage.TenantSettings, error) {
		if t.FriendlyName == "" {
			t.FriendlyName = tenant
		}
		return t, nil
	}); err != nil {
		return err
	}
	_, total, err := s.store.ListClients(ctx, tenant, storage.Page{PerPage: 1})
	if err != nil {
		return err
	}
	firstStart := total == 0
	mgmtAPI := s.issuer + "api/v2/"
	if err := s.ensureSystemAPI(ctx, mgmtAPI, now()); err != nil {
		return err
	}
	switch {
	case s.cfg.AdminClientID != "":
		if err := s.ensureClient(ctx, s.cfg.AdminClientID, s.cfg.AdminClientSecret, adminClientName, true, now()); err != nil {
			return err
		}
		if err := s.ensureGrant(ctx, s.cfg.AdminClientID, mgmtAPI, mgmt.Scopes(), now()); err != nil {
			return err
		}
	case firstStart:
		id, secret := ids.ClientID(rand.Reader), ids.ClientSecret(rand.Reader)
		if err := s.ensureClient(ctx, id, secret, adminClientName, true, now()); err != nil {
			return err
		}
		if err := s.ensureGrant(ctx, id, mgmtAPI, mgmt.Scopes(), now()); err != nil {
			return err
		}
		fmt.Fprintf(out, "\nCreated the management application (shown only this once; keep it safe):\n"+
			"  TOKENHOOK_ADMIN_CLIENT_ID=%s\n  TOKENHOOK_ADMIN_CLIENT_SECRET=%s\n", id, secret)
	default:
		if err := s.completeAdminGrants(ctx, mgmtAPI, now()); err != nil {
			return err
		}
	}
	if s.cfg.Dev {
		return s.ensureDemo(ctx, out, firstStart, now())
	}
	return nil
}

// ensureSystemAPI creates the Management API resource server, or brings
// its scopes up to date when a newer version defines more.
func (s *Server) ensureSystemAPI(ctx context.Context, identifier string, now time.Time) error {
	scopes := mgmt.SystemScopes()
	rs, err := s.store.GetResourceServer(ctx, s.cfg.Tenant, identifier)
	if errors.Is(err, storage.ErrNotFound) {
		return s.store.CreateResourceServer(ctx, storage.ResourceServer{
			Tenant: s.cfg.Tenant, ID: ids.ResourceServerID(rand.Reader), Identifier: identifier,
			Name: mgmt.SystemAPIName, Scopes: scopes, TokenLifetime: 86400, SigningAlg: "RS256",
			IsSystem: true, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err != nil {
		return err
	}
	_, err = s.store.UpdateResourceServer(ctx, s.cfg.Tenant, rs.ID, func(rs storage.ResourceServer) (storage.ResourceServer, error) {
		rs.Scopes, rs.IsSystem, rs.UpdatedAt = scopes, true, now
		return rs, nil
	})
	return err
}

// ensureClient creates a machine-to-machine application with exactly these
// credentials, or resets the secret of the existing one.
func (s *Server) ensureClient(ctx context.Context, id, secret, name string, global bool, now time.Time) error {
	_, err := s.store.UpdateClient(ctx, s.cfg.Tenant, id, func(c storage.Client) (storage.Client, error) {
		c.Secret = secret
		if !slices.Contains(c.GrantTypes, "client_credentials") {
			c.GrantTypes = append(c.GrantTypes, "client_credentials")
		}
		c.UpdatedAt = now
		return c, nil
	})
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return s.store.CreateClient(ctx, storage.Client{
		Tenant: s.cfg.Tenant, ClientID: id, Secret: secret, Name: name, AppType: "non_interactive",
		GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_post",
		Metadata: map[string]string{}, IsFirstParty: true, Global: global, CreatedAt: now, UpdatedAt: now,
	})
}

// ensureGrant makes sure clientID holds at least scopes for audience.
func (s *Server) ensureGrant(ctx context.Context, clientID, audience string, scopes []string, now time.Time) error {
	grants, _, err := s.store.ListClientGrants(ctx, s.cfg.Tenant, storage.GrantFilter{ClientID: clientID, Audience: audience}, storage.Page{})
	if err != nil {
		return err
	}
	if len(grants) == 0 {
		return s.store.CreateClientGrant(ctx, storage.ClientGrant{
			Tenant: s.cfg.Tenant, ID: ids.ClientGrantID(rand.Reader), ClientID: clientID, Audience: audience,
			Scope: scopes, CreatedAt: now, UpdatedAt: now,
		})
	}
	_, err = s.store.UpdateClientGrant(ctx, s.cfg.Tenant, grants[0].ID, func(g storage.ClientGrant) (storage.ClientGrant, error) {
		for _, sc := range scopes {
			if !slices.Contains(g.Scope, sc) {
				g.Scope = append(g.Scope, sc)
			}
		}
		g.UpdatedAt = now
		return g, nil
	})
	return err
}

// completeAdminGrants gives the generated management application every
// scope a newer version added, so upgrading never locks an operator out.
func (s *Server) completeAdminGrants(ctx context.Context, audience string, now time.Time) error {
	clients, _, err := s.store.ListClients(ctx, s.cfg.Tenant, storage.Page{})
	if err != nil {
		return err
	}
	for _, c := range clients {
		if c.Global {
			if err := s.ensureGrant(ctx, c.ClientID, audience, mgmt.Scopes(), now); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureDemo creates the demo API and application on first start and
// prints a ready curl command with the application's secret then, once,
// like the management credentials: the console output of a server is
// often kept (journald, CI logs). Later --dev starts name the application
// only.
func (s *Server) ensureDemo(ctx context.Context, out io.Writer, firstStart bool, now time.Time) error {
	tenant := s.cfg.Tenant
	if firstStart {
		if err := s.store.CreateResourceServer(ctx, storage.ResourceServer{
			Tenant: tenant, ID: ids.ResourceServerID(rand.Reader), Identifier: DemoAPIIdentifier, Name: demoAPIName,
			Scopes:        []storage.Scope{{Value: "read:data", Description: "Read data"}, {Value: "write:data", Description: "Write data"}},
			TokenLifetime: 86400, SigningAlg: "RS256", CreatedAt: now, UpdatedAt: now,
		}); err != nil && !errors.Is(err, storage.ErrConflict) {
			return err
		}
		id := ids.ClientID(rand.Reader)
		if err := s.store.CreateClient(ctx, storage.Client{
			Tenant: tenant, ClientID: id, Secret: ids.ClientSecret(rand.Reader), Name: DemoClientName, AppType: "non_interactive",
			GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_post",
			Metadata: map[string]string{"plan": "full"}, CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			return err
		}
		if err := s.ensureGrant(ctx, id, DemoAPIIdentifier, []string{"read:data"}, now); err != nil {
			return err
		}
	}
	clients, _, err := s.store.ListClients(ctx, tenant, storage.Page{})
	if err != nil {
		return err
	}
	for _, c := range clients {
		if c.Name != DemoClientName {
			continue
		}
		if !firstStart {
			fmt.Fprintf(out, "\nDemo application: client_id %s (its secret was shown on the first start only;\n"+
				"  the dashboard's Try it gets a token without it, and rotating the secret shows a new one)\n\n", c.ClientID)
			return nil
		}
		fmt.Fprintf(out, "\nDemo application ready (the secret is shown only this once). Get a token:\n\n  curl -s %soauth/token -H 'content-type: application/json' \\\n"+
			"    -d '{\"grant_type\":\"client_credentials\",\"client_id\":\"%s\",\"client_secret\":\"%s\",\"audience\":\"%s\"}'\n\n",
			s.localURL(), c.ClientID, c.Secret, DemoAPIIdentifier)
		return nil
	}
	return nil
}

// ensureOperators gives the dashboard its first operator: the configured
// one (its password reset to the configured value on every start), or
// under --dev a generated one printed once.
func (s *Server) ensureOperators(ctx context.Context, out io.Writer, hasher *password.Hasher, now time.Time) error {
	if s.cfg.AdminEmail != "" {
		return dashboard.EnsureOperator(ctx, s.store, hasher, s.cfg.Tenant, s.cfg.AdminEmail, s.cfg.AdminPassword, rand.Reader, now)
	}
	if s.cfg.Dev {
		return dashboard.EnsureDevOperator(ctx, s.store, hasher, s.cfg.Tenant, s.localURL(), rand.Reader, now, out)
	}
	return nil
}
