package mgmt

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenhook/tokenhook/internal/token"
)

// SessionAuthenticator recognises a dashboard session (internal/dashboard).
// ok is false when the request carries no session at all, so the bearer
// path answers; with ok true, a nil error yields the operator's claims and
// a non-nil one rejects the request (ErrCSRF for a state-changing request
// without the session's CSRF token). The dashboard thereby reaches the
// same handlers, rules and scopes checks as every other client.
type SessionAuthenticator interface {
	Authenticate(r *http.Request) (claims token.Claims, ok bool, err error)
}

// ErrCSRF is what a SessionAuthenticator wraps when a cookie-authenticated
// request that changes state lacks the session's CSRF token.
var ErrCSRF = errors.New("mgmt: missing or invalid CSRF token")

// authenticate checks the bearer token (compat-spec §4): a JWT this server
// issued for <issuer>api/v2/. The detail of a rejected token goes to the
// log only; the client learns no more than "Invalid token".
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (token.Claims, error) {
	h := r.Header.Get("Authorization")
	if h == "" && a.d.Sessions != nil {
		claims, ok, err := a.d.Sessions.Authenticate(r)
		switch {
		case ok && err == nil:
			return claims, nil
		case ok && errors.Is(err, ErrCSRF):
			return token.Claims{}, newError(http.StatusForbidden, codeInvalidToken, "Missing or invalid CSRF token")
		case ok:
			a.d.Logger.Info("mgmt: session rejected", "path", r.URL.Path, "err", err)
			return token.Claims{}, newError(http.StatusUnauthorized, codeInvalidToken, "Session expired; sign in again")
		}
	}
	if h == "" {
		// RFC 6750 §3.1: no error code when no credentials were sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="api/v2"`)
		return token.Claims{}, newError(http.StatusUnauthorized, codeMissingAuth, "Missing authentication")
	}
	scheme, raw, ok := strings.Cut(h, " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api/v2", error="invalid_request"`)
		return token.Claims{}, newError(http.StatusUnauthorized, codeInvalidToken, "Bad HTTP authentication header format")
	}
	claims, err := a.d.Verifier.Verify(raw, a.audience())
	if err != nil {
		a.d.Logger.Info("mgmt: bearer token rejected", "path", r.URL.Path, "err", err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="api/v2", error="invalid_token"`)
		return token.Claims{}, newError(http.StatusUnauthorized, codeInvalidToken, "Invalid token")
	}
	// Only machine-to-machine tokens manage the tenant. The password grant
	// refuses this audience already; this keeps a user's token out even if
	// that rule ever changes.
	if claims.GrantType != token.GrantTypeClientCredentials {
		a.d.Logger.Info("mgmt: bearer token of another grant rejected", "path", r.URL.Path, "gty", claims.GrantType)
		w.Header().Set("WWW-Authenticate", `Bearer realm="api/v2", error="invalid_token"`)
		return token.Claims{}, newError(http.StatusUnauthorized, codeInvalidToken, "Invalid token")
	}
	if a.d.ManagementGrant != nil {
		granted, ok := a.d.ManagementGrant(claims.ClientID)
		if !ok {
			a.d.Logger.Info("mgmt: bearer token of a deleted client or revoked grant rejected", "path", r.URL.Path, "client_id", claims.ClientID)
			w.Header().Set("WWW-Authenticate", `Bearer realm="api/v2", error="invalid_token"`)
			return token.Claims{}, newError(http.StatusUnauthorized, codeInvalidToken, "Invalid token")
		}
		// The token keeps only the scopes its client still holds.
		claims.Scope = slices.DeleteFunc(slices.Clone(claims.Scope), func(s string) bool { return !slices.Contains(granted, s) })
	}
	return claims, nil
}

// authorize passes when the token has any one of scopes, as Auth0 does; the
// 403 message lists them exactly as Auth0 words it.
func authorize(c token.Claims, scopes []string) error {
	for _, s := range scopes {
		if c.HasScope(s) {
			return nil
		}
	}
	return newError(http.StatusForbidden, codeInsufficientScope,
		"Insufficient scope, expected any of: "+strings.Join(scopes, ","))
}
