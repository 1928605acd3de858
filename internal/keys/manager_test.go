package keys_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// failingReader is a random source that fails: generating any key reads
// from it (at least for its serial number), so a call that succeeds with
// it and counted no read generated nothing.
type failingReader struct{ reads int }

func (f *failingReader) Read([]byte) (int, error) {
	f.reads++
	return 0, errors.New("no randomness here")
}

func TestCompleteTable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	full, _, err := keys.Ensure(nil, nil, t0, "t")
	if err != nil {
		t.Fatal(err)
	}
	withState := func(set []storage.SigningKey, state string) []storage.SigningKey {
		out := []storage.SigningKey{}
		for _, k := range set {
			if k.State != state {
				out = append(out, k)
			}
		}
		return out
	}
	ec, _, err := keys.EnsureAlg(full, keys.AlgES256, nil, t0, "t")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		set  []storage.SigningKey
		alg  string
		want bool
	}{
		{"new tenant", nil, "", false},
		{"RSA pair", full, "", true},
		{"no next key", withState(full, keys.StateNext), "", false},
		{"no current key", withState(full, keys.StateCurrent), "", false},
		{"RSA pair, ES256 asked for", full, keys.AlgES256, false},
		{"RSA and ES256 pairs", ec, keys.AlgES256, true},
		{"ES256 present, EdDSA asked for", ec, keys.AlgEdDSA, false},
	}
	for _, c := range cases {
		if got := keys.Complete(c.set, c.alg); got != c.want {
			t.Errorf("%s: Complete = %v, want %v", c.name, got, c.want)
		}
		// Complete agrees with what Ensure would do.
		var changed bool
		if c.alg == "" {
			_, changed, err = keys.Ensure(append([]storage.SigningKey(nil), c.set...), nil, t0, "t")
		} else {
			_, changed, err = keys.EnsureAlg(append([]storage.SigningKey(nil), c.set...), c.alg, nil, t0, "t")
		}
		if err != nil || changed == c.want {
			t.Errorf("%s: Ensure changed=%v err=%v, Complete=%v", c.name, changed, err, c.want)
		}
	}
}

// TestManagerGeneratesOnlyWhatIsMissing: on a tenant whose keys are all
// there, Ensure and EnsureAlg generate nothing (a random source that fails
// is never read), and a first start stores exactly the RSA pair.
func TestManagerGeneratesOnlyWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlitetest.Path(t, "keys.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	m := &keys.Manager{Store: store, Tenant: "t", Now: now}
	if err := m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := store.ListSigningKeys(ctx, "t")
	if err != nil || len(first) != 2 {
		t.Fatalf("first start: %d keys, %v", len(first), err)
	}
	dry := &failingReader{}
	m.Rand = dry
	if err := m.Ensure(ctx); err != nil {
		t.Fatalf("second start generated a key: %v", err)
	}
	if dry.reads != 0 {
		t.Fatalf("second start read %d times from the random source", dry.reads)
	}
	if err := m.EnsureAlg(ctx, keys.AlgRS256); err != nil {
		t.Fatalf("EnsureAlg of a complete family: %v", err)
	}
	if err := m.EnsureAlg(ctx, keys.AlgES256); err == nil {
		t.Fatal("EnsureAlg of a missing family generated nothing")
	}
	m.Rand = nil
	if err := m.EnsureAlg(ctx, keys.AlgES256); err != nil {
		t.Fatal(err)
	}
	after, err := store.ListSigningKeys(ctx, "t")
	if err != nil || len(after) != 4 {
		t.Fatalf("after EnsureAlg: %d keys, %v", len(after), err)
	}
	dry = &failingReader{}
	m.Rand = dry
	if err := m.Ensure(ctx); err != nil || dry.reads != 0 {
		t.Fatalf("Ensure with the ES256 pair present: %v, %d reads", err, dry.reads)
	}
}
