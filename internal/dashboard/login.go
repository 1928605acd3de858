package dashboard

import (
	"crypto/rand"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// dummyHash is compared against when the email is unknown, so the answer
// takes as long as for a wrong password and does not reveal which emails
// are operators. It hashes a random string nobody knows, at the cost real
// hashes use.
var dummyHash = sync.OnceValue(func() []byte {
	pw := make([]byte, 32)
	_, _ = rand.Read(pw)
	h, err := bcrypt.GenerateFromPassword(pw, bcrypt.DefaultCost)
	if err != nil {
		panic(err) // only for a password over 72 bytes
	}
	return h
})

// NormalizeEmail is how operator emails are stored and looked up.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

type sessionView struct {
	Email     string `json:"email"`
	Operator  string `json:"operator_id"`
	CSRFToken string `json:"csrf_token"`
	ExpiresAt string `json:"expires_at"`
	Tenant    string `json:"tenant"`
}

func (d *Dashboard) view(s storage.Session, email string) sessionView {
	return sessionView{Email: email, Operator: s.OperatorID, CSRFToken: s.CSRFToken,
		ExpiresAt: s.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"), Tenant: d.d.Tenant}
}

var errBadCredentials = &apiError{http.StatusUnauthorized, "Wrong email or password."}

// login is POST /dashboard/api/login {email, password}.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	email, ip := NormalizeEmail(in.Email), clientIP(r)
	if email == "" || in.Password == "" {
		return &apiError{http.StatusBadRequest, "Enter your email and password."}
	}
	if wait := d.throttle.blocked(ip, email); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		d.d.Logger.Warn("dashboard: sign-in throttled", "ip", ip, "email", email)
		return &apiError{http.StatusTooManyRequests, "Too many failed sign-in attempts. Wait a minute and try again."}
	}
	o, err := d.d.Store.GetOperatorByEmail(r.Context(), d.d.Tenant, email)
	hash := dummyHash()
	if err == nil {
		hash = []byte(o.PasswordHash)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(in.Password)) != nil || err != nil {
		d.throttle.fail(ip, email)
		d.d.Logger.Info("dashboard: sign-in failed", "ip", ip, "email", email)
		return errBadCredentials
	}
	d.throttle.succeed(email)
	s, err := d.newSession(w, r, o)
	if err != nil {
		return err
	}
	now := d.d.Now().UTC()
	if _, err := d.d.Store.UpdateOperator(r.Context(), d.d.Tenant, o.ID, func(o storage.Operator) (storage.Operator, error) {
		o.LastLoginAt = &now
		return o, nil
	}); err != nil {
		d.d.Logger.Warn("dashboard: recording sign-in", "err", err)
	}
	d.d.Logger.Info("dashboard: signed in", "ip", ip, "operator", o.ID)
	writeJSON(w, http.StatusOK, d.view(s, o.Email))
	return nil
}

// logout is POST /dashboard/api/logout: the session row is deleted, so
// the cookie is worthless even if a copy survives.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) error {
	s, err := d.requireSession(r)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusUnauthorized {
			// Already signed out: say so, and clear a stale cookie.
			d.clearCookie(w)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return err
	}
	if err := d.d.Store.DeleteSession(r.Context(), d.d.Tenant, s.IDHash); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	d.clearCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// session is GET /dashboard/api/session: who is signed in, and the CSRF
// token the page must send. Same-origin only: the CSP and SameSite keep
// other sites from reading it.
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) error {
	s, ok, err := d.current(r)
	if !ok || errors.Is(err, errNoSession) || errors.Is(err, errSessionExpired) {
		if ok {
			d.clearCookie(w)
		}
		return &apiError{http.StatusUnauthorized, "Not signed in"}
	}
	if err != nil {
		return err
	}
	o, err := d.d.Store.GetOperator(r.Context(), d.d.Tenant, s.OperatorID)
	if err != nil {
		return &apiError{http.StatusUnauthorized, "Not signed in"}
	}
	writeJSON(w, http.StatusOK, d.view(s, o.Email))
	return nil
}
