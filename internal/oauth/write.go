package oauth

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// TokenResponse is a successful token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token,omitempty"`
	Scope       string `json:"scope,omitempty"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// WriteToken writes a 200 token response.
func WriteToken(w http.ResponseWriter, t TokenResponse) {
	t.TokenType = "Bearer"
	write(w, http.StatusOK, t)
}

// WriteError writes e as {"error", "error_description"}.
func WriteError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized && e.Basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="tokenhook"`)
	}
	write(w, e.Status, errorBody{Error: e.Code, Description: e.Description})
}

// write sets the headers RFC 6749 §5.1 requires on every token endpoint
// response and writes v.
func write(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v) // fixed string fields: cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
