package reset

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/outbox"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Path is where tickets point, as on Auth0 (/lo/reset?ticket=...).
const Path = "/lo/reset"

const (
	csrfCookie = "tokenhook_reset_csrf"
	// maxForm caps the form: two passwords and a token.
	maxForm = 8 << 10
)

// NewTicket returns a ticket's token (for the URL, shown once) and the
// hash that is stored.
func NewTicket(r io.Reader) (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token), nil
}

// Hash is what storage keeps of a ticket's token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// URL is the ticket link on the server's base (issuer, with its slash).
func URL(base, token string) string {
	return base + Path[1:] + "?ticket=" + url.QueryEscape(token)
}

// Store is the part of storage the page uses.
type Store interface {
	GetPasswordTicket(ctx context.Context, tenant, hash string, now time.Time) (storage.PasswordTicket, error)
	UsePasswordTicket(ctx context.Context, tenant, hash string, now time.Time) (storage.PasswordTicket, error)
	UpdateUserThen(ctx context.Context, tenant, userID string, fn func(storage.User) (storage.User, []storage.Execution, error)) (storage.User, error)
	ResetFailedLogins(ctx context.Context, tenant, userID, ip string) error
}

// Events is the tenant log.
type Events interface{ Record(e storage.LogEvent) }

// Handler serves the ticket page.
type Handler struct {
	Catalog   interface{ Snapshot() *catalog.Snapshot }
	Store     Store
	Passwords *password.Hasher
	Events    Events
	// Outbox is woken after a change stored a post-change-password
	// execution; nil: nobody is.
	Outbox interface{ Notify() }
	Now    func() time.Time
	Rand   io.Reader
	Log    *slog.Logger
	// Secure marks the CSRF cookie Secure (the server is reached over
	// HTTPS).
	Secure bool
}

// Auth0's log types for a password change: success and failure.
const (
	logSuccess = "scp"
	logFailure = "fcp"
)

type page struct {
	Title, Error, Done string
	CSRF               string
	Email              string
	MinLength          int
	Form               bool
}

var tmpl = template.Must(template.New("reset").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .Error}}<p role="alert" id="error">{{.Error}}</p>{{end}}
{{if .Done}}<p id="done">{{.Done}}</p>{{end}}
{{if .Form}}
<form method="post" autocomplete="off">
<p>Choose a new password{{if .Email}} for <strong>{{.Email}}</strong>{{end}}: at least {{.MinLength}} characters.</p>
<input type="hidden" name="csrf" value="{{.CSRF}}">
<p><label for="password">New password</label><br><input id="password" name="password" type="password" required minlength="{{.MinLength}}" autocomplete="new-password"></p>
<p><label for="password_confirm">Confirm the new password</label><br><input id="password_confirm" name="password_confirm" type="password" required autocomplete="new-password"></p>
<p><button type="submit" id="submit">Set password</button></p>
</form>
{{end}}
</main>
</body></html>
`))

func (h *Handler) render(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page needs nothing but itself: no script, no style, no frame.
	// No form-action: browsers apply it to the redirect to result_url.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	if p.Title == "" {
		p.Title = "Change your password"
	}
	p.MinLength = password.MinLength
	_ = tmpl.Execute(w, p)
}

const textInvalid = "This link is invalid, was already used, or has expired. Ask for a new one."

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.show(w, r)
	case http.MethodPost:
		h.submit(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.render(w, http.StatusMethodNotAllowed, page{Error: "Use the form."})
	}
}

func (h *Handler) ticket(r *http.Request) (storage.PasswordTicket, string, bool) {
	token := r.URL.Query().Get("ticket")
	if token == "" || len(token) > 256 {
		return storage.PasswordTicket{}, "", false
	}
	hash := Hash(token)
	t, err := h.Store.GetPasswordTicket(r.Context(), h.Catalog.Snapshot().Tenant, hash, h.Now())
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			h.Log.Error("reading a password ticket", "err", err)
		}
		return t, hash, false
	}
	return t, hash, true
}

// csrf returns the request's CSRF cookie value, setting a new one when
// there is none.
func (h *Handler) csrf(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 64 {
		return c.Value, nil
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(h.rand(), b); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: Path, HttpOnly: true, Secure: h.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return v, nil
}

func (h *Handler) rand() io.Reader {
	if h.Rand != nil {
		return h.Rand
	}
	return rand.Reader
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := h.ticket(r); !ok {
		h.render(w, http.StatusNotFound, page{Error: textInvalid})
		return
	}
	token, err := h.csrf(w, r)
	if err != nil {
		h.render(w, http.StatusInternalServerError, page{Error: "Something went wrong; try again."})
		return
	}
	h.render(w, http.StatusOK, page{Form: true, CSRF: token})
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.render(w, http.StatusBadRequest, page{Error: "The form could not be read."})
		return
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		h.render(w, http.StatusForbidden, page{Error: "The form expired; open the link again."})
		return
	}
	t, hash, ok := h.ticket(r)
	if !ok {
		h.render(w, http.StatusNotFound, page{Error: textInvalid})
		return
	}
	pw := r.PostForm.Get("password")
	again := func(msg string) {
		h.render(w, http.StatusBadRequest, page{Form: true, CSRF: c.Value, Error: msg})
	}
	if pw != r.PostForm.Get("password_confirm") {
		again("The passwords do not match.")
		return
	}
	if err := password.CheckPolicy(pw); err != nil {
		again("The password is too weak: at least " + strconv.Itoa(password.MinLength) + " characters, at most " + strconv.Itoa(password.MaxBytes) + " bytes.")
		return
	}
	// Hashed before the ticket is used up and outside the transaction.
	hashed, err := h.Passwords.Hash(pw)
	if err != nil {
		h.fail(w, r, t.UserID, "hash", err)
		return
	}
	snap := h.Catalog.Snapshot()
	if t, err = h.Store.UsePasswordTicket(r.Context(), snap.Tenant, hash, h.Now()); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			h.render(w, http.StatusNotFound, page{Error: textInvalid})
			return
		}
		h.fail(w, r, "", "ticket", err)
		return
	}
	_, notify := snap.EnabledHook(hooks.PostChangePassword)
	now := h.Now().UTC()
	u, err := h.Store.UpdateUserThen(r.Context(), snap.Tenant, t.UserID, func(u storage.User) (storage.User, []storage.Execution, error) {
		u.PasswordHash, u.UpdatedAt = hashed, now
		if !notify {
			return u, nil, nil
		}
		e, err := outbox.PasswordChanged(u, now, h.rand())
		return u, []storage.Execution{e}, err
	})
	if errors.Is(err, storage.ErrNotFound) {
		// The user was deleted since the ticket was made.
		h.render(w, http.StatusNotFound, page{Error: textInvalid})
		return
	}
	if err != nil {
		h.fail(w, r, t.UserID, "update", err)
		return
	}
	if notify && h.Outbox != nil {
		h.Outbox.Notify()
	}
	// A new password lifts brute-force blocks, as a reset does on Auth0.
	if err := h.Store.ResetFailedLogins(r.Context(), snap.Tenant, u.UserID, ""); err != nil {
		h.Log.Warn("resetting failed logins after a password change", "err", err)
	}
	h.Events.Record(storage.LogEvent{Tenant: snap.Tenant, Date: now, Type: logSuccess, Description: "Changed password",
		IP: clientIP(r), UserAgent: r.UserAgent(), UserID: u.UserID, UserName: u.Email})
	if t.ResultURL != "" {
		http.Redirect(w, r, t.ResultURL, http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, page{Title: "Password changed", Done: "Your password was changed. You can now log in with it."})
}

// fail logs a failure of this server and records fcp; the user sees a
// generic text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, userID, step string, err error) {
	h.Log.Error("password change failed", "step", step, "err", err)
	h.Events.Record(storage.LogEvent{Tenant: h.Catalog.Snapshot().Tenant, Date: h.Now().UTC(), Type: logFailure,
		Description: "Password change failed on the server (" + step + ")", IP: clientIP(r), UserAgent: r.UserAgent(), UserID: userID})
	h.render(w, http.StatusInternalServerError, page{Error: "Something went wrong; your password was not changed. Try again."})
}

func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
