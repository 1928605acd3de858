package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// apiClient talks to one server through /oauth/token and /api/v2 only:
// the CLI never opens the database, so it works against any deployment
// (and against Auth0-compatible tooling's expectations) the same way.
type apiClient struct {
	name string // profile name, for the token cache and messages
	prof profile
	http *http.Client
	// stream is http without a total timeout, for the log stream.
	stream *http.Client
	token  string
}

// requestTimeout bounds one API call; the log stream has none.
const requestTimeout = 60 * time.Second

// tokenMargin is how long before expiry a cached token is replaced, so a
// token never expires between being read and being checked by the server.
const tokenMargin = 2 * time.Minute

func newAPIClient(name string, p profile) (*apiClient, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if p.CACert != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM([]byte(p.CACert)) {
			return nil, usageErr(fmt.Errorf("profile %q: the saved CA certificate is not valid PEM", name))
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &apiClient{
		name:   name,
		prof:   p,
		http:   &http.Client{Transport: tr, Timeout: requestTimeout},
		stream: &http.Client{Transport: tr},
	}, nil
}

// clientFor loads the command's profile and returns a client for it.
func clientFor(cmdProfile string) (*apiClient, error) {
	p, err := loadProfile(cmdProfile)
	if err != nil {
		return nil, err
	}
	return newAPIClient(cmdProfile, p)
}

// apiErr is an answer in Auth0's error shape, or an OAuth error from
// /oauth/token, mapped to the CLI's exit code by status.
type apiErr struct {
	Status    int
	Message   string
	ErrorCode string
}

func (e *apiErr) Error() string {
	if e.ErrorCode != "" {
		return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.ErrorCode)
	}
	return fmt.Sprintf("%s (%d)", e.Message, e.Status)
}

// exitCodeFor maps an HTTP status to compat-spec §5's exit codes.
func exitCodeFor(status int) int {
	switch {
	case status == http.StatusNotFound:
		return ExitNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ExitUnauthorized
	case status >= 500:
		return ExitServerError
	case status >= 400:
		return ExitBadRequest
	}
	return ExitFailure
}

// statusError reads a failed response into an exitError carrying the
// server's own message (Auth0's "message", or OAuth's
// "error_description").
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body struct {
		Message          string `json:"message"`
		ErrorCode        string `json:"errorCode"`
		Error            any    `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	e := &apiErr{Status: resp.StatusCode}
	if json.Unmarshal(b, &body) == nil {
		e.Message, e.ErrorCode = body.Message, body.ErrorCode
		if e.Message == "" && body.ErrorDescription != "" {
			e.Message = body.ErrorDescription
		}
		if s, ok := body.Error.(string); ok && e.ErrorCode == "" && body.Message == "" {
			e.ErrorCode = s
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(b))
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
	}
	return &exitError{code: exitCodeFor(resp.StatusCode), err: e}
}

// connError is a failure to reach the server at all: exit 7, like a 5xx,
// because the fix is on the server's side (or the URL), not the request's.
func connError(err error) error {
	return &exitError{code: ExitServerError, err: fmt.Errorf("cannot reach the server: %w", err)}
}

func (c *apiClient) url(path string) string {
	return c.prof.URL + strings.TrimPrefix(path, "/")
}

// discoverAudience reads the issuer from the discovery document.
func (c *apiClient) discoverAudience(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.url(".well-known/openid-configuration"), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return connError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Issuer == "" {
		return &exitError{code: ExitServerError, err: fmt.Errorf("%s is not a tokenhook server: no issuer in its discovery document", c.prof.URL)}
	}
	c.prof.Audience = strings.TrimSuffix(doc.Issuer, "/") + "/api/v2/"
	return nil
}

// tokenResponse is /oauth/token's success body.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope,omitempty"`
}

// requestToken runs a client-credentials exchange and returns the raw
// body, so `token` can print exactly what the server answered.
func (c *apiClient) requestToken(ctx context.Context, clientID, secret, audience, scope string) ([]byte, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	if audience != "" {
		form.Set("audience", audience)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.url("oauth/token"), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, connError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

const userAgent = "tokenhook-cli"

func (c *apiClient) cacheKey() string {
	return c.prof.URL + "\x00" + c.prof.ClientID + "\x00" + c.prof.Audience
}

// fetchToken gets a fresh management token and caches it on disk.
func (c *apiClient) fetchToken(ctx context.Context) (string, error) {
	b, err := c.requestToken(ctx, c.prof.ClientID, c.prof.ClientSecret, c.prof.Audience, "")
	if err != nil {
		return "", err
	}
	var tr tokenResponse
	if err := json.Unmarshal(b, &tr); err != nil || tr.AccessToken == "" {
		return "", &exitError{code: ExitServerError, err: errors.New("the token endpoint answered without an access_token")}
	}
	c.token = tr.AccessToken
	ct := cachedToken{Token: tr.AccessToken, ExpiresAt: time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second), Key: c.cacheKey()}
	if p, err := tokenCachePath(c.name); err == nil {
		if b, err := json.Marshal(ct); err == nil {
			// A cache that cannot be written only costs a token request
			// next time; it is not worth failing the command.
			_ = writePrivate(p, b)
		}
	}
	return c.token, nil
}

// accessToken returns the token in memory, else a cached one still valid
// for tokenMargin, else a fresh one.
func (c *apiClient) accessToken(ctx context.Context) (string, error) {
	if c.token != "" {
		return c.token, nil
	}
	if p, err := tokenCachePath(c.name); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			var ct cachedToken
			if json.Unmarshal(b, &ct) == nil && ct.Key == c.cacheKey() && time.Until(ct.ExpiresAt) > tokenMargin {
				c.token = ct.Token
				return c.token, nil
			}
		}
	}
	return c.fetchToken(ctx)
}

// newRequest builds an authenticated Management API request.
func (c *apiClient) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	u := c.url("api/v2/" + strings.TrimPrefix(path, "/"))
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// call runs one Management API request and decodes a success into out
// (when not nil). A 401 with a cached token gets one retry with a fresh
// token: the cached one may have been signed by a key since revoked.
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, method, path, query, body)
		if err != nil {
			return err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return connError(err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			resp.Body.Close()
			if _, err := c.fetchToken(ctx); err != nil {
				return err
			}
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			return statusError(resp)
		}
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return nil
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return &exitError{code: ExitServerError, err: fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)}
		}
		return nil
	}
}

// listAll reads every page of a list endpoint (bare-array form), so the
// CLI shows everything rather than Auth0's default first 50.
func listAll[T any](ctx context.Context, c *apiClient, path string, query url.Values) ([]T, error) {
	const perPage = 100
	var all []T
	for page := 0; ; page++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("per_page", fmt.Sprint(perPage))
		q.Set("page", fmt.Sprint(page))
		var batch []T
		if err := c.call(ctx, "GET", path, q, nil, &batch); err != nil {
			return nil, err
		}
		all = append(all, batch...)
		if len(batch) < perPage {
			return all, nil
		}
	}
}

// listHooks lists hooks; without a triggerId in query it also asks for
// the triggers an unfiltered GET /hooks leaves out (password-exchange),
// so the CLI shows every hook.
func listHooks(ctx context.Context, c *apiClient, query url.Values) ([]hook, error) {
	list, err := listAll[hook](ctx, c, "hooks", query)
	if err != nil || query.Get("triggerId") != "" {
		return list, err
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("triggerId", "password-exchange")
	more, err := listAll[hook](ctx, c, "hooks", q)
	return append(list, more...), err
}

// pathEscape escapes one path segment (resource server identifiers are
// URLs and go in the path, as Auth0 allows).
func pathEscape(s string) string { return url.PathEscape(s) }

// signalContext ends on Ctrl-C or SIGTERM, so a stream stops cleanly
// (exit 0) instead of being killed mid-line.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
