package userinfo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Users finds the token's subject.
type Users interface {
	GetUser(ctx context.Context, tenant, userID string) (storage.User, error)
}

// Handler serves GET and POST /userinfo.
type Handler struct {
	Issuer   string
	Tenant   string
	Verifier token.Verifier
	Users    Users
	Log      *slog.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "Method not allowed; use GET or POST")
		return
	}
	raw, ok := bearer(r)
	if !ok {
		// RFC 6750 §3.1: no error code when no credentials were sent.
		challenge(w, http.StatusUnauthorized, "", "")
		return
	}
	claims, err := h.Verifier.Verify(raw, h.Issuer+"userinfo")
	if err != nil {
		h.Log.Info("userinfo: token rejected", "err", err)
		challenge(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid")
		return
	}
	user, err := h.Users.GetUser(r.Context(), h.Tenant, claims.Subject)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		challenge(w, http.StatusUnauthorized, "invalid_token", "The user no longer exists")
		return
	case err != nil:
		h.Log.Error("userinfo: reading the user failed", "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "Internal error")
		return
	case user.Blocked:
		challenge(w, http.StatusUnauthorized, "invalid_token", "user is blocked")
		return
	}
	profile, email := oauth.ClaimScopes(claims.Scope)
	out := token.Profile{Name: user.Name, Nickname: user.Nickname, Picture: user.Picture, UpdatedAt: user.UpdatedAt,
		Email: user.Email, EmailVerified: user.EmailVerified}.Claims(profile, email)
	out["sub"] = user.UserID
	body, _ := json.Marshal(out)
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// bearer reads the token from the Authorization header or, for POST, the
// access_token form field (RFC 6750 §2.1, §2.2).
func bearer(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, raw, ok := strings.Cut(h, " ")
		raw = strings.TrimSpace(raw)
		return raw, ok && strings.EqualFold(scheme, "Bearer") && raw != ""
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = http.MaxBytesReader(nil, r.Body, 16<<10)
		if raw := r.PostFormValue("access_token"); raw != "" {
			return raw, true
		}
	}
	return "", false
}

// challenge writes an RFC 6750 §3 error: the WWW-Authenticate header and a
// JSON body with the same error for clients that read bodies.
func challenge(w http.ResponseWriter, status int, code, description string) {
	v := `Bearer realm="userinfo"`
	if code != "" {
		v += `, error="` + code + `", error_description="` + description + `"`
	}
	hd := w.Header()
	hd.Set("WWW-Authenticate", v)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if code == "" {
		code, description = "invalid_request", "Missing access token"
	}
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	_, _ = w.Write(body)
}

// writeError writes a failure that is not about the token in the same
// {"error", "error_description"} shape as the challenges, so clients parse
// every answer of this endpoint as JSON.
func writeError(w http.ResponseWriter, status int, code, description string) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	_, _ = w.Write(body)
}
