package grant

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Catalog gives the current snapshot of the tenant.
type Catalog interface {
	Snapshot() *catalog.Snapshot
}

// HookRunner runs a hook at an extensibility point.
type HookRunner interface {
	Run(ctx context.Context, trigger string, s hooks.Script, in hooks.Input, requestID string) hooks.Execution
}

// EventRecorder takes tenant log events without blocking on storage.
type EventRecorder interface {
	Record(storage.LogEvent)
}

// Passwords compares login passwords (password.Hasher): Matches for a
// user, Waste for the same work on a name that is no user's.
type Passwords interface {
	Matches(hash, pw string) bool
	Waste(pw string)
}

var _ Passwords = (*password.Hasher)(nil)

// Endpoint serves POST /oauth/token.
type Endpoint struct {
	Issuer  string
	Catalog Catalog
	Events  EventRecorder
	Metrics *Metrics
	// Hooks runs the enabled hook of a point; nil disables hooks.
	Hooks HookRunner
	// Actions runs the Actions bound to a trigger after its hook; nil
	// disables Actions.
	Actions ActionRunner
	// Users, Passwords and Lockout serve the password grants; with Users
	// or Passwords nil they are unsupported.
	Users     UserStore
	Passwords Passwords
	Lockout   password.Lockout
	Now       func() time.Time
	Log       *slog.Logger

	attempts password.AttemptGate
}

// request is one token request as the pipeline sees it: each phase fills
// in its part. It stays on the stack (the phases are direct calls), so a
// token request costs no allocation for it.
type request struct {
	ctx       context.Context
	snap      *catalog.Snapshot
	params    params
	grantType string
	grant     *grant // nil for a grant type this server does not know
	creds     credentials
	ip        string
	userAgent string
	// forwardedFor is the auth0-forwarded-for header, honoured only for
	// confidential clients (password.go).
	forwardedFor string
	// header and host are the request's, for the hook's
	// context.webtask.headers (built only when a hook runs).
	header http.Header
	host   string
	now    time.Time
	id     string // request id: tags hook log lines and events
	event  storage.LogEvent

	client   *storage.Client
	audience string                  // "" only for an ID token good for /userinfo alone
	api      *storage.ResourceServer // nil when audience is ""
	// requested are the scope parameter's scopes (password grants).
	requested []string
	// openid: an ID token was asked for (grants with user tokens only).
	openid bool
	scopes []string     // granted, before the hook
	user   storage.User // grants with user tokens: the authenticated user
	// allowed bounds the Actions' target scopes (the client grant's).
	allowed []string
	// appMetadata and userMetadata are post-login Actions' api.user
	// writes, persisted once the flow has ended (saveMetadata).
	appMetadata, userMetadata map[string]any
}

// maxUserAgent bounds the User-Agent a request carries into hooks and the
// tenant log.
const maxUserAgent = 512

// ServeHTTP is the whole pipeline.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The User-Agent reaches the tenant log and hooks: made text and
	// capped here, whatever its length (up to the header limit) and bytes.
	req := &request{ctx: r.Context(), snap: e.Catalog.Snapshot(), ip: clientIP(r), userAgent: eventlog.Clip(r.UserAgent(), maxUserAgent),
		forwardedFor: r.Header.Get(forwardedForHeader), header: r.Header, host: r.Host, now: e.Now(), id: newRequestID()}
	resp, failure := e.serve(r, req)
	if failure != nil {
		e.fail(w, req, failure)
		return
	}
	oauth.WriteToken(w, resp)
	e.Metrics.issued(req.grantType)
	e.record(req, req.event)
}

// serve reads the request and picks its grant, then runs the phases every
// grant shares.
func (e *Endpoint) serve(r *http.Request, req *request) (oauth.TokenResponse, *oauth.Error) {
	if r.Method != http.MethodPost {
		return oauth.TokenResponse{}, &oauth.Error{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "Use POST"}
	}
	p, err := parseParams(r)
	if err != nil {
		return oauth.TokenResponse{}, oauth.InvalidRequest(err.Error())
	}
	req.params = p
	req.grantType = p["grant_type"]
	if req.grantType == "" {
		return oauth.TokenResponse{}, oauth.MissingParameter("grant_type")
	}
	req.grant = grantNamed(req.grantType)
	var creds *oauth.Error
	if req.creds, creds = clientCredentials(r, p); creds != nil {
		return oauth.TokenResponse{}, creds
	}
	if req.grant == nil || (req.grant.user && (e.Users == nil || e.Passwords == nil)) {
		return oauth.TokenResponse{}, oauth.UnsupportedGrantType(req.grantType)
	}
	return e.run(req)
}

// run is the token pipeline every grant goes through, in this order. A
// grant supplies only its own parameter checks and its authorization
// (grants.go dispatches to its file); nothing else is up to it, so no
// grant can skip client authentication, the audience rules, the hook or
// the way tokens are minted.
func (e *Endpoint) run(req *request) (oauth.TokenResponse, *oauth.Error) {
	g := req.grant
	req.event.Type, req.event.Description = g.success, g.description
	var none oauth.TokenResponse
	// 1. Client authentication. Public clients (token_endpoint_auth_method
	// none) run on a user's device and cannot keep a secret: only grants
	// that allow them let them through without one.
	client, failure := authenticateClient(req.snap, req.creds, !g.public)
	if failure != nil {
		return none, failure
	}
	req.client = client
	req.event.ClientID, req.event.ClientName = client.ClientID, client.Name
	// 2. The grant type must be enabled on the client.
	if !hasGrantType(client, req.grantType) {
		return none, oauth.UnauthorizedClient(req.grantType)
	}
	// 3. The grant's own parameters: cheap checks, so a malformed request
	// never costs a lookup or a bcrypt compare.
	if failure := e.checkParams(req); failure != nil {
		return none, failure
	}
	// 4. Audience (or the tenant's default_audience) → the API.
	if failure := e.resolveAudience(req); failure != nil {
		return none, failure
	}
	// 5. The grant's authorization: what is granted, and to whom.
	if failure := e.authorize(req); failure != nil {
		return none, failure
	}
	// 6. The point's enabled hook, if any.
	changes, failure := e.runHook(req)
	if failure != nil {
		return none, failure
	}
	// 7. The trigger's bound Actions, in binding order, on top of the
	// hook's changes.
	if changes, failure = e.runActions(req, changes); failure != nil {
		return none, failure
	}
	// 8. Mint.
	resp, failure := e.mint(req, changes)
	if failure != nil {
		return none, failure
	}
	// 9. What the Actions asked to keep of the user, before the answer:
	// the next login sees it.
	if failure := e.saveMetadata(req); failure != nil {
		return none, failure
	}
	// Login statistics are bookkeeping: a failure to write them is logged,
	// not turned into a failed login.
	if g.user {
		if err := e.Users.RecordLogin(req.ctx, req.snap.Tenant, req.user.UserID, req.ip, req.now); err != nil {
			e.Log.Error("recording a login failed", "user_id", req.user.UserID, "err", err)
		}
	}
	return resp, nil
}

// fail writes the error, counts it and logs it as a failed exchange event
// where the grant type has one.
func (e *Endpoint) fail(w http.ResponseWriter, req *request, failure *oauth.Error) {
	if failure.Status >= 500 {
		e.Log.Error("token request failed", "grant_type", req.grantType, "client_id", req.creds.id, "error", failure.Code, "cause", failure.Cause)
	}
	oauth.WriteError(w, failure)
	e.Metrics.failed(req.grantType, failure.Code)
	if req.grant == nil {
		return
	}
	ev := req.event
	ev.Type = req.grant.failure
	ev.Description = failure.Description
	if ev.ClientID == "" {
		ev.ClientID = req.creds.id
	}
	if ev.Details == nil {
		ev.Details = map[string]any{}
	}
	ev.Details["error"] = failure.Code
	e.record(req, ev)
}

func (e *Endpoint) record(req *request, ev storage.LogEvent) {
	ev.Tenant = req.snap.Tenant
	ev.Date = req.now
	ev.IP = req.ip
	ev.UserAgent = req.userAgent
	e.Events.Record(ev)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
