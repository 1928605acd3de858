package server

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	body := s.cache.Snapshot().Keys.JWKS()
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// Resource servers cache the JWKS; a short max-age lets a rotation reach
	// them quickly while sparing this server.
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// discovery is the OpenID Provider Metadata (OpenID Connect Discovery 1.0
// §3), limited to what this server implements.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		"issuer":                                s.issuer,
		"token_endpoint":                        s.issuer + "oauth/token",
		"jwks_uri":                              s.issuer + ".well-known/jwks.json",
		"userinfo_endpoint":                     s.issuer + "userinfo",
		"grant_types_supported":                 []string{"client_credentials", "password", "http://auth0.com/oauth/grant-type/password-realm"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
		"claims_supported": []string{"aud", "azp", "email", "email_verified", "exp", "gty", "iat", "iss",
			"name", "nickname", "picture", "scope", "sub", "updated_at"},
		"request_parameter_supported": false,
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(doc)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.cache.Snapshot().Keys.Signer(); err != nil {
		http.Error(w, "no signing key", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}
