package dashboard

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Deps is what the dashboard needs, wired by the server.
type Deps struct {
	Store  storage.Storage
	Tenant string
	// Secure marks the session cookie Secure (and __Host-): set it when the
	// server speaks TLS.
	Secure bool
	// IdleTimeout ends a session after this long without a request;
	// MaxAge ends it this long after sign-in whatever its activity.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// Tokens is the token endpoint (POST /oauth/token); Try it runs it in
	// process so the token comes from the real pipeline, hooks included.
	Tokens http.Handler
	// Scopes are the Management API scopes a session holds (mgmt.Scopes()).
	Scopes []string
	// Passwords compares sign-in passwords (password.Hasher); nil means
	// bcrypt at the default cost.
	Passwords Passwords
	Now       func() time.Time
	Rand      io.Reader
	Logger    *slog.Logger
}

// Passwords is what sign-in needs of a password hasher: a compare, and
// the same work for an email that is no operator's.
type Passwords interface {
	Matches(hash, pw string) bool
	Waste(pw string)
}

var _ Passwords = (*password.Hasher)(nil)

// Dashboard serves the UI and /dashboard/api/, and authenticates sessions
// for the Management API.
type Dashboard struct {
	d        Deps
	app      fs.FS
	index    []byte
	throttle *throttle
}

// Defaults of the session lifetimes.
const (
	DefaultIdleTimeout = 12 * time.Hour
	DefaultMaxAge      = 7 * 24 * time.Hour
)

// New builds the dashboard. Zero lifetimes, Now, Rand and Logger take
// their defaults.
func New(d Deps) *Dashboard {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Passwords == nil {
		h, err := password.NewHasher(password.DefaultCost)
		if err != nil {
			panic(err) // the default cost is in range
		}
		d.Passwords = h
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = DefaultIdleTimeout
	}
	if d.MaxAge <= 0 {
		d.MaxAge = DefaultMaxAge
	}
	app, index := appFS()
	return &Dashboard{d: d, app: app, index: index, throttle: &throttle{store: d.Store, tenant: d.Tenant, now: d.Now}}
}

// Built reports whether the binary embeds the built UI.
func (d *Dashboard) Built() bool { return d.app != nil }

// APIHandler serves /dashboard/api/: sign in and out, the session, and
// Try it. The page and its assets are ServeIndex and ServeAsset.
func (d *Dashboard) APIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /dashboard/api/login", d.api(d.login))
	mux.HandleFunc("POST /dashboard/api/logout", d.api(d.logout))
	mux.HandleFunc("GET /dashboard/api/session", d.api(d.session))
	mux.HandleFunc("POST /dashboard/api/try-token", d.api(d.tryToken))
	mux.HandleFunc("/dashboard/api/", d.api(func(w http.ResponseWriter, r *http.Request) error {
		return &apiError{http.StatusNotFound, "Not Found"}
	}))
	return mux
}

// apiError is a failure of a /dashboard/api/ endpoint, written as
// {"statusCode", "error", "message"} like the Management API's errors so the
// UI reads both the same way.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return e.message }

// api wraps a JSON endpoint: no caching, errors in one shape, internal
// errors logged and answered generically.
func (d *Dashboard) api(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		err := fn(w, r)
		if err == nil {
			return
		}
		e, ok := err.(*apiError)
		if !ok {
			d.d.Logger.Error("dashboard: internal error", "path", r.URL.Path, "err", err)
			e = &apiError{http.StatusInternalServerError, "Internal error"}
		}
		writeJSON(w, e.status, map[string]any{"statusCode": e.status, "error": http.StatusText(e.status), "message": e.message})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"statusCode":500,"error":"Internal Server Error","message":"Internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readJSON decodes a small JSON body; unknown fields are an error, as on
// the Management API.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{http.StatusBadRequest, "Invalid JSON body: " + err.Error()}
	}
	return nil
}
