package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Executor runs code on the hook runtimes (*hooks.Runner).
type Executor interface {
	Exec(ctx context.Context, req hooks.ExecRequest) hooks.ExecResult
}

// DefaultTimeout bounds one trigger's execution, all its Actions together
// (Auth0's limit).
const DefaultTimeout = 20 * time.Second

// Runner runs the Actions bound to a trigger inside a token request.
type Runner struct {
	Exec  Executor
	Cache *Cache
	// Now is the server's clock (api.cache expiry reads it).
	Now func() time.Time
	// Timeout bounds a trigger's execution (0 = DefaultTimeout).
	Timeout time.Duration

	programs programs
}

// NewRunner returns a Runner on exec with an empty cache.
func NewRunner(exec Executor, now func() time.Time) *Runner {
	return &Runner{Exec: exec, Cache: NewCache(), Now: now}
}

// ActionResult is one Action's run, for the tenant log's details.actions
// and GET /actions/executions/{id}.
type ActionResult struct {
	ActionID   string
	ActionName string
	VersionID  string
	StartedAt  time.Time
	EndedAt    time.Time
	// Error is set when the Action failed (threw, timed out); a deny is
	// no failure of the Action, only of the request.
	Error *ResultError
}

// ResultError is why an Action failed.
type ResultError struct {
	ID  string `json:"id"`
	Msg string `json:"msg"`
}

// Result is what a trigger's Actions did to the request.
type Result struct {
	// Changes are the token changes: the hook's, with the Actions' on top.
	Changes hooks.Changes
	// AppMetadata and UserMetadata are post-login's api.user writes, to
	// persist after the flow: each property set (nil = deleted).
	AppMetadata  map[string]any
	UserMetadata map[string]any
	// Err is the answer when an Action denied or failed; the Actions
	// after it did not run.
	Err     *oauth.Error
	Results []ActionResult
}

// record is what the glue answers: what the code asked of api.
type record struct {
	AccessClaims map[string]json.RawMessage `json:"access_claims"`
	IDClaims     map[string]json.RawMessage `json:"id_claims"`
	Scope        *[]string                  `json:"scope"`
	Deny         *struct {
		Code       string `json:"code"`
		Reason     string `json:"reason"`
		Validation bool   `json:"validation"`
	} `json:"deny"`
	AppMetadata  map[string]any `json:"app_metadata"`
	UserMetadata map[string]any `json:"user_metadata"`
	TxMetadata   map[string]any `json:"tx_metadata"`
	Cache        []cacheOp      `json:"cache"`
}

// glueState is the glue's second argument.
type glueState struct {
	Trigger string                 `json:"trigger"`
	Export  string                 `json:"export"`
	Now     int64                  `json:"now"`
	Scope   []string               `json:"scope"`
	Cache   map[string]CacheRecord `json:"cache,omitempty"`
}

// Run runs bound (in binding order) at trigger after the point's hook,
// whose changes are the starting point; granted are the scopes granted
// before the hook. One Action that denies or fails stops the flow.
func (r *Runner) Run(ctx context.Context, trigger string, bound []storage.BoundAction, in *Input, hook hooks.Changes, granted []string) Result {
	t, ok := LookupTrigger(trigger)
	res := Result{Changes: hook}
	if !ok {
		res.Err = oauth.ServerError("", fmt.Errorf("actions: unknown trigger %q", trigger))
		return res
	}
	if len(bound) == 0 {
		return res
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline := time.Now().Add(timeout)
	st := &state{scope: hook.Access.ScopesOr(granted),
		accessClaims: clone(hook.Access.Claims), idClaims: clone(hook.ID.Claims)}
	scopeSet := hook.Access.ScopeSet
	// Target scopes may not grow past the client grant, nor past what the
	// hook already granted.
	allowed := append(slices.Clone(in.Allowed), st.scope...)
	for _, ba := range bound {
		ar := ActionResult{ActionID: ba.Binding.ActionID, ActionName: ba.ActionName, VersionID: ba.Version.ID, StartedAt: r.Now()}
		rec, failure := r.runOne(ctx, t, ba, in, st, time.Until(deadline))
		ar.EndedAt = r.Now()
		if failure != nil && rec == nil {
			ar.Error = &ResultError{ID: failure.Code, Msg: failure.Description}
		}
		res.Results = append(res.Results, ar)
		if rec != nil {
			r.Cache.apply(in.Tenant, t.ID, rec.Cache, r.Now())
			if f := st.apply(t, rec, allowed); f != nil && failure == nil {
				failure = f
			}
			if rec.Scope != nil {
				scopeSet = true
			}
			res.AppMetadata = setAll(res.AppMetadata, rec.AppMetadata)
			res.UserMetadata = setAll(res.UserMetadata, rec.UserMetadata)
		}
		if failure != nil {
			res.Err = failure
			return res
		}
	}
	res.Changes.Access = hooks.TokenChanges{Scope: st.scope, ScopeSet: scopeSet, Claims: st.accessClaims}
	res.Changes.ID.Claims = st.idClaims
	return res
}

// runOne runs one Action. A nil record with an error is a failure of the
// Action; a record with an error is a deny.
func (r *Runner) runOne(ctx context.Context, t *Trigger, ba storage.BoundAction, in *Input, st *state, budget time.Duration) (*record, *oauth.Error) {
	v := ba.Version
	secrets := secretMap(v.Secrets)
	event, err := buildEvent(t.ID, in, st, secrets)
	if err != nil {
		return nil, oauth.ServerError("", err)
	}
	now := r.Now()
	gs, err := json.Marshal(glueState{Trigger: t.ID, Export: t.Export, Now: now.UnixMilli(), Scope: orNoScopes(st.scope),
		Cache: r.Cache.Snapshot(in.Tenant, t.ID, now)})
	if err != nil {
		return nil, oauth.ServerError("", err)
	}
	if budget <= 0 {
		return nil, oauth.ServerError(timeoutDescription, nil)
	}
	req := r.request(ba, secrets)
	req.Args, req.Timeout, req.RequestID = []json.RawMessage{event, gs}, budget, in.RequestID
	return parseOutcome(t, r.Exec.Exec(ctx, req))
}

// request is how a bound Action runs: its deployed version's program,
// secrets and runtime, its warm state keyed by the version.
func (r *Runner) request(ba storage.BoundAction, secrets map[string]string) hooks.ExecRequest {
	v := ba.Version
	return hooks.ExecRequest{
		Script: hooks.Script{Tenant: v.Tenant, ID: ba.Binding.ActionID, Name: ba.ActionName, Source: r.programs.get(v.ID, v.Code),
			Secrets: secrets, Runtime: v.Engine, Modules: v.Modules},
		// A version is immutable: its id (and its npm tree) name its code.
		Key: "action\x00" + v.ID + "\x00" + v.Modules,
	}
}

// Warmer readies code on its runtime ahead of its first run
// (*hooks.Runner).
type Warmer interface {
	WarmExec(ctx context.Context, req hooks.ExecRequest) error
}

// Warm readies a bound Action on its runtime (a Node worker with its
// module loaded) so that the first token does not wait for it; nothing
// to do on the embedded engine, or when Exec cannot warm.
func (r *Runner) Warm(ctx context.Context, ba storage.BoundAction) error {
	w, ok := r.Exec.(Warmer)
	if !ok || ba.Version.Engine != storage.RuntimeNode {
		return nil
	}
	return w.WarmExec(ctx, r.request(ba, secretMap(ba.Version.Secrets)))
}

// timeoutDescription is what a trigger past its time answers (Auth0's
// text for extensibility code out of time, as for hooks).
const timeoutDescription = "Request to Webtask exceeded allowed execution time"

// parseOutcome maps a run's outcome: the engine's failure, what the code
// threw (the trigger's plain error), or its record.
func parseOutcome(t *Trigger, out hooks.ExecResult) (*record, *oauth.Error) {
	switch {
	case out.Err != nil:
		return nil, asAction(out.Err)
	case out.Thrown != nil:
		return nil, thrown(t, out.Thrown.Message)
	}
	var rec record
	if err := json.Unmarshal(out.Response, &rec); err != nil {
		return nil, oauth.ServerError("The Action's answer could not be read", err)
	}
	if d := rec.Deny; d != nil {
		return &rec, denied(t, d.Code, d.Reason, d.Validation)
	}
	return &rec, nil
}

// asAction words the runtimes' own errors (no Node.js, dependencies not
// installed here yet), which name "the hook", for the Action that hit
// them.
func asAction(e *oauth.Error) *oauth.Error {
	if rest, ok := strings.CutPrefix(e.Description, "The hook"); ok {
		c := *e
		c.Description = "The Action" + rest
		return &c
	}
	return e
}

// thrown is the answer to an Action that threw: at credentials-exchange a
// server_error, at post-login access_denied, with the error's message.
func thrown(t *Trigger, msg string) *oauth.Error {
	msg = nodeWording(msg)
	if t.ID == PostLogin {
		return oauth.AccessDenied(msg)
	}
	return oauth.ServerError(msg, nil)
}

// gojaRead is the embedded engine's wording of a property read on
// undefined (or null, which it does not tell apart).
var gojaRead = regexp.MustCompile(`^Cannot read property '(.*)' of (undefined|null)(?: or null)?$`)

// nodeWording words the embedded engine's commonest TypeError as the
// Node.js of Auth0's Actions (node18, node22) does, so the error an Action
// answers with reads the same on both runtimes ("Cannot read properties
// of undefined (reading 'map')").
func nodeWording(msg string) string {
	m := gojaRead.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	return "Cannot read properties of " + m[2] + " (reading '" + m[1] + "')"
}

// denied is the answer to api.access.deny (and post-login's
// api.validation.error, which names its own error code).
// The texts are the Action author's: capped like a hook's error message.
func denied(t *Trigger, code, reason string, validation bool) *oauth.Error {
	code, reason = sandbox.CapMessage(code), sandbox.CapMessage(reason)
	if t.ID == PostLogin {
		if validation {
			return &oauth.Error{Status: http.StatusForbidden, Code: code, Description: reason}
		}
		return oauth.AccessDenied(reason)
	}
	switch code {
	case "invalid_scope":
		return oauth.InvalidScope(reason)
	case "invalid_request":
		return oauth.InvalidRequest(reason)
	}
	return oauth.ServerError(reason, nil)
}

// apply takes an Action's record into the state the next Action sees.
func (st *state) apply(t *Trigger, rec *record, allowed []string) *oauth.Error {
	st.accessClaims = setClaims(st.accessClaims, rec.AccessClaims)
	st.idClaims = setClaims(st.idClaims, rec.IDClaims)
	if claimsSize(st.accessClaims) > hooks.MaxClaimsBytes || claimsSize(st.idClaims) > hooks.MaxClaimsBytes {
		return oauth.ServerError("Custom claims exceed the 100 KB limit", nil)
	}
	if rec.Scope != nil {
		scope := *rec.Scope
		if t.ID == CredentialsExchange {
			// Auth0 intersects target scopes with the client grant; the
			// rest are dropped silently.
			scope = slices.DeleteFunc(slices.Clone(scope), func(s string) bool { return !slices.Contains(allowed, s) })
		}
		st.scope = orNoScopes(scope)
	}
	st.appMetadata = setAll(st.appMetadata, rec.AppMetadata)
	st.userMetadata = setAll(st.userMetadata, rec.UserMetadata)
	st.txMetadata = setAll(st.txMetadata, rec.TxMetadata)
	return nil
}

// restricted are claim names Actions may not set (Auth0 drops them
// silently): the registered claims the server writes itself, those that
// carry authorization decisions, and the rest of Auth0's documented list
// of restricted claims (groups and uuid among them).
var restricted = map[string]bool{
	"acr": true, "act": true, "active": true, "amr": true, "at_hash": true, "ath": true, "attest": true, "aud": true,
	"auth_time": true, "authorization_details": true, "azp": true, "c_hash": true, "client_id": true,
	"cnf": true, "cty": true, "dest": true, "dpop_jkt": true, "entitlements": true, "events": true, "exp": true,
	"groups": true, "gty": true, "htm": true, "htu": true, "iat": true, "internalService": true, "iss": true,
	"jcard": true, "jku": true, "jti": true, "jwe": true, "jwk": true, "kid": true, "may_act": true,
	"mfa": true, "mky": true, "nbf": true, "nonce": true, "object_id": true, "org_id": true, "org_name": true,
	"orig": true, "origid": true, "orig_jti": true, "permissions": true, "roles": true, "rph": true,
	"s_hash": true, "scope": true, "sid": true, "sip_callid": true, "sip_cseq_num": true, "sip_date": true,
	"sip_from_tag": true, "sip_via_branch": true, "sub": true, "sub_jwk": true, "tenant": true, "toe": true,
	"token_use": true, "txn": true, "typ": true, "use": true, "uuid": true, "vot": true, "vtm": true,
	"x5t#S256": true,
}

func setClaims(dst, set map[string]json.RawMessage) map[string]json.RawMessage {
	for k, v := range set {
		if restricted[k] || hooks.ReservedNamespace(k) || auth0URN(k) {
			continue
		}
		if dst == nil {
			dst = map[string]json.RawMessage{}
		}
		dst[k] = v
	}
	return dst
}

// auth0URN reports a claim name under the URN namespace urn:auth0, which
// Auth0 reserves (URN namespace identifiers ignore case).
func auth0URN(name string) bool {
	const nid = "urn:auth0"
	return len(name) >= len(nid) && strings.EqualFold(name[:len(nid)], nid) && (len(name) == len(nid) || name[len(nid)] == ':')
}

func claimsSize(m map[string]json.RawMessage) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

func setAll(dst, set map[string]any) map[string]any {
	for k, v := range set {
		if dst == nil {
			dst = map[string]any{}
		}
		dst[k] = v
	}
	return dst
}

func clone[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return nil
	}
	out := make(M, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// secretMap is event.secrets: a secret created without a value
// (storage.SecretUnset, from an import that held names only) is absent,
// so the code sees undefined, as hooks see theirs.
func secretMap(list []storage.ActionSecret) map[string]string {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]string, len(list))
	for _, s := range list {
		if s.Value != storage.SecretUnset {
			m[s.Name] = s.Value
		}
	}
	return m
}
