package dashboard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// CSRFHeader carries the session's CSRF token on state-changing requests.
const CSRFHeader = "X-CSRF-Token"

// cookieName is the session cookie. Under TLS the __Host- prefix makes the
// browser refuse it unless it is Secure, host-only and Path=/, so a
// sibling subdomain cannot plant or shadow it.
func (d *Dashboard) cookieName() string {
	if d.d.Secure {
		return "__Host-tokenhook_session"
	}
	return "tokenhook_session"
}

// touchEvery limits how often activity is written: idle expiry is coarse
// (hours), so one write a minute per session is plenty.
const touchEvery = time.Minute

// errNoSession and friends say why a cookie was not accepted; the client
// learns only "sign in again".
var (
	errNoSession      = errors.New("dashboard: unknown session")
	errSessionExpired = errors.New("dashboard: session expired")
)

func randomToken(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("dashboard: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// newSession stores a session for o and sets its cookie.
func (d *Dashboard) newSession(w http.ResponseWriter, r *http.Request, o storage.Operator) (storage.Session, error) {
	id, err := randomToken(d.d.Rand)
	if err != nil {
		return storage.Session{}, err
	}
	csrf, err := randomToken(d.d.Rand)
	if err != nil {
		return storage.Session{}, err
	}
	now := d.d.Now().UTC()
	s := storage.Session{
		IDHash: hashID(id), Tenant: d.d.Tenant, OperatorID: o.ID, CSRFToken: csrf,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(d.d.MaxAge),
		IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 256),
	}
	if err := d.d.Store.CreateSession(r.Context(), s); err != nil {
		return storage.Session{}, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: d.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: d.d.Secure,
		SameSite: http.SameSiteStrictMode, Expires: s.ExpiresAt,
	})
	return s, nil
}

func (d *Dashboard) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: d.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: d.d.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// current returns the live session of r. ok is false when r carries no
// session cookie at all.
func (d *Dashboard) current(r *http.Request) (s storage.Session, ok bool, err error) {
	c, err := r.Cookie(d.cookieName())
	if err != nil || c.Value == "" {
		return storage.Session{}, false, nil
	}
	s, err = d.d.Store.GetSession(r.Context(), d.d.Tenant, hashID(c.Value))
	if errors.Is(err, storage.ErrNotFound) {
		return s, true, errNoSession
	}
	if err != nil {
		return s, true, err
	}
	now := d.d.Now().UTC()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= d.d.IdleTimeout {
		// Best effort: the periodic sweep removes it otherwise.
		_ = d.d.Store.DeleteSession(r.Context(), d.d.Tenant, s.IDHash)
		return s, true, errSessionExpired
	}
	if now.Sub(s.LastSeenAt) >= touchEvery {
		if err := d.d.Store.TouchSession(r.Context(), d.d.Tenant, s.IDHash, now); err != nil {
			d.d.Logger.Warn("dashboard: recording session activity", "err", err)
		}
		s.LastSeenAt = now
	}
	return s, true, nil
}

// safeMethod reports methods that change nothing and so need no CSRF token
// (the Management API's GETs, the log stream that EventSource opens).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func checkCSRF(r *http.Request, s storage.Session) error {
	if safeMethod(r.Method) {
		return nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRFToken)) != 1 {
		return mgmt.ErrCSRF
	}
	return nil
}

// Authenticate implements mgmt.SessionAuthenticator: a live session with,
// for a state-changing request, its CSRF token, is an operator holding every
// Management API scope.
func (d *Dashboard) Authenticate(r *http.Request) (token.Claims, bool, error) {
	s, ok, err := d.current(r)
	if !ok || err != nil {
		return token.Claims{}, ok, err
	}
	if err := checkCSRF(r, s); err != nil {
		return token.Claims{}, true, err
	}
	return token.Claims{
		Subject:   "operator|" + s.OperatorID,
		Scope:     append([]string(nil), d.d.Scopes...),
		IssuedAt:  s.CreatedAt,
		ExpiresAt: s.ExpiresAt,
	}, true, nil
}

var _ mgmt.SessionAuthenticator = (*Dashboard)(nil)

// requireSession is the guard of the dashboard's own state-changing
// endpoints.
func (d *Dashboard) requireSession(r *http.Request) (storage.Session, error) {
	s, ok, err := d.current(r)
	if !ok || errors.Is(err, errNoSession) || errors.Is(err, errSessionExpired) {
		return s, &apiError{http.StatusUnauthorized, "Not signed in, or the session expired; sign in again"}
	}
	if err != nil {
		return s, err
	}
	if checkCSRF(r, s) != nil {
		return s, &apiError{http.StatusForbidden, "Missing or invalid CSRF token"}
	}
	return s, nil
}

// Sweep deletes expired and idle sessions until ctx ends, every interval;
// reads already refuse them, this only keeps the table small.
func (d *Dashboard) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := d.d.Now().UTC()
		if n, err := d.d.Store.DeleteSessionsBefore(ctx, now, now.Add(-d.d.IdleTimeout)); err != nil && ctx.Err() == nil {
			d.d.Logger.Warn("dashboard: sweeping sessions", "err", err)
		} else if n > 0 {
			d.d.Logger.Debug("dashboard: swept sessions", "count", n)
		}
	}
}

// clientIP is the peer address. Forwarding headers are not read here: the
// server has already put the client's address in RemoteAddr when, and
// only when, the peer is one of --trusted-proxies, so a forged header
// cannot dodge the throttle.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
