package sqlstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// TestSQLiteFileHoldsNoPlainSecret writes every kind of secret, closes the
// store and greps the database files for them. It also greps for a
// non-secret marker, which must be found: otherwise the grep proves nothing.
func TestSQLiteFileHoldsNoPlainSecret(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "secrets.db")
	s, err := Open(ctx, path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		"CLIENT-SECRET-zq8Wx3LmT9",
		"PRIVATE-KEY-BYTES-pK4vN7rQ",
		"HOOK-SECRET-VALUE-hS2jD6fY",
		"API-SIGNING-SECRET-aB5cE8gH",
		"$2a$10$USER-PASSWORD-HASH-uP7wQ",
		"$2a$10$OPERATOR-PASSWORD-HASH-oP3z",
		"ACTION-DRAFT-SECRET-dR4ft9Qx",
		"ACTION-VERSION-SECRET-vE7sN2Lk",
		"ACTION_SECRET_NAME_nM5eQ1",
	}
	const marker = "VISIBLE-CLIENT-NAME-mK1nO3"
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: "c", Secret: secrets[0], Name: marker, CreatedAt: now}))
	_, err = s.UpdateSigningKeys(ctx, "t", func([]storage.SigningKey) ([]storage.SigningKey, error) {
		return []storage.SigningKey{{KID: "k", PrivateKey: []byte(secrets[1]), State: "current", CreatedAt: now}}, nil
	})
	must(err)
	must(s.CreateHook(ctx, storage.Hook{Tenant: "t", ID: "h", Name: "n", TriggerID: "credentials-exchange",
		Secrets: map[string]string{"TOKEN": secrets[2]}, CreatedAt: now}))
	must(s.CreateResourceServer(ctx, storage.ResourceServer{Tenant: "t", ID: "rs", Identifier: "https://a",
		SigningAlg: "HS256", SigningSecret: secrets[3], CreatedAt: now}))
	must(s.CreateUser(ctx, storage.User{Tenant: "t", UserID: "auth0|u", Connection: storage.DatabaseConnection,
		Email: "u@example.com", PasswordHash: secrets[4], CreatedAt: now}))
	must(s.CreateOperator(ctx, storage.Operator{Tenant: "t", ID: "op", Email: "op@example.com", PasswordHash: secrets[5], CreatedAt: now, UpdatedAt: now}))
	must(s.CreateAction(ctx, storage.Action{Tenant: "t", ID: "act", Name: "a", CreatedAt: now,
		Secrets: []storage.ActionSecret{{Name: secrets[8], Value: secrets[6], UpdatedAt: now}}}))
	_, err = s.DeployAction(ctx, "t", "act", func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
		return storage.ActionVersion{ID: "ver", Secrets: []storage.ActionSecret{{Name: "V", Value: secrets[7]}}, CreatedAt: now}, a, nil
	})
	must(err)
	_, err = s.UpdateAction(ctx, "t", "act", func(a storage.Action) (storage.Action, error) { return a, nil })
	must(err)
	// Updates re-seal; check they too stay sealed.
	_, err = s.UpdateClient(ctx, "t", "c", func(c storage.Client) (storage.Client, error) { return c, nil })
	must(err)
	_, err = s.UpdateUser(ctx, "t", "auth0|u", func(u storage.User) (storage.User, error) { return u, nil })
	must(err)
	_, err = s.UpdateOperator(ctx, "t", "op", func(o storage.Operator) (storage.Operator, error) { return o, nil })
	must(err)

	// Read while still open, so the WAL (which Close may fold away) is checked too.
	seen := readDBFiles(t, path)
	must(s.Close())
	seen = append(seen, readDBFiles(t, path)...)

	all := bytes.Join(seen, nil)
	if !bytes.Contains(all, []byte(marker)) {
		t.Fatal("the non-secret marker is not in the files: the check reads the wrong bytes")
	}
	for _, secret := range secrets {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("plain secret %q found in the database files", secret)
		}
	}
}

func readDBFiles(t *testing.T, path string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestSealedSecretsAreBoundToKeyAndRow checks that a sealed value neither
// opens under another master key nor after being copied to another row.
func TestSealedSecretsAreBoundToKeyAndRow(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "bound.db")
	s, err := Open(ctx, path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := s.CreateClient(ctx, storage.Client{Tenant: "t", ClientID: id, Secret: "secret-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.writer.ExecContext(ctx,
		"UPDATE clients SET secret_sealed = (SELECT secret_sealed FROM clients WHERE client_id = 'a') WHERE client_id = 'b'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClient(ctx, "t", "b"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("secret copied from another row: got %v, want seal.ErrOpen", err)
	}
	if c, err := s.GetClient(ctx, "t", "a"); err != nil || c.Secret != "secret-a" {
		t.Fatalf("untouched row: %+v, %v", c, err)
	}
	s.Close()

	other, err := seal.New(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path, other)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.GetClient(ctx, "t", "a"); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("wrong master key: got %v, want seal.ErrOpen", err)
	}
}
