package grant

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// ActionRunner runs a trigger's bound Actions after the point's hook
// (*actions.Runner).
type ActionRunner interface {
	Run(ctx context.Context, trigger string, bound []storage.BoundAction, in *actions.Input, hook hooks.Changes, granted []string) actions.Result
}

// runActions runs the Actions bound to the grant's trigger, in binding
// order, on top of the hook's changes, and records them in the request's
// tenant log event: the event's log id is the execution id that GET
// /api/v2/actions/executions/{id} reads. Nothing here touches storage;
// api.user metadata writes wait in the request until the flow has ended.
func (e *Endpoint) runActions(req *request, changes hooks.Changes) (hooks.Changes, *oauth.Error) {
	// Never for tokenhook's own Management API, as for hooks (runHook).
	if e.Actions == nil || (req.api != nil && req.api.IsSystem) {
		return changes, nil
	}
	t, ok := actions.TriggerAtPoint(req.grant.point)
	if !ok {
		return changes, nil
	}
	trigger := t.ID
	bound := req.snap.BoundActions(trigger)
	if len(bound) == 0 {
		return changes, nil
	}
	tenant := req.snap.Tenant
	in := actions.Input{
		Tenant:    tenant,
		RequestID: req.id,
		Client:    actions.Client{ClientID: req.client.ClientID, Name: req.client.Name, Metadata: req.client.Metadata},
		Audience:  req.audience,
		Requested: requestedScopes(req),
		Allowed:   req.allowed,
		Request: actions.Request{IP: req.ip, Method: "POST", Params: req.params, Host: req.host, UserAgent: req.userAgent,
			Language: req.header.Get("Accept-Language")},
		Now: req.now,
	}
	if req.grant.user {
		// A copy: a pointer into req would move every request to the heap.
		user := req.user
		in.User = &user
	}
	res := e.Actions.Run(req.ctx, trigger, bound, &in, changes, req.scopes)
	ev := &req.event
	ev.LogID = eventlog.NewID(req.now)
	if ev.Details == nil {
		ev.Details = map[string]any{}
	}
	// []any: the tenant log keeps detail values of JSON's own types.
	results := make([]any, 0, len(res.Results))
	for _, r := range res.Results {
		m := map[string]any{
			"action_id": r.ActionID, "action_name": r.ActionName, "version_id": r.VersionID,
			"started_at": r.StartedAt.UTC().Format(time.RFC3339Nano), "ended_at": r.EndedAt.UTC().Format(time.RFC3339Nano),
		}
		if r.Error != nil {
			m["error"] = map[string]any{"id": r.Error.ID, "msg": r.Error.Msg}
		}
		results = append(results, m)
	}
	ev.Details["actions"] = map[string]any{"executions": []string{ev.LogID}, "trigger_id": trigger, "results": results}
	if res.Err != nil {
		return changes, res.Err
	}
	req.appMetadata, req.userMetadata = res.AppMetadata, res.UserMetadata
	return res.Changes, nil
}

// requestedScopes is event.transaction.requested_scopes: the scope
// parameter's scopes.
func requestedScopes(req *request) []string {
	if req.requested != nil {
		return req.requested
	}
	return strings.Fields(req.params["scope"])
}

// saveMetadata persists post-login's api.user.setAppMetadata and
// setUserMetadata once the flow has ended, before the answer, so the next
// login's event.user shows them. Each property set replaces that property
// (a nil value deletes it), as on Auth0.
func (e *Endpoint) saveMetadata(req *request) *oauth.Error {
	if len(req.appMetadata) == 0 && len(req.userMetadata) == 0 {
		return nil
	}
	// The closure captures copies, not req (see runActions).
	app, user, now := req.appMetadata, req.userMetadata, req.now
	_, err := e.Users.UpdateUser(req.ctx, req.snap.Tenant, req.user.UserID, func(u storage.User) (storage.User, error) {
		u.AppMetadata = setProperties(u.AppMetadata, app)
		u.UserMetadata = setProperties(u.UserMetadata, user)
		if err := storage.CheckMetadata("app_metadata", u.AppMetadata); err != nil {
			return u, err
		}
		if err := storage.CheckMetadata("user_metadata", u.UserMetadata); err != nil {
			return u, err
		}
		u.UpdatedAt = now
		return u, nil
	})
	// Metadata the user's record cannot keep fails the login, as a deny
	// would: the Action asked for something that cannot be stored.
	var bad *storage.MetadataError
	if errors.As(err, &bad) {
		return oauth.AccessDenied("api.user: " + bad.Reason)
	}
	if err != nil {
		return oauth.ServerError("", err)
	}
	return nil
}

func setProperties(m, set map[string]any) map[string]any {
	if len(set) == 0 {
		return m
	}
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}
