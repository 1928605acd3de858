package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

const (
	adminID     = "adminclient0000000000000000000x"
	adminSecret = "admin-secret-for-tests-only-000000000000"
)

// instance is the whole server in process (every route, real storage,
// real tokens), on SQLite or PostgreSQL.
type instance struct {
	t       testing.TB
	backend string
	srv     *server.Server
	h       http.Handler
	cfg     config.Config
	token   string // a Management API token with every scope
	dsn     string // PostgreSQL only
}

// postgresDSN is the server CI guarantees; TOKENHOOK_TEST_POSTGRES_DSN
// points the tests elsewhere.
func postgresDSN() string {
	if dsn := os.Getenv("TOKENHOOK_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// freshSchema returns a DSN selecting a new schema, dropped when tb ends.
// TOKENHOOK_SKIP_POSTGRES=1 skips; an unreachable server fails.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	if os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" {
		tb.Skip("TOKENHOOK_SKIP_POSTGRES=1")
	}
	if testing.Short() {
		tb.Skip("-short: PostgreSQL runs in make test")
	}
	admin, err := sql.Open("pgx", postgresDSN())
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "tokenhook_server_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		tb.Fatalf("postgres at %s (set TOKENHOOK_SKIP_POSTGRES=1 to skip): %v", postgresDSN(), err)
	}
	tb.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, _ := url.Parse(postgresDSN())
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// start runs a server on backend ("sqlite" or "postgres").
func start(tb testing.TB, backend string) *instance {
	tb.Helper()
	cfg := config.Default()
	cfg.DataDir = tb.TempDir()
	cfg.HookIsolation = "none"
	cfg.BcryptCost = 4
	cfg.HookTimeout = 2 * time.Second
	cfg.AdminClientID, cfg.AdminClientSecret = adminID, adminSecret
	in := &instance{t: tb, backend: backend}
	if backend == "postgres" {
		in.dsn = freshSchema(tb)
		cfg.DB = in.dsn
	}
	servertest.SeedKeys(tb, cfg)
	s, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	in.srv, in.h, in.cfg = s, s.Handler(), cfg
	r := in.do("POST", "/oauth/token", "application/json", mustJSON(map[string]string{
		"grant_type": "client_credentials", "client_id": adminID, "client_secret": adminSecret,
		"audience": cfg.ResolvedIssuer() + "api/v2/",
	}), nil)
	if r.Code != 200 {
		tb.Fatalf("admin token: %d %s", r.Code, r.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(r.Body.Bytes(), &tok)
	in.token = tok.AccessToken
	return in
}

// both runs f on a server on each backend.
func both(t *testing.T, f func(t *testing.T, in *instance)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { f(t, start(t, b)) })
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// do sends a request to the handler, as built by the server.
func (in *instance) do(method, target, ctype, body string, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	in.h.ServeHTTP(w, r)
	return w
}

// api sends a Management API request with the admin token.
func (in *instance) api(method, path, body string) *httptest.ResponseRecorder {
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return in.do(method, "/api/v2"+path, ct, body, http.Header{"Authorization": {"Bearer " + in.token}})
}

// raw parses a request as the server reads it off the wire and serves it:
// ok is false when net/http itself refuses it (a 400 before any handler).
func (in *instance) raw(wire string) (*httptest.ResponseRecorder, bool) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(wire)))
	if err != nil {
		return nil, false
	}
	r.RemoteAddr = "192.0.2.10:40000"
	w := httptest.NewRecorder()
	in.h.ServeHTTP(w, r)
	return w, true
}

// auth0Error checks an Auth0 Management API error body.
func auth0Error(t testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body not JSON: %s", w.Body)
	}
	if len(body) != 4 || body["statusCode"] != float64(status) || body["error"] != http.StatusText(status) ||
		body["errorCode"] != code || body["message"] == "" {
		t.Fatalf("error body %s, want Auth0's shape with statusCode %d errorCode %q", w.Body, status, code)
	}
}

var _ = bytes.NewReader
