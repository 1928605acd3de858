package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// tryToken is POST /dashboard/api/try-token: "test your hook" (compat-spec
// §6) without typing a secret. {client_id, audience} asks for a client
// credentials token; {grant_type: "password", client_id, username,
// password, audience, scope} logs a user in with the password grant, so a
// password-exchange hook can be tried too (audience may then be empty:
// the tenant's default_audience, or a token for /userinfo, as for any
// application). The client's secret is read server-side and the request
// goes through the real token endpoint in process (client authentication,
// grant checks, the enabled hook, minting, the tenant log, the brute-force
// counter), so what the page shows is exactly what the application would
// get. The user's password is the operator's to type and is never logged.
func (d *Dashboard) tryToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.requireSession(r); err != nil {
		return err
	}
	var in struct {
		GrantType string `json:"grant_type"`
		ClientID  string `json:"client_id"`
		Audience  string `json:"audience"`
		Username  string `json:"username"`
		Password  string `json:"password"`
		Scope     string `json:"scope"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	switch in.GrantType {
	case "", "client_credentials":
		if in.ClientID == "" || in.Audience == "" {
			return &apiError{http.StatusBadRequest, "Choose an application and an API."}
		}
	case "password":
		if in.ClientID == "" || in.Username == "" || in.Password == "" {
			return &apiError{http.StatusBadRequest, "Choose an application and type a user's username or email and password."}
		}
	default:
		return &apiError{http.StatusBadRequest, "grant_type must be client_credentials or password."}
	}
	if d.d.Tokens == nil {
		return &apiError{http.StatusServiceUnavailable, "The token endpoint is not available"}
	}
	c, err := d.d.Store.GetClient(r.Context(), d.d.Tenant, in.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return &apiError{http.StatusNotFound, "Application not found."}
	}
	if err != nil {
		return err
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.ClientID},
		"client_secret": {c.Secret},
		"audience":      {in.Audience},
	}
	if in.GrantType == "password" {
		form.Set("grant_type", "password")
		form.Set("username", in.Username)
		form.Set("password", in.Password)
		if in.Scope != "" {
			form.Set("scope", in.Scope)
		}
		if in.Audience == "" {
			form.Del("audience")
		}
		// A public application sends no secret, as it would itself.
		if c.TokenEndpointAuthMethod == "none" {
			form.Del("client_secret")
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "tokenhook dashboard (Try it)")
	// The tenant log and the hook's context.ip name the operator's address.
	req.RemoteAddr = r.RemoteAddr
	rec := &recorder{header: http.Header{}}
	d.d.Tokens.ServeHTTP(rec, req)
	body := bytes.TrimSpace(rec.body.Bytes())
	if !json.Valid(body) {
		body, _ = json.Marshal(string(body))
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": rec.status(), "response": json.RawMessage(body)})
	return nil
}

// recorder captures the token endpoint's answer.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
