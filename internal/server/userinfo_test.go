package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
	"github.com/tokenhook/tokenhook/internal/token"
	"github.com/tokenhook/tokenhook/internal/userinfo"
)

// TestUserinfoErrorsAreJSON: every failure of /userinfo, not only the token
// challenges, is a JSON body in the {"error","error_description"} shape:
// a wrong method (405) and a storage failure (500, with the store really
// closed under the handler).
func TestUserinfoErrorsAreJSON(t *testing.T) {
	t.Parallel()
	const issuer = "https://acme.test/"
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	sealer, _ := seal.New(bytes.Repeat([]byte{5}, 32))
	store, err := sqlstore.Open(ctx, sqlitetest.Path(t, "u.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	km := &keys.Manager{Store: store, Tenant: "t", Rand: rand.Reader, Now: func() time.Time { return now }}
	if err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := store.ListSigningKeys(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	set, err := keys.NewSet(list, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, storage.User{Tenant: "t", UserID: "auth0|u1", Connection: storage.DatabaseConnection,
		Email: "u@example.com", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	signer, err := set.Signer()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := token.MintAccess(signer, token.Access{Issuer: issuer, Subject: "auth0|u1", Audience: []string{issuer + "userinfo"},
		ClientID: "c", Scope: "openid email", GrantType: token.GrantTypePassword, IssuedAt: now, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	h := &userinfo.Handler{Issuer: issuer, Tenant: "t", Users: store, Log: slog.New(slog.DiscardHandler),
		Verifier: &token.JWTVerifier{Issuer: issuer, Now: func() time.Time { return now }, Keys: func() *keys.Set { return set }}}
	srv := httptest.NewServer(h)
	defer srv.Close()

	call := func(method string) (int, map[string]any, string) {
		req, _ := http.NewRequest(method, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %d, body is not JSON: %q", method, res.StatusCode, b)
		}
		return res.StatusCode, m, res.Header.Get("Content-Type")
	}
	if code, _, _ := call("GET"); code != 200 {
		t.Fatalf("GET with a good token: %d", code)
	}
	if code, m, ct := call("DELETE"); code != 405 || m["error"] != "invalid_request" || ct != "application/json; charset=utf-8" {
		t.Fatalf("DELETE: %d %v %q", code, m, ct)
	}
	store.Close()
	if code, m, _ := call("GET"); code != 500 || m["error"] != "server_error" {
		t.Fatalf("storage failure: %d %v", code, m)
	}
}
