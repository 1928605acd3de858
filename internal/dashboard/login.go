package dashboard

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/tokenhook/tokenhook/internal/storage"
)

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
	// Only application/json: a cross-site <form> can send text/plain (or a
	// urlencoded body) without a CORS preflight, which must never be able
	// to sign a browser in to an account of the attacker's choosing.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return &apiError{http.StatusUnsupportedMediaType, "Content-Type must be application/json"}
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	email, ip := NormalizeEmail(in.Email), clientIP(r)
	if email == "" || in.Password == "" {
		return &apiError{http.StatusBadRequest, "Enter your email and password."}
	}
	// The attempt counts before the compare (throttle.go), whether the
	// email exists or not, so a 429 says nothing about which do.
	wait, err := d.throttle.take(r.Context(), ip, email)
	if err != nil {
		return err
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		d.d.Logger.Warn("dashboard: sign-in throttled", "ip", ip, "email", email)
		return &apiError{http.StatusTooManyRequests, "Too many failed sign-in attempts. Wait a minute and try again."}
	}
	o, err := d.d.Store.GetOperatorByEmail(r.Context(), d.d.Tenant, email)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		// The same bcrypt work as a wrong password, so the answer's timing
		// does not reveal which emails are operators.
		d.d.Passwords.Waste(in.Password)
		d.d.Logger.Info("dashboard: sign-in failed", "ip", ip, "email", email)
		return errBadCredentials
	case err != nil:
		return err
	}
	if !d.d.Passwords.Matches(o.PasswordHash, in.Password) {
		d.d.Logger.Info("dashboard: sign-in failed", "ip", ip, "email", email)
		return errBadCredentials
	}
	if err := d.throttle.succeed(r.Context(), email); err != nil {
		return err
	}
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
