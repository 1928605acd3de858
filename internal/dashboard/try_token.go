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

// tryToken is POST /dashboard/api/try-token {client_id, audience}: "test
// your hook" (compat-spec §6) without typing a secret. The client's secret
// is read server-side and the request goes through the real token
// endpoint in process — client authentication, grant checks, the enabled
// hook, minting, the tenant log — so what the page shows is exactly what
// the application would get.
func (d *Dashboard) tryToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.requireSession(r); err != nil {
		return err
	}
	var in struct {
		ClientID string `json:"client_id"`
		Audience string `json:"audience"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.ClientID == "" || in.Audience == "" {
		return &apiError{http.StatusBadRequest, "Choose an application and an API."}
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
