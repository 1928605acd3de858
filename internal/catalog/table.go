package catalog

import "hash/maphash"

// shardCount splits each large map of a snapshot. A change copies the one
// shard it lands in plus the array of shard pointers, so its cost grows
// with entries/shardCount, not with the tenant: the point of sharding is
// that a write at 50,000 clients costs about what it costs at 500.
const shardCount = 256

var shardSeed = maphash.MakeSeed()

func shardOf(key string) int { return int(maphash.String(shardSeed, key) & (shardCount - 1)) }

// table is an immutable map split into shards by a string (the key itself,
// or for grants the client_id, so one client's grants share a shard).
// Readers never lock: a snapshot's tables are never modified after it is
// published; with returns a new table sharing every untouched shard.
type table[K comparable, V any] struct {
	shards [shardCount]map[K]V
	n      int
}

func (t *table[K, V]) get(shard string, k K) (V, bool) {
	v, ok := t.shards[shardOf(shard)][k]
	return v, ok
}

// put adds to a table that is still being built (not yet published).
func (t *table[K, V]) put(shard string, k K, v V) {
	i := shardOf(shard)
	if t.shards[i] == nil {
		t.shards[i] = map[K]V{}
	}
	if _, ok := t.shards[i][k]; !ok {
		t.n++
	}
	t.shards[i][k] = v
}

// with returns a copy of t in which the shard of shard was replaced by a
// copy that edit changed; t itself is unchanged.
func (t *table[K, V]) with(shard string, edit func(m map[K]V)) *table[K, V] {
	out := new(table[K, V])
	*out = *t
	i := shardOf(shard)
	old := t.shards[i]
	m := make(map[K]V, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	edit(m)
	out.shards[i] = m
	out.n += len(m) - len(old)
	return out
}

// len is the number of entries.
func (t *table[K, V]) len() int { return t.n }
