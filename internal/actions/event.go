package actions

import (
	"encoding/json"
	"net"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Input is what a token request knows when its Actions run: each trigger
// builds its `event` from it (compat-spec §7).
type Input struct {
	Tenant    string
	RequestID string
	Client    Client
	// Audience is the API asked for ("" = none: no event.resource_server).
	Audience string
	// Requested are the scopes the request asked for (its scope param).
	Requested []string
	// Allowed bounds the target-scope methods of credentials-exchange:
	// their result is intersected with it (the client grant's scopes,
	// plus whatever the hook granted).
	Allowed []string
	Request Request
	// User is the authenticated user (post-login); nil otherwise.
	User *storage.User
	// Now is the request's time (stats, authentication.methods).
	Now time.Time
}

// Client is event.client.
type Client struct {
	ClientID string            `json:"client_id"`
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

// Request is what event.request is made of.
type Request struct {
	IP        string
	Method    string
	Params    map[string]string // the request's parameters; credentials are left out of event.request.body
	Host      string            // the Host header; event.request.hostname is it without a port
	UserAgent string
	Language  string // the Accept-Language header, as sent
}

type requestJSON struct {
	IP        string            `json:"ip"`
	Method    string            `json:"method"`
	Body      map[string]string `json:"body"`
	Query     json.RawMessage   `json:"query,omitempty"` // post-login only: always an object there
	Hostname  string            `json:"hostname,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Language  string            `json:"language,omitempty"`
	GeoIP     map[string]any    `json:"geoip"`
}

func (r Request) event(trigger string) requestJSON {
	// The credentials never reach event.request.body, as they never reach
	// hooks' context.body (a deliberate difference from Auth0,
	// docs/actions.md).
	body := make(map[string]string, len(r.Params))
	for k, v := range r.Params {
		if !hooks.HiddenParams[k] {
			body[k] = v
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	method := r.Method
	if method == "" {
		method = "POST"
	}
	out := requestJSON{IP: r.IP, Method: method, Body: body, Hostname: host,
		UserAgent: r.UserAgent, Language: firstLanguage(r.Language), GeoIP: map[string]any{}}
	if trigger == PostLogin {
		// The token endpoint takes no query parameters; Auth0's post-login
		// always has the object (code indexes into it unguarded).
		out.Query = emptyObject
	}
	return out
}

// firstLanguage is the preferred language of an Accept-Language header
// ("en-US,en;q=0.9" → "en-US"), as Auth0's event.request.language.
func firstLanguage(h string) string {
	first, _, _ := strings.Cut(h, ",")
	first, _, _ = strings.Cut(first, ";")
	first = strings.TrimSpace(first)
	if first == "*" {
		return ""
	}
	return first
}

var emptyObject = json.RawMessage(`{}`)

type tenantJSON struct {
	ID string `json:"id"`
}

type resourceServerJSON struct {
	Identifier string `json:"identifier"`
}

// state is what a trigger's event carries that changes from one Action to
// the next: the token so far and the writes of the Actions before.
type state struct {
	scope        []string
	accessClaims map[string]json.RawMessage
	idClaims     map[string]json.RawMessage
	appMetadata  map[string]any
	userMetadata map[string]any
	txMetadata   map[string]any
}

// credentialsExchangeEvent is event at credentials-exchange (v2).
type credentialsExchangeEvent struct {
	AccessToken    accessTokenJSON     `json:"accessToken"`
	Client         Client              `json:"client"`
	Request        requestJSON         `json:"request"`
	ResourceServer *resourceServerJSON `json:"resource_server,omitempty"`
	Tenant         tenantJSON          `json:"tenant"`
	Transaction    ccTransactionJSON   `json:"transaction"`
	Secrets        map[string]string   `json:"secrets"`
}

type accessTokenJSON struct {
	CustomClaims map[string]json.RawMessage `json:"customClaims"`
	Scope        []string                   `json:"scope"`
}

type ccTransactionJSON struct {
	RequestedScopes []string `json:"requested_scopes"`
}

// postLoginEvent is event at post-login (v3) for the password grant.
type postLoginEvent struct {
	Authentication authenticationJSON  `json:"authentication"`
	Authorization  authorizationJSON   `json:"authorization"`
	Client         Client              `json:"client"`
	Connection     connectionJSON      `json:"connection"`
	Request        requestJSON         `json:"request"`
	ResourceServer *resourceServerJSON `json:"resource_server,omitempty"`
	Stats          statsJSON           `json:"stats"`
	Tenant         tenantJSON          `json:"tenant"`
	Transaction    plTransactionJSON   `json:"transaction"`
	User           userJSON            `json:"user"`
	Secrets        map[string]string   `json:"secrets"`
}

type authenticationJSON struct {
	Methods []methodJSON `json:"methods"`
}

type methodJSON struct {
	Name      string `json:"name"`
	Timestamp string `json:"timestamp"`
}

type authorizationJSON struct {
	Roles []string `json:"roles"`
}

type connectionJSON struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Strategy string         `json:"strategy"`
	Metadata map[string]any `json:"metadata"`
}

type statsJSON struct {
	LoginsCount int `json:"logins_count"`
}

type plTransactionJSON struct {
	// Locale is the language the login runs in: the request's
	// Accept-Language, else "en".
	Locale          string   `json:"locale"`
	Protocol        string   `json:"protocol"`
	RequestedScopes []string `json:"requested_scopes"`
	// AcrValues and UILocales are the authorization request's lists,
	// empty in a password exchange; Auth0 sends them as arrays, and code
	// calls .includes on them unguarded.
	AcrValues []string       `json:"acr_values"`
	UILocales []string       `json:"ui_locales"`
	Metadata  map[string]any `json:"metadata"`
}

type userJSON struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email,omitempty"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	Username      string         `json:"username,omitempty"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
	Identities    []identityJSON `json:"identities"`
	// Multifactor and EnrolledFactors list enrolled factors: none here
	// (no MFA), but code reads .length and calls .map on them.
	Multifactor     []string `json:"multifactor"`
	EnrolledFactors []any    `json:"enrolledFactors"`
	LoginsCount     int      `json:"logins_count"`
	LastLogin       string   `json:"last_login,omitempty"`
	LastIP          string   `json:"last_ip,omitempty"`
	CreatedAt       string   `json:"created_at"`
	UpdatedAt       string   `json:"updated_at"`
}

type identityJSON struct {
	Connection string `json:"connection"`
	UserID     string `json:"user_id"`
	Provider   string `json:"provider"`
	IsSocial   bool   `json:"isSocial"`
}

// PasswordProtocol is event.transaction.protocol of the password grants
// (password and password-realm alike).
const PasswordProtocol = "oauth2-password"

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

func orNoScopes(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// buildEvent encodes the event of trigger for one Action: the request's
// facts, the token so far (st) and the Action's secrets.
func buildEvent(trigger string, in *Input, st *state, secrets map[string]string) ([]byte, error) {
	var rs *resourceServerJSON
	if in.Audience != "" {
		rs = &resourceServerJSON{Identifier: in.Audience}
	}
	client := in.Client
	client.Metadata = orEmpty(client.Metadata)
	if trigger == CredentialsExchange {
		return appendCredentialsExchangeEvent(make([]byte, 0, 1024), in, st, secrets), nil
	}
	var u storage.User
	if in.User != nil {
		u = *in.User
	}
	// This login counts: Auth0's post-login sees logins_count including it.
	logins := u.LoginsCount + 1
	ev := postLoginEvent{
		Authentication: authenticationJSON{Methods: []methodJSON{{Name: "pwd", Timestamp: isoTime(in.Now)}}},
		Authorization:  authorizationJSON{Roles: []string{}},
		Client:         client,
		Connection: connectionJSON{ID: storage.DatabaseConnectionID(in.Tenant), Name: storage.DatabaseConnection,
			Strategy: "auth0", Metadata: map[string]any{}},
		Request:        in.Request.event(trigger),
		ResourceServer: rs,
		Stats:          statsJSON{LoginsCount: logins},
		Tenant:         tenantJSON{ID: in.Tenant},
		Transaction: plTransactionJSON{Locale: orDefault(firstLanguage(in.Request.Language), "en"), Protocol: PasswordProtocol, RequestedScopes: orNoScopes(in.Requested),
			AcrValues: []string{}, UILocales: []string{}, Metadata: orEmpty(st.txMetadata)},
		User: userJSON{
			UserID: u.UserID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name,
			GivenName: u.GivenName, FamilyName: u.FamilyName, Nickname: u.Nickname, Picture: u.Picture,
			Username:     u.Username,
			AppMetadata:  merged(u.AppMetadata, st.appMetadata),
			UserMetadata: merged(u.UserMetadata, st.userMetadata),
			Identities: []identityJSON{{Connection: orDefault(u.Connection, storage.DatabaseConnection),
				UserID: strings.TrimPrefix(u.UserID, "auth0|"), Provider: "auth0"}},
			Multifactor:     []string{},
			EnrolledFactors: []any{},
			LoginsCount:     logins,
			LastIP:          u.LastIP,
			CreatedAt:       isoTime(u.CreatedAt),
			UpdatedAt:       isoTime(u.UpdatedAt),
		},
		Secrets: orEmpty(secrets),
	}
	if u.LastLogin != nil {
		ev.User.LastLogin = isoTime(*u.LastLogin)
	}
	return json.Marshal(ev)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// merged is base with the properties set by earlier Actions applied (a
// nil value deletes the property), as the next Action's event shows it.
func merged(base, set map[string]any) map[string]any {
	if len(set) == 0 {
		return orEmpty(base)
	}
	out := make(map[string]any, len(base)+len(set))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range set {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// credentialsExchangeEventJSON is the reference encoding of the
// credentials-exchange event, which the hand-written one (event_fast.go)
// must match.
func credentialsExchangeEventJSON(in *Input, st *state, secrets map[string]string) ([]byte, error) {
	var rs *resourceServerJSON
	if in.Audience != "" {
		rs = &resourceServerJSON{Identifier: in.Audience}
	}
	client := in.Client
	client.Metadata = orEmpty(client.Metadata)
	return json.Marshal(credentialsExchangeEvent{
		AccessToken:    accessTokenJSON{CustomClaims: orEmpty(st.accessClaims), Scope: orNoScopes(st.scope)},
		Client:         client,
		Request:        in.Request.event(CredentialsExchange),
		ResourceServer: rs,
		Tenant:         tenantJSON{ID: in.Tenant},
		Transaction:    ccTransactionJSON{RequestedScopes: orNoScopes(in.Requested)},
		Secrets:        orEmpty(secrets),
	})
}
