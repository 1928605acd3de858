package mgmt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/noderun"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/npm"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
	"github.com/tokenhook/tokenhook/internal/token"
)

const (
	tenant = "acme"
	issuer = "https://acme.test/"
)

// testNow is the fixed clock of every test: tokens, keys and records are
// dated by it, never by the wall clock.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// env is the real API over real HTTP on a real SQLite store, with real
// RS256 keys and tokens from the keys and token packages.
type env struct {
	t     *testing.T
	store *sqlstore.Store
	srv   *httptest.Server
	// sysID is the id of the system API record.
	sysID string
	// logs is what the API logged.
	logs *syncBuffer
	// frozen, when set, is the key set the verifier uses instead of
	// reading the store (for tests that break the store).
	frozen *keys.Set
	// hookLogs is the hub the hooks runner publishes console lines to.
	hookLogs *hooks.LogHub
	// trees installs hook dependencies (real npm).
	trees *npm.Trees
	// api is the API under test (for waiting on its background builds).
	api *mgmt.API

	// cacheMu guards the parsed key set and the minted tokens, reused
	// while the stored keys stay the same: parsing a key set and signing
	// a token cost an RSA private-key operation each, and every request
	// needs both. A change to the stored keys (rotation, revocation, a
	// new family) changes keysSeen and starts afresh.
	cacheMu  sync.Mutex
	keysSeen string
	parsed   *keys.Set
	tokens   map[string]string // scopes → token, for mint without mods
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// testNPMCache is npm's download cache, shared by every test run (npm's
// cache is content-addressed and safe to share), so only a first run
// fetches tarballs from the registry.
var testNPMCache = filepath.Join(os.TempDir(), "tokenhook-test-npm-cache")

// newEnvWith builds the env; edit, when set, adjusts the API's
// dependencies before it is built.
func newEnvWith(t *testing.T, edit func(*mgmt.Deps)) *env {
	t.Helper()
	ctx := context.Background()
	sealer, err := seal.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlitetest.Path(t, "mgmt.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := func() time.Time { return testNow }
	// Every env starts from the same generated RSA pair (generating one
	// costs seconds of CPU on a loaded machine); the tests that rotate or
	// add keys change only their own store.
	shared := sharedKeys(t)
	if _, err := store.UpdateSigningKeys(ctx, tenant, func([]storage.SigningKey) ([]storage.SigningKey, error) {
		return append([]storage.SigningKey(nil), shared...), nil
	}); err != nil {
		t.Fatal(err)
	}
	km := &keys.Manager{Store: store, Tenant: tenant, Rand: rand.Reader, Now: now}
	if err := km.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	sys := storage.ResourceServer{
		Tenant: tenant, ID: "000000000000000000000001", Identifier: issuer + "api/v2/",
		Name: mgmt.SystemAPIName, Scopes: mgmt.SystemScopes(), TokenLifetime: 86400,
		SigningAlg: "RS256", IsSystem: true, CreatedAt: testNow, UpdatedAt: testNow,
	}
	if err := store.CreateResourceServer(ctx, sys); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, sysID: sys.ID, logs: &syncBuffer{}, hookLogs: hooks.NewLogHub()}
	// The in-process engine: the runner endpoints' contract does not
	// depend on process isolation, and it keeps these tests fast.
	engine, err := jsvm.NewInProcess(sandbox.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	// Real npm into this test's own trees directory, and the real Node.js
	// runtime when the machine has Node (hooks with dependencies run there).
	inst, err := npm.New(npm.Options{Dir: filepath.Join(t.TempDir(), "npm"), Cache: testNPMCache})
	if err != nil {
		t.Fatal(err)
	}
	e.trees = npm.NewTrees(t.Context(), inst, store, tenant, nil, now)
	var node sandbox.Engine
	var checkNode func(context.Context, string) error
	if ne, err := noderun.New(noderun.Options{Options: sandbox.Options{Timeout: 20 * time.Second}}); err == nil {
		node, checkNode = ne, ne.Check
		t.Cleanup(func() { ne.Close() })
	}
	deps := mgmt.Deps{
		Store:  store,
		Tenant: tenant,
		Issuer: issuer,
		Verifier: &token.JWTVerifier{Issuer: issuer, Now: now, Keys: func() *keys.Set {
			return e.keySet()
		}},
		Keys:            km,
		Now:             now,
		Rand:            rand.Reader,
		Logger:          slog.New(slog.NewTextHandler(e.logs, nil)),
		Hooks:           &hooks.Runner{Engine: engine, Node: node, Modules: e.trees, Logs: e.hookLogs},
		HookLogs:        e.hookLogs,
		StreamHeartbeat: 100 * time.Millisecond,
		Modules:         e.trees,
		NodeAvailable:   nodeAvailable,
		CheckNode:       checkNode,
		Life:            t.Context(),
	}
	if edit != nil {
		edit(&deps)
	}
	api := mgmt.New(deps)
	e.api = api
	// Builds end with the test's context; the store they write to must
	// outlive them (cleanups run last registered first).
	t.Cleanup(api.WaitBuilds)
	mux := http.NewServeMux()
	mux.Handle("/api/v2/", api.Handler()) // mounted as the server does
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// sharedKeys is the tenant's first key pair, generated once per test binary.
var sharedKeys = func() func(t *testing.T) []storage.SigningKey {
	gen := sync.OnceValues(func() ([]storage.SigningKey, error) {
		set, _, err := keys.Ensure(nil, rand.Reader, testNow, tenant)
		return set, err
	})
	return func(t *testing.T) []storage.SigningKey {
		t.Helper()
		set, err := gen()
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
}()

// nodeAvailable asks once per test binary whether Node.js is here (each
// answer runs node --version): the machine does not change during a run.
var nodeAvailable = sync.OnceValue(func() error { _, err := noderun.Find(""); return err })

func (e *env) keySet() *keys.Set {
	if e.frozen != nil {
		return e.frozen
	}
	list, err := e.store.ListSigningKeys(context.Background(), tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	seen := keysFingerprint(list)
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	if e.parsed != nil && e.keysSeen == seen {
		return e.parsed
	}
	set, err := keys.NewSet(list, testNow)
	if err != nil {
		e.t.Fatal(err)
	}
	e.keysSeen, e.parsed, e.tokens = seen, set, map[string]string{}
	return set
}

// keysFingerprint names a stored key list by everything NewSet reads.
func keysFingerprint(list []storage.SigningKey) string {
	h := sha256.New()
	for _, k := range list {
		fmt.Fprintf(h, "%s|%s|%s|%s|%v|%v|%v|%x|%x\n", k.KID, k.Alg, k.State, k.CreatedAt,
			k.CurrentSince, k.CurrentUntil, k.RevokedAt, k.PrivateKey, k.Cert)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mint returns a Management API token with scopes, as /oauth/token would.
func (e *env) mint(scopes string, mod ...func(*token.Access)) string {
	e.t.Helper()
	set := e.keySet()
	if len(mod) == 0 {
		e.cacheMu.Lock()
		tok, ok := e.tokens[scopes]
		e.cacheMu.Unlock()
		if ok && set == e.parsedSet() {
			return tok
		}
	}
	signer, err := set.Signer()
	if err != nil {
		e.t.Fatal(err)
	}
	a := token.Access{
		Issuer: issuer, Subject: "admin@clients", Audience: []string{issuer + "api/v2/"},
		ClientID: "admin", Scope: scopes, GrantType: token.GrantTypeClientCredentials,
		IssuedAt: testNow.Add(-time.Minute), Lifetime: time.Hour,
	}
	for _, m := range mod {
		m(&a)
	}
	tok, err := token.MintAccess(signer, a)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(mod) == 0 {
		e.cacheMu.Lock()
		if set == e.parsed {
			e.tokens[scopes] = tok
		}
		e.cacheMu.Unlock()
	}
	return tok
}

func (e *env) parsedSet() *keys.Set {
	e.cacheMu.Lock()
	defer e.cacheMu.Unlock()
	return e.parsed
}

// all is every scope, as the bootstrap admin client has.
var all = strings.Join(mgmt.Scopes(), " ")

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r resp) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON array of objects: %v: %s", err, r.body)
	}
	return m
}

// req sends a request. body: nil, a string (sent as is with ctype) or any
// other value (sent as JSON).
func (e *env) req(method, path, scopes string, body any, ctype ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	if len(ctype) > 0 {
		ct = ctype[0]
	}
	r, err := http.NewRequest(method, e.srv.URL+"/api/v2"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if scopes != "-" {
		r.Header.Set("Authorization", "Bearer "+e.mint(scopes))
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}

// expect checks the status, and for errors the exact Auth0 error body.
func expect(t *testing.T, r resp, status int, errorCode, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if status == http.StatusNoContent {
		if len(r.body) != 0 {
			t.Errorf("204 with body %s", r.body)
		}
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if status < 400 {
		return
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("error body not JSON: %s", r.body)
	}
	if len(body) != 4 || body["statusCode"] != float64(status) || body["error"] != http.StatusText(status) ||
		body["errorCode"] != errorCode || (message != "" && body["message"] != message) {
		t.Fatalf("error body %s, want statusCode %d errorCode %q message %q", r.body, status, errorCode, message)
	}
}

func readResp(t *testing.T, res *http.Response) resp {
	t.Helper()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: raw}
}
