package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func sampleKey(tenant, kid, state string, created int) storage.SigningKey {
	since := at(created)
	return storage.SigningKey{
		Tenant:       tenant,
		KID:          kid,
		PrivateKey:   []byte("pkcs8-private-" + kid),
		Cert:         []byte("x509-cert-" + kid),
		State:        state,
		CreatedAt:    at(created),
		CurrentSince: &since,
	}
}

func testSigningKeys(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("first generation, rotation and abort", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		keys, err := s.ListSigningKeys(ctx, "t1")
		mustNil(t, err, "list empty")
		if len(keys) != 0 {
			t.Fatalf("fresh tenant has %d keys", len(keys))
		}
		// Same CreatedAt: the caller's order must be kept.
		first := []storage.SigningKey{sampleKey("t1", "kid-cur", "current", 0), sampleKey("t1", "kid-next", "next", 0)}
		first[1].CurrentSince = nil
		// A non-RSA key family must survive the round trip.
		first[1].Alg = "ES256"
		got, err := s.UpdateSigningKeys(ctx, "t1", func(old []storage.SigningKey) ([]storage.SigningKey, error) {
			if len(old) != 0 {
				t.Fatalf("fn got %d keys on first start", len(old))
			}
			return first, nil
		})
		mustNil(t, err, "generate")
		mustEqual(t, got, first, "returned")
		keys, err = s.ListSigningKeys(ctx, "t1")
		mustNil(t, err, "list")
		mustEqual(t, keys, first, "stored")

		until := at(100)
		rotated := []storage.SigningKey{first[0], first[1], sampleKey("t1", "kid-new", "next", 100)}
		rotated[0].State, rotated[0].CurrentUntil = "previous", &until
		rotated[1].State, rotated[1].CurrentSince = "current", &until
		rotated[2].CurrentSince = nil
		_, err = s.UpdateSigningKeys(ctx, "t1", func(old []storage.SigningKey) ([]storage.SigningKey, error) {
			mustEqual(t, old, first, "fn input")
			return rotated, nil
		})
		mustNil(t, err, "rotate")
		keys, err = s.ListSigningKeys(ctx, "t1")
		mustNil(t, err, "list rotated")
		mustEqual(t, keys, rotated, "rotated")

		_, err = s.UpdateSigningKeys(ctx, "t1", func(old []storage.SigningKey) ([]storage.SigningKey, error) {
			return nil, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		keys, err = s.ListSigningKeys(ctx, "t1")
		mustNil(t, err, "list after abort")
		mustEqual(t, keys, rotated, "after aborted update")

		// Dropping a key from the set deletes it.
		_, err = s.UpdateSigningKeys(ctx, "t1", func(old []storage.SigningKey) ([]storage.SigningKey, error) { return old[1:], nil })
		mustNil(t, err, "drop oldest")
		keys, err = s.ListSigningKeys(ctx, "t1")
		mustNil(t, err, "list after drop")
		mustEqual(t, keys, rotated[1:], "after drop")
	})
	t.Run("oldest first", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.UpdateSigningKeys(ctx, "t1", func([]storage.SigningKey) ([]storage.SigningKey, error) {
			return []storage.SigningKey{sampleKey("t1", "young", "next", 50), sampleKey("t1", "old", "current", 10)}, nil
		})
		mustNil(t, err, "save")
		keys, err := s.ListSigningKeys(ctx, "t1")
		mustNil(t, err, "list")
		if len(keys) != 2 || keys[0].KID != "old" || keys[1].KID != "young" {
			t.Fatalf("order = %v, want old then young", keys)
		}
	})
}
