package servertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/server"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// Admin credentials of the Management API application every Server has.
const (
	AdminID     = "servertestadmin00000000000000000"
	AdminSecret = "servertest-admin-secret-0123456789"
)

// Clock is the server's time: it starts at a fixed instant and moves only
// when the test advances it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Now is the clock's time; the server reads it through server.WithClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Server is one tenant served on loopback for the length of a test.
type Server struct {
	T      testing.TB
	URL    string // base URL with a trailing slash; also the issuer
	Clock  *Clock
	Client *http.Client
	// Handler is the server's handler tree, for benchmarks that call it
	// without the network.
	Handler http.Handler
	// Out is what the server printed for an operator (generated
	// credentials); Log is its structured log.
	Out, Log *syncBuffer

	admin string // cached Management API token
}

// New starts a server. configure, when given, adjusts the configuration
// (flags) before the server is built; the data directory, the listen
// address and the issuer are the harness's. The server stops with the test.
func New(t testing.TB, configure ...func(*config.Config)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = ln.Addr().String()
	cfg.Issuer = base
	cfg.HookIsolation = "none"
	cfg.BcryptCost = 4
	cfg.AdminClientID, cfg.AdminClientSecret = AdminID, AdminSecret
	for _, f := range configure {
		f(&cfg)
	}
	SeedKeys(t, cfg)
	// A fixed, round start: tokens' iat/exp are predictable and nothing
	// depends on when the test runs.
	clock := NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := &Server{T: t, URL: base, Clock: clock, Client: &http.Client{Timeout: time.Minute}, Out: &syncBuffer{}, Log: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(s.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, logger, s.Out, server.WithClock(clock.Now))
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("server.New: %v", err)
	}
	s.Handler = srv.Handler()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.Log.String())
		}
	})
	return s
}

// Response is a decoded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object, failing the test otherwise.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("status %d, body is not a JSON object: %v\n%s", r.Status, err, r.Body)
	}
	return m
}

// Do sends a request to path (relative to URL).
func (s *Server) Do(method, path, contentType string, body io.Reader, header http.Header) Response {
	s.T.Helper()
	req, err := http.NewRequest(method, s.URL+strings.TrimPrefix(path, "/"), body)
	if err != nil {
		s.T.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Token posts a form to /oauth/token.
func (s *Server) Token(form url.Values) Response {
	s.T.Helper()
	return s.Do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
}

// AdminToken is a Management API token of the admin application.
func (s *Server) AdminToken() string {
	s.T.Helper()
	if s.admin == "" {
		r := s.Token(url.Values{"grant_type": {"client_credentials"}, "client_id": {AdminID},
			"client_secret": {AdminSecret}, "audience": {s.URL + "api/v2/"}})
		if r.Status != 200 {
			s.T.Fatalf("admin token: %d %s", r.Status, r.Body)
		}
		s.admin = r.JSON(s.T)["access_token"].(string)
	}
	return s.admin
}

// API calls the Management API with the admin token; body, when not nil,
// is sent as JSON.
func (s *Server) API(method, path string, body any) Response {
	s.T.Helper()
	var rd io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.T.Fatal(err)
		}
		rd, ct = bytes.NewReader(b), "application/json"
	}
	return s.Do(method, "api/v2/"+strings.TrimPrefix(path, "/"), ct, rd, http.Header{"Authorization": {"Bearer " + s.AdminToken()}})
}

// MustAPI is API that fails the test unless the answer has status want,
// and returns the decoded object (nil for an empty body).
func (s *Server) MustAPI(want int, method, path string, body any) map[string]any {
	s.T.Helper()
	r := s.API(method, path, body)
	if r.Status != want {
		s.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if len(bytes.TrimSpace(r.Body)) == 0 || r.Body[0] != '{' {
		return nil
	}
	return r.JSON(s.T)
}

// Claims decodes a JWT's payload without verifying it.
func Claims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// keyStart dates the shared keys: the start of every Server's clock.
var keyStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	sharedKeysMu sync.Mutex
	sharedKeys   = map[string][]storage.SigningKey{} // by tenant
)

// SeedKeys stores a signing key pair for cfg's tenant in cfg's database
// before server.New first opens it, so the server's bootstrap finds its
// keys complete instead of generating them. The pair is generated once per
// test binary and tenant: RSA generation is most of a server's start-up
// CPU, and the servers of a test binary have no reason to differ in keys.
// The database and master key are the ones server.New would open and
// create (the key file in the data directory unless cfg names one).
// Tests of the first-start generation itself call server.New without it.
func SeedKeys(tb testing.TB, cfg config.Config) {
	tb.Helper()
	sharedKeysMu.Lock()
	set, ok := sharedKeys[cfg.Tenant]
	if !ok {
		var err error
		if set, _, err = keys.Ensure(nil, nil, keyStart, cfg.Tenant); err != nil {
			sharedKeysMu.Unlock()
			tb.Fatalf("servertest: keys: %v", err)
		}
		sharedKeys[cfg.Tenant] = set
	}
	sharedKeysMu.Unlock()
	var (
		key []byte
		err error
	)
	if cfg.MasterKeyFile != "" {
		key, err = seal.LoadKeyFile(cfg.MasterKeyFile)
	} else {
		key, err = seal.LoadOrCreateKey(cfg.MasterKey, cfg.DataDir)
	}
	if err != nil {
		tb.Fatalf("servertest: master key: %v", err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		tb.Fatalf("servertest: %v", err)
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, server.SQLiteFile)
		// A new data directory starts from the migrated template rather
		// than running every migration again; a database already there
		// (a test reopening its directory) is left as it is.
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			sqlitetest.CopyTo(tb, dsn)
		}
	}
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, dsn, sealer)
	if err != nil {
		tb.Fatalf("servertest: open %s: %v", dsn, err)
	}
	defer store.Close()
	if _, err := store.UpdateSigningKeys(ctx, cfg.Tenant, func([]storage.SigningKey) ([]storage.SigningKey, error) {
		return append([]storage.SigningKey(nil), set...), nil
	}); err != nil {
		tb.Fatalf("servertest: store keys: %v", err)
	}
}
