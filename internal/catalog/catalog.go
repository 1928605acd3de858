package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Snapshot is one consistent view of a tenant's catalog. Never modified
// after it is built; callers must not modify what it returns either.
type Snapshot struct {
	Tenant   string
	Settings storage.TenantSettings
	Keys     *keys.Set
	clients  map[string]*storage.Client
	apis     map[string]*storage.ResourceServer // by identifier
	grants   map[grantKey]*storage.ClientGrant
	hooks    map[string]*storage.Hook // enabled hook by trigger id
	// hmac holds the HS256 signer of each HS256 API, by identifier; one
	// whose secret is unusable maps to nil and its tokens fail.
	hmac map[string]*keys.Signer
}

// ErrNoSigningSecret means an HS256 API has no usable signing_secret.
var ErrNoSigningSecret = errors.New("catalog: HS256 API without a usable signing_secret")

// AccessSigner returns the signer of api's access tokens, as its
// signing_alg says: RS256 (the default) and PS256 with the tenant's current
// RSA key, ES256 and EdDSA with its current P-256 and Ed25519 keys, HS256
// with the API's own signing_secret.
func (s *Snapshot) AccessSigner(api *storage.ResourceServer) (*keys.Signer, error) {
	switch api.SigningAlg {
	case "PS256", keys.AlgES256, keys.AlgEdDSA:
		return s.Keys.SignerFor(api.SigningAlg)
	case "HS256":
		if sg := s.hmac[api.Identifier]; sg != nil {
			return sg, nil
		}
		return nil, fmt.Errorf("%w: %s", ErrNoSigningSecret, api.Identifier)
	}
	return s.Keys.Signer()
}

type grantKey struct{ clientID, audience string }

// Client returns the application with that client_id.
func (s *Snapshot) Client(id string) (*storage.Client, bool) {
	c, ok := s.clients[id]
	return c, ok
}

// API returns the resource server with that identifier (audience).
func (s *Snapshot) API(identifier string) (*storage.ResourceServer, bool) {
	a, ok := s.apis[identifier]
	return a, ok
}

// Grant returns the client grant of clientID for audience.
func (s *Snapshot) Grant(clientID, audience string) (*storage.ClientGrant, bool) {
	g, ok := s.grants[grantKey{clientID, audience}]
	return g, ok
}

// EnabledHook returns the enabled hook of a trigger, if any.
func (s *Snapshot) EnabledHook(trigger string) (*storage.Hook, bool) {
	h, ok := s.hooks[trigger]
	return h, ok
}

func build(tenant string, c storage.Catalog, now time.Time, signers *keys.Signers) (*Snapshot, error) {
	ks, err := keys.NewSetWith(c.SigningKeys, now, signers)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		Tenant:   tenant,
		Settings: c.Settings,
		Keys:     ks,
		clients:  make(map[string]*storage.Client, len(c.Clients)),
		apis:     make(map[string]*storage.ResourceServer, len(c.ResourceServers)),
		grants:   make(map[grantKey]*storage.ClientGrant, len(c.ClientGrants)),
		hooks:    map[string]*storage.Hook{},
		hmac:     map[string]*keys.Signer{},
	}
	for i := range c.Clients {
		s.clients[c.Clients[i].ClientID] = &c.Clients[i]
	}
	for i := range c.ResourceServers {
		rs := &c.ResourceServers[i]
		s.apis[rs.Identifier] = rs
		if rs.SigningAlg == "HS256" {
			// An unusable secret fails that API's tokens, not the whole
			// catalog (the Management API never stores one).
			s.hmac[rs.Identifier], _ = keys.NewHMACSigner([]byte(rs.SigningSecret))
		}
	}
	for i := range c.ClientGrants {
		g := &c.ClientGrants[i]
		s.grants[grantKey{g.ClientID, g.Audience}] = g
	}
	for i := range c.Hooks {
		if h := &c.Hooks[i]; h.Enabled {
			s.hooks[h.TriggerID] = h
		}
	}
	return s, nil
}

// Cache holds the current snapshot of one tenant and keeps it fresh.
type Cache struct {
	store  storage.Storage
	tenant string
	now    func() time.Time
	log    *slog.Logger
	// signers outlives snapshots: it keeps each key's signer (and its
	// OpenSSL copy and self-test) across rebuilds.
	signers *keys.Signers

	current atomic.Pointer[Snapshot]
	// reloadMu serializes rebuilds so a slow older load never replaces a
	// newer snapshot.
	reloadMu sync.Mutex
}

// SafetyRefresh is how often the cache reloads even without notifications:
// a backstop for a missed notification and for retired keys leaving the JWKS.
const SafetyRefresh = time.Minute

// New loads the first snapshot and follows changes until ctx ends. The
// current key signs through signers (nil: crypto/rsa, no cache).
func New(ctx context.Context, store storage.Storage, tenant string, now func() time.Time, log *slog.Logger, signers *keys.Signers) (*Cache, error) {
	c := &Cache{store: store, tenant: tenant, now: now, log: log, signers: signers}
	changes := store.Subscribe(ctx)
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	go c.follow(ctx, changes)
	return c, nil
}

// Snapshot returns the current snapshot.
func (c *Cache) Snapshot() *Snapshot { return c.current.Load() }

// Reload rebuilds the snapshot from storage now.
func (c *Cache) Reload(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	cat, err := c.store.LoadCatalog(ctx, c.tenant)
	if err != nil {
		return fmt.Errorf("catalog: load %s: %w", c.tenant, err)
	}
	s, err := build(c.tenant, cat, c.now(), c.signers)
	if err != nil {
		return fmt.Errorf("catalog: build %s: %w", c.tenant, err)
	}
	c.current.Store(s)
	return nil
}

func (c *Cache) follow(ctx context.Context, changes <-chan storage.Change) {
	tick := time.NewTicker(SafetyRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			if ch.Tenant != c.tenant && ch.Kind != storage.KindResync {
				continue
			}
			// Coalesce a burst of changes into one rebuild.
			drain(changes)
		case <-tick.C:
		}
		if err := c.Reload(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("catalog reload failed; serving the previous snapshot", "err", err)
		}
	}
}

func drain(changes <-chan storage.Change) {
	for {
		select {
		case _, ok := <-changes:
			if !ok {
				return
			}
		default:
			return
		}
	}
}
