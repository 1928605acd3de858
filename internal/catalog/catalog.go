package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Snapshot is one consistent view of a tenant's catalog. Never modified
// after it is published; callers must not modify what it returns either.
// A change makes a new Snapshot that shares everything it did not touch.
type Snapshot struct {
	Tenant   string
	Settings storage.TenantSettings
	Keys     *keys.Set
	// Seq is the last catalog change (storage.Change.Seq) this snapshot
	// includes.
	Seq int64

	clients *table[string, *storage.Client]
	apis    *table[string, api] // by identifier
	// grants are sharded by client_id, so a client's grants are re-read
	// and replaced within one shard.
	grants *table[grantKey, *storage.ClientGrant]
	hooks  map[string]*storage.Hook // enabled hook by trigger id
	// boundActions are the Actions each trigger runs, in binding order.
	boundActions map[string][]storage.BoundAction
	// signingKeys are the stored keys Keys was made from, kept to remake
	// Keys as time moves keys between states.
	signingKeys []storage.SigningKey
}

// api is a resource server with its HS256 signer, if it is an HS256 API;
// one whose secret is unusable has none and its tokens fail.
type api struct {
	rs   *storage.ResourceServer
	hmac *keys.Signer
	// scopes are the values of rs.Scopes, made once so a grant with
	// allow_all_scopes costs no allocation per token.
	scopes []string
}

func newAPI(rs *storage.ResourceServer) api {
	a := api{rs: rs, scopes: make([]string, len(rs.Scopes))}
	for i, sc := range rs.Scopes {
		a.scopes[i] = sc.Value
	}
	if rs.SigningAlg == "HS256" {
		// An unusable secret fails that API's tokens, not the whole
		// catalog (the Management API never stores one).
		a.hmac, _ = keys.NewHMACSigner([]byte(rs.SigningSecret))
	}
	return a
}

// ErrNoSigningSecret means an HS256 API has no usable signing_secret.
var ErrNoSigningSecret = errors.New("catalog: HS256 API without a usable signing_secret")

// AccessSigner returns the signer of api's access tokens, as its
// signing_alg says: RS256 (the default) and PS256 with the tenant's current
// RSA key, ES256 and EdDSA with its current P-256 and Ed25519 keys, HS256
// with the API's own signing_secret.
func (s *Snapshot) AccessSigner(rs *storage.ResourceServer) (*keys.Signer, error) {
	switch rs.SigningAlg {
	case "PS256", keys.AlgES256, keys.AlgEdDSA:
		return s.Keys.SignerFor(rs.SigningAlg)
	case "HS256":
		if a, ok := s.apis.get(rs.Identifier, rs.Identifier); ok && a.hmac != nil {
			return a.hmac, nil
		}
		return nil, fmt.Errorf("%w: %s", ErrNoSigningSecret, rs.Identifier)
	}
	return s.Keys.Signer()
}

type grantKey struct{ clientID, audience string }

// Client returns the application with that client_id.
func (s *Snapshot) Client(id string) (*storage.Client, bool) {
	return s.clients.get(id, id)
}

// API returns the resource server with that identifier (audience).
func (s *Snapshot) API(identifier string) (*storage.ResourceServer, bool) {
	a, ok := s.apis.get(identifier, identifier)
	return a.rs, ok
}

// Grant returns the client grant of clientID for audience.
func (s *Snapshot) Grant(clientID, audience string) (*storage.ClientGrant, bool) {
	return s.grants.get(clientID, grantKey{clientID, audience})
}

// GrantedScopes returns the scopes g grants: the API's scopes as this
// snapshot has them when g allows all scopes (so a scope added to the API
// later is granted too), else g's own. The slice is the snapshot's own:
// callers must not modify it.
func (s *Snapshot) GrantedScopes(g *storage.ClientGrant) []string {
	if g.AllowAllScopes == nil || !*g.AllowAllScopes {
		return g.Scope
	}
	a, _ := s.apis.get(g.Audience, g.Audience)
	return a.scopes
}

// EnabledHook returns the enabled hook of a trigger, if any.
func (s *Snapshot) EnabledHook(trigger string) (*storage.Hook, bool) {
	h, ok := s.hooks[trigger]
	return h, ok
}

// BoundActions returns the Actions a trigger runs (deployed versions of
// its bindings), in execution order; nil when it runs none. The slice is
// the snapshot's own: callers must not modify it.
func (s *Snapshot) BoundActions(trigger string) []storage.BoundAction {
	return s.boundActions[trigger]
}

// Counts says how many clients, APIs and grants the snapshot holds.
func (s *Snapshot) Counts() (clients, apis, grants int) {
	return s.clients.len(), s.apis.len(), s.grants.len()
}

func build(tenant string, c storage.Catalog, now time.Time, signers *keys.Signers) (*Snapshot, error) {
	ks, err := keys.NewSetWith(c.SigningKeys, now, signers)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		Tenant:      tenant,
		Settings:    c.Settings,
		Keys:        ks,
		Seq:         c.Seq,
		clients:     &table[string, *storage.Client]{},
		apis:        &table[string, api]{},
		grants:      &table[grantKey, *storage.ClientGrant]{},
		hooks:       enabledHooks(c.Hooks),
		signingKeys: c.SigningKeys,
	}
	s.boundActions = byTrigger(c.BoundActions)
	for i := range c.Clients {
		s.clients.put(c.Clients[i].ClientID, c.Clients[i].ClientID, &c.Clients[i])
	}
	for i := range c.ResourceServers {
		rs := &c.ResourceServers[i]
		s.apis.put(rs.Identifier, rs.Identifier, newAPI(rs))
	}
	for i := range c.ClientGrants {
		g := &c.ClientGrants[i]
		s.grants.put(g.ClientID, grantKey{g.ClientID, g.Audience}, g)
	}
	return s, nil
}

func enabledHooks(list []storage.Hook) map[string]*storage.Hook {
	out := map[string]*storage.Hook{}
	for i := range list {
		if h := &list[i]; h.Enabled {
			out[h.TriggerID] = h
		}
	}
	return out
}

// byTrigger groups bound Actions by trigger, keeping their order. Each
// slice is clipped to its length, so a caller's append copies instead of
// writing into the snapshot's array.
func byTrigger(list []storage.BoundAction) map[string][]storage.BoundAction {
	out := map[string][]storage.BoundAction{}
	for _, ba := range list {
		out[ba.Binding.TriggerID] = append(out[ba.Binding.TriggerID], ba)
	}
	for trigger, l := range out {
		out[trigger] = slices.Clip(l)
	}
	return out
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
	// mu serializes rebuilds and applied changes, so each starts from the
	// snapshot the previous one published.
	mu sync.Mutex

	rebuilds, reads atomic.Int64
	// published is closed and replaced each time a snapshot is published,
	// waking WaitFor.
	pubMu     sync.Mutex
	published chan struct{}
}

// publish makes s the current snapshot and wakes WaitFor callers.
func (c *Cache) publish(s *Snapshot) {
	c.current.Store(s)
	c.pubMu.Lock()
	close(c.published)
	c.published = make(chan struct{})
	c.pubMu.Unlock()
}

// WaitFor blocks until the snapshot includes the catalog change seq (see
// Snapshot.Seq) or ctx ends.
func (c *Cache) WaitFor(ctx context.Context, seq int64) error {
	for {
		c.pubMu.Lock()
		next := c.published
		c.pubMu.Unlock()
		if c.Snapshot().Seq >= seq {
			return nil
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SafetyRefresh is how often the cache checks storage even without
// notifications: a backstop for a missed notification, and when retired
// keys leave the JWKS. The check reads only the change log's position
// unless something was missed.
const SafetyRefresh = time.Minute

// catchUpLimit is how far behind the change log a cache may be and still
// apply changes one by one; further behind, one whole rebuild is cheaper.
const catchUpLimit = 2000

// New loads the first snapshot and follows changes until ctx ends. The
// current key signs through signers (nil: crypto/rsa, no cache).
func New(ctx context.Context, store storage.Storage, tenant string, now func() time.Time, log *slog.Logger, signers *keys.Signers) (*Cache, error) {
	c := &Cache{store: store, tenant: tenant, now: now, log: log, signers: signers, published: make(chan struct{})}
	changes := store.Subscribe(ctx)
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	go c.follow(ctx, changes)
	return c, nil
}

// Snapshot returns the current snapshot.
func (c *Cache) Snapshot() *Snapshot { return c.current.Load() }

// Stats counts the cache's work since it started: whole rebuilds, and
// reads of storage of any kind (rebuilds, change-log reads, re-reads of
// changed records).
type Stats struct{ Rebuilds, Reads int64 }

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	return Stats{Rebuilds: c.rebuilds.Load(), Reads: c.reads.Load()}
}

// Reload rebuilds the snapshot whole from storage now.
func (c *Cache) Reload(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rebuild(ctx)
}

func (c *Cache) rebuild(ctx context.Context) error {
	c.rebuilds.Add(1)
	c.reads.Add(1)
	cat, err := c.store.LoadCatalog(ctx, c.tenant)
	if err != nil {
		return fmt.Errorf("catalog: load %s: %w", c.tenant, err)
	}
	s, err := build(c.tenant, cat, c.now(), c.signers)
	if err != nil {
		return fmt.Errorf("catalog: build %s: %w", c.tenant, err)
	}
	c.publish(s)
	return nil
}

// Sync brings the snapshot up to every catalog change this process has
// committed, so a client that changed something and then asks for a token
// sees its own write. When nothing was committed since the snapshot (a
// read, a failed write, a write outside the catalog) it returns at once
// without touching storage.
func (c *Cache) Sync(ctx context.Context) error {
	if c.store.CommittedCatalogSeq(c.tenant) <= c.Snapshot().Seq {
		return nil
	}
	return c.CatchUp(ctx)
}

// CatchUp applies every change recorded in storage's change log after the
// snapshot, rebuilding whole only when the log no longer reaches back to
// it.
func (c *Cache) CatchUp(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.catchUp(ctx)
}

func (c *Cache) catchUp(ctx context.Context) error {
	for {
		cur := c.Snapshot()
		c.reads.Add(1)
		changes, latest, err := c.store.CatalogChanges(ctx, c.tenant, cur.Seq, catchUpLimit)
		if err != nil {
			return fmt.Errorf("catalog: changes of %s: %w", c.tenant, err)
		}
		switch {
		case latest == cur.Seq:
			return nil
		case latest < cur.Seq, // the database was replaced by an older one
			latest-cur.Seq > catchUpLimit,
			len(changes) == 0 || changes[0].Seq != cur.Seq+1: // pruned from the log
			return c.rebuild(ctx)
		}
		if err := c.apply(ctx, changes); err != nil {
			return err
		}
		if c.Snapshot().Seq >= latest {
			return nil
		}
	}
}

// apply re-reads the records the changes name and publishes a snapshot
// that differs from the current one in those only. changes must follow
// the snapshot without a gap. A change that names no record of a kind
// read by key (a bulk write) rebuilds whole.
func (c *Cache) apply(ctx context.Context, changes []storage.Change) error {
	s := *c.Snapshot()
	// Every record is read now, after all the changes committed, so each
	// is read once however many of the changes name it.
	type rec struct{ kind, key string }
	done := map[rec]bool{}
	for _, ch := range changes {
		r := rec{ch.Kind, ch.Key}
		if ch.Kind == "client_grants" {
			r.kind = "clients" // one re-read covers a client and its grants
		}
		if done[r] {
			continue
		}
		done[r] = true
		var err error
		switch ch.Kind {
		case "clients", "client_grants":
			if ch.Key == "" {
				return c.rebuild(ctx)
			}
			err = c.refreshClient(ctx, &s, ch.Key)
		case "resource_servers":
			if ch.Key == "" {
				return c.rebuild(ctx)
			}
			err = c.refreshAPI(ctx, &s, ch.Key)
		case "hooks":
			c.reads.Add(1)
			enabled := true
			var list []storage.Hook
			list, _, err = c.store.ListHooks(ctx, c.tenant, storage.HookFilter{Enabled: &enabled}, storage.Page{})
			s.hooks = enabledHooks(list)
		case "actions":
			c.reads.Add(1)
			var list []storage.BoundAction
			if list, err = c.store.ListBoundActions(ctx, c.tenant); err == nil {
				s.boundActions = byTrigger(list)
			}
		case "settings":
			c.reads.Add(1)
			s.Settings, err = c.store.GetTenantSettings(ctx, c.tenant)
		case "signing_keys":
			c.reads.Add(1)
			var list []storage.SigningKey
			if list, err = c.store.ListSigningKeys(ctx, c.tenant); err == nil {
				var ks *keys.Set
				if ks, err = keys.NewSetWith(list, c.now(), c.signers); err == nil {
					s.Keys, s.signingKeys = ks, list
				}
			}
		default:
			// A kind this version does not know (a newer replica wrote
			// it): read everything.
			return c.rebuild(ctx)
		}
		if err != nil {
			return fmt.Errorf("catalog: apply %s %q: %w", ch.Kind, ch.Key, err)
		}
	}
	s.Seq = changes[len(changes)-1].Seq
	c.publish(&s)
	return nil
}

// refreshClient re-reads one client and its grants into s.
func (c *Cache) refreshClient(ctx context.Context, s *Snapshot, clientID string) error {
	c.reads.Add(2)
	cl, err := c.store.GetClient(ctx, c.tenant, clientID)
	found := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	grants, _, err := c.store.ListClientGrants(ctx, c.tenant, storage.GrantFilter{ClientID: clientID}, storage.Page{})
	if err != nil {
		return err
	}
	s.clients = s.clients.with(clientID, func(m map[string]*storage.Client) {
		if found {
			m[clientID] = &cl
		} else {
			delete(m, clientID)
		}
	})
	s.grants = s.grants.with(clientID, func(m map[grantKey]*storage.ClientGrant) {
		for k := range m {
			if k.clientID == clientID {
				delete(m, k)
			}
		}
		for i := range grants {
			g := &grants[i]
			m[grantKey{g.ClientID, g.Audience}] = g
		}
	})
	return nil
}

// refreshAPI re-reads one API into s, by identifier.
func (c *Cache) refreshAPI(ctx context.Context, s *Snapshot, identifier string) error {
	c.reads.Add(1)
	rs, err := c.store.GetResourceServer(ctx, c.tenant, identifier)
	found := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	// GetResourceServer also matches ids: an id that happens to equal
	// another API's identifier must not stand in for it.
	if found && rs.Identifier != identifier {
		found = false
	}
	s.apis = s.apis.with(identifier, func(m map[string]api) {
		if found {
			m[identifier] = newAPI(&rs)
		} else {
			delete(m, identifier)
		}
	})
	return nil
}

// refreshKeys remakes the key set from the stored keys at the current
// time: keys move between states (next, current, previous, gone from the
// JWKS) as time passes, without a write.
func (c *Cache) refreshKeys() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.Snapshot()
	ks, err := keys.NewSetWith(cur.signingKeys, c.now(), c.signers)
	if err != nil {
		return err
	}
	s := *cur
	s.Keys = ks
	c.publish(&s)
	return nil
}

func (c *Cache) follow(ctx context.Context, changes <-chan storage.Change) {
	tick := time.NewTicker(SafetyRefresh)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			err = c.notified(ctx, append([]storage.Change{ch}, drain(changes)...))
		case <-tick.C:
			if err = c.CatchUp(ctx); err == nil {
				err = c.refreshKeys()
			}
		}
		if err != nil && ctx.Err() == nil {
			c.log.Error("catalog update failed; serving the previous snapshot", "err", err)
		}
	}
}

// notified applies a burst of notifications. Changes of this tenant that
// follow the snapshot without a gap are applied straight from the
// notifications; a gap (a change not heard, or heard out of order) or a
// resync reads the change log instead.
func (c *Cache) notified(ctx context.Context, batch []storage.Change) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := c.Snapshot().Seq
	var mine []storage.Change
	for _, ch := range batch {
		if ch.Kind == storage.KindResync {
			return c.catchUp(ctx)
		}
		if ch.Tenant == c.tenant && ch.Seq == 0 {
			// From a writer that keeps no change log (an older version
			// mid-upgrade): nothing to catch up from.
			return c.rebuild(ctx)
		}
		if ch.Tenant == c.tenant && ch.Seq > seq {
			mine = append(mine, ch)
		}
	}
	if len(mine) == 0 {
		return nil // already applied (this process's own writes, by Sync)
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].Seq < mine[j].Seq })
	for i, ch := range mine {
		if ch.Seq != seq+int64(i)+1 {
			return c.catchUp(ctx)
		}
	}
	return c.apply(ctx, mine)
}

func drain(changes <-chan storage.Change) []storage.Change {
	var out []storage.Change
	for {
		select {
		case ch, ok := <-changes:
			if !ok {
				return out
			}
			out = append(out, ch)
		default:
			return out
		}
	}
}
