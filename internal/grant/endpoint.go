package grant

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
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

// Endpoint serves POST /oauth/token.
type Endpoint struct {
	Issuer  string
	Catalog Catalog
	Events  EventRecorder
	Metrics *Metrics
	// Hooks runs the enabled hook of a point; nil disables hooks.
	Hooks HookRunner
	// Users, Passwords and Lockout serve the password grants; with Users
	// or Passwords nil they are unsupported.
	Users     UserStore
	Passwords *password.Hasher
	Lockout   password.Lockout
	Now       func() time.Time
	Log       *slog.Logger
}

// request is one token request as the pipeline sees it.
type request struct {
	ctx       context.Context
	snap      *catalog.Snapshot
	params    params
	grantType string
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
}

// issued is what a grant hands back to be written and logged.
type issued struct {
	response oauth.TokenResponse
	event    storage.LogEvent
}

// ServeHTTP is the whole pipeline.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{ctx: r.Context(), snap: e.Catalog.Snapshot(), ip: clientIP(r), userAgent: r.UserAgent(),
		forwardedFor: r.Header.Get(forwardedForHeader), header: r.Header, host: r.Host, now: e.Now(), id: newRequestID()}
	out, failure := e.serve(r, req)
	if failure != nil {
		e.fail(w, req, out.event, failure)
		return
	}
	oauth.WriteToken(w, out.response)
	e.Metrics.issued(req.grantType)
	e.record(req, out.event)
}

func (e *Endpoint) serve(r *http.Request, req *request) (issued, *oauth.Error) {
	if r.Method != http.MethodPost {
		return issued{}, &oauth.Error{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "Use POST"}
	}
	p, err := parseParams(r)
	if err != nil {
		return issued{}, oauth.InvalidRequest(err.Error())
	}
	req.params = p
	req.grantType = p["grant_type"]
	if req.grantType == "" {
		return issued{}, oauth.MissingParameter("grant_type")
	}
	var creds *oauth.Error
	if req.creds, creds = clientCredentials(r, p); creds != nil {
		return issued{}, creds
	}
	switch req.grantType {
	case oauth.GrantClientCredentials:
		return e.clientCredentials(req)
	case oauth.GrantPassword, oauth.GrantPasswordRealm:
		return e.password(req)
	default:
		return issued{}, oauth.UnsupportedGrantType(req.grantType)
	}
}

// fail writes the error, counts it and logs it as a failed exchange event
// where the grant type has one.
func (e *Endpoint) fail(w http.ResponseWriter, req *request, ev storage.LogEvent, failure *oauth.Error) {
	if failure.Status >= 500 {
		e.Log.Error("token request failed", "grant_type", req.grantType, "client_id", req.creds.id, "error", failure.Code, "cause", failure.Cause)
	}
	oauth.WriteError(w, failure)
	e.Metrics.failed(req.grantType, failure.Code)
	var typ string
	switch req.grantType {
	case oauth.GrantClientCredentials:
		typ = eventlog.FailedCredentialsExchange
	case oauth.GrantPassword, oauth.GrantPasswordRealm:
		typ = eventlog.FailedPasswordExchange
	default:
		return
	}
	ev.Type = typ
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

// scopeString joins scopes for the JWT claim and the response.
func scopeString(scopes []string) string { return strings.Join(scopes, " ") }

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
