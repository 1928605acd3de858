package actions

import (
	"sync"
	"time"
)

// api.cache limits (compat-spec §7). The JS glue enforces them from the
// CacheLimits it is given; Apply enforces them again, since executions
// that ran at the same time each saw room for their own writes.
const (
	CacheEntries     = 20
	CacheKeyBytes    = 64
	CacheValueBytes  = 4 * 1024
	CacheTotalBytes  = 8 * 1024
	CacheDefaultTTL  = 15 * time.Minute
	CacheMaxTTL      = 24 * time.Hour
	CacheSideEffects = 20
)

// cacheLimits is how the limits reach the JS glue (state.cache_limits).
type cacheLimits struct {
	Entries     int   `json:"entries"`
	KeyBytes    int   `json:"key_bytes"`
	ValueBytes  int   `json:"value_bytes"`
	TotalBytes  int   `json:"total_bytes"`
	DefaultTTL  int64 `json:"default_ttl"`
	MaxTTL      int64 `json:"max_ttl"`
	SideEffects int   `json:"side_effects"`
}

var limits = cacheLimits{Entries: CacheEntries, KeyBytes: CacheKeyBytes, ValueBytes: CacheValueBytes,
	TotalBytes: CacheTotalBytes, DefaultTTL: CacheDefaultTTL.Milliseconds(), MaxTTL: CacheMaxTTL.Milliseconds(),
	SideEffects: CacheSideEffects}

// CacheRecord is one api.cache entry as the code sees it.
type CacheRecord struct {
	Value     string `json:"value"`
	ExpiresAt int64  `json:"expires_at"` // epoch ms
}

// cacheOp is one write an execution made: "set" or "delete".
type cacheOp struct {
	Op        string `json:"op"`
	Key       string `json:"key"`
	Value     string `json:"value,omitempty"`
	ExpiresAt int64  `json:"expires_at,omitempty"`
}

// Cache is api.cache of every trigger of this server: in memory, one
// store per tenant and trigger, not shared between replicas. Executions
// get a snapshot and their writes are applied after they end, so the
// runtimes stay stateless.
type Cache struct {
	mu     sync.Mutex
	stores map[string]map[string]CacheRecord
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{stores: map[string]map[string]CacheRecord{}} }

func cacheKey(tenant, trigger string) string { return tenant + "\x00" + trigger }

// Snapshot returns the live records of a trigger at now (nil when none),
// dropping expired ones.
func (c *Cache) Snapshot(tenant, trigger string, now time.Time) map[string]CacheRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stores[cacheKey(tenant, trigger)]
	if len(st) == 0 {
		return nil
	}
	ms := now.UnixMilli()
	out := make(map[string]CacheRecord, len(st))
	for k, r := range st {
		if r.ExpiresAt <= ms {
			delete(st, k)
			continue
		}
		out[k] = r
	}
	return out
}

// apply makes an execution's writes, within the limits at this moment: a
// set that would break them is dropped (the code was told success from
// its snapshot; another execution took the room first).
func (c *Cache) apply(tenant, trigger string, ops []cacheOp, now time.Time) {
	if len(ops) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := cacheKey(tenant, trigger)
	st := c.stores[key]
	if st == nil {
		st = map[string]CacheRecord{}
		c.stores[key] = st
	}
	ms := now.UnixMilli()
	for _, op := range ops {
		switch op.Op {
		case "delete":
			delete(st, op.Key)
		case "set":
			if len(op.Key) > CacheKeyBytes || len(op.Value) > CacheValueBytes || op.ExpiresAt <= ms ||
				op.ExpiresAt > ms+CacheMaxTTL.Milliseconds() {
				continue
			}
			count, total := 1, len(op.Key)+len(op.Value)
			for k, r := range st {
				if r.ExpiresAt <= ms {
					delete(st, k)
					continue
				}
				if k != op.Key {
					count++
					total += len(k) + len(r.Value)
				}
			}
			if count > CacheEntries || total > CacheTotalBytes {
				continue
			}
			st[op.Key] = CacheRecord{Value: op.Value, ExpiresAt: op.ExpiresAt}
		}
	}
}
