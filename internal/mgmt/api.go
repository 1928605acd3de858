package mgmt

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// KeyRotator rotates the tenant's signing keys (implemented by keys.Manager).
type KeyRotator interface {
	Rotate(ctx context.Context) error
	// EnsureAlg makes sure a P-256 (ES256) or Ed25519 (EdDSA) key pair
	// exists before an API is set to sign with it.
	EnsureAlg(ctx context.Context, alg string) error
}

// Deps is everything the Management API needs, wired by the server.
type Deps struct {
	Store  storage.Storage
	Tenant string
	// Issuer ends with a slash ("https://host/"); the Management API's
	// audience is Issuer+"api/v2/" (compat-spec §4).
	Issuer   string
	Verifier token.Verifier
	Keys     KeyRotator
	Now      func() time.Time
	// Rand is the source of ids and client secrets.
	Rand   io.Reader
	Logger *slog.Logger
	// Hooks runs hook code for the runner endpoints; the server passes the
	// token endpoint's own runner, so a test runs exactly as a token
	// request would. Nil answers those endpoints with 503.
	Hooks HookTester
	// HookLogs is the live console output of hooks (the stream and the
	// recent lines).
	HookLogs *hooks.LogHub
	// StreamHeartbeat is the comment interval on the log stream; zero
	// means 15 s.
	StreamHeartbeat time.Duration
	// Sessions, when set, lets a signed-in dashboard operator call the
	// API with its session cookie instead of a bearer token (auth.go).
	Sessions SessionAuthenticator
	// Passwords hashes the passwords set through /users; nil answers
	// those requests with 501. Lockout decides which brute-force counters
	// /user-blocks reports as blocks (users.go).
	Passwords *password.Hasher
	Lockout   password.Lockout
	// ManagementGrant reports, from the in-memory catalog (no storage
	// access per request), whether clientID still exists and holds a grant
	// for the Management API, and the grant's scopes now. A bearer token
	// is only as good as that: deleting the client or its grant, or taking
	// a scope off the grant, takes effect at once rather than when the
	// token expires (auth.go). Nil skips the check.
	ManagementGrant func(clientID string) (scopes []string, ok bool)
	// Modules installs the npm dependencies of hooks when they are saved
	// (hook_modules.go); nil refuses hooks with dependencies.
	Modules HookModules
	// Events records tenant log events (warnings about the tenant's
	// configuration); nil records none.
	Events interface{ Record(storage.LogEvent) }
	// NodeAvailable reports (nil) that Node.js can run hooks on this
	// server, or why not; nil refuses every hook that needs Node.js.
	NodeAvailable func() error
	// Outbox is woken after a write stored a pending execution of an
	// asynchronous point (post-change-password); nil: nobody is.
	Outbox interface{ Notify() }
	// CheckNode compiles a script as the Node.js runtime loads it, without
	// running it: nil, a *sandbox.CompileError, or another error when it
	// could not be checked. nil: hooks are checked by the embedded parser
	// alone.
	CheckNode func(ctx context.Context, script string) error
	// Actions runs an Action's saved draft for POST
	// /actions/actions/{id}/test (the runtime's *actions.Runner); nil
	// answers that route with a 400 saying no test runner is configured.
	Actions ActionTester
	// Life is the server's lifetime: builds of Actions' dependencies run
	// in the background under it, off the request that started them, and
	// stop when the server does. Nil means context.Background().
	Life context.Context
}

// API serves /api/v2.
type API struct {
	d       Deps
	handler http.Handler
	streams *streams
	// builds counts the Action builds running in the background;
	// building counts them per Action id (guarded by buildMu), so a read
	// can tell a build that is running from one a restart interrupted.
	builds   sync.WaitGroup
	buildMu  sync.Mutex
	building map[string]int
}

// New builds the API. Missing Now, Rand and Logger fall back to the real
// clock, crypto/rand and a discarding logger.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.StreamHeartbeat <= 0 {
		d.StreamHeartbeat = defaultHeartbeat
	}
	if d.Life == nil {
		d.Life = context.Background()
	}
	a := &API{d: d, streams: newStreams(), building: map[string]int{}}
	a.handler = a.buildMux()
	return a
}

// Audience is the audience Management API tokens must carry.
func (a *API) audience() string { return a.d.Issuer + "api/v2/" }

// Handler serves every path under /api/v2/. Patterns include the /api/v2
// prefix, so the server mounts it with mux.Handle("/api/v2/", h) and no
// StripPrefix.
func (a *API) Handler() http.Handler { return a.handler }

// setHeaders marks every answer, errors included, as JSON that must not be
// cached: bodies carry client secrets and keys.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// writeJSON writes v with status. Encoding cannot fail for the wire types of
// this package (no channels, funcs or cyclic values), so the error of a
// broken connection is all that is left, and it is not actionable.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	setHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeNoContent answers a successful DELETE.
func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// isoTime is Auth0's timestamp format: UTC, millisecond precision, "Z".
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func isoTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return isoTime(*t)
}
