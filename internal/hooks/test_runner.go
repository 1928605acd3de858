package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DefaultPayload is what the runner pre-fills for a trigger (compat-spec §3.6).
func DefaultPayload(trigger string) json.RawMessage {
	const cc = `"audience": "https://my-tenant.auth0.com/api/v2/",
  "client": {"id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "name": "client-name", "tenant": "my-tenant", "metadata": {"plan": "full"}},
  "scope": ["read:connections"]`
	if trigger == PasswordExchange {
		return json.RawMessage(`{
  ` + cc + `,
  "user": {"id": "abc123", "tenant": "my-tenant", "username": "user1", "email": "user1@foo.com", "emailVerified": true,
    "user_metadata": {"hobby": "surfing"}, "app_metadata": {"plan": "full"}}
}`)
	}
	return json.RawMessage("{\n  " + cc + "\n}")
}

// testPayload is a runner payload. Fields are kept raw so a user can test
// any shape their code handles; context.ip, context.userAgent,
// context.body and context.headers (the token request's parameters and
// headers a hook would see) are optional.
type testPayload struct {
	Audience json.RawMessage `json:"audience"`
	Client   json.RawMessage `json:"client"`
	Scope    json.RawMessage `json:"scope"`
	User     json.RawMessage `json:"user"`
	Context  struct {
		IP        string            `json:"ip"`
		UserAgent string            `json:"userAgent"`
		Body      map[string]string `json:"body"`
		Headers   map[string]string `json:"headers"`
	} `json:"context"`
}

// runnerRequestID tags the runner's log lines and is its context.webtask.id.
const runnerRequestID = "runner"

// ErrPayload reports a runner payload that is not usable.
var ErrPayload = errors.New("hooks: invalid payload")

// Report is the answer of the test runner: what would be issued, the
// console output, the duration and the error a token request would get.
type Report struct {
	// Result is the filtered response as the runner shows it: for
	// credentials-exchange {"scope": [...], "<claim>": ...}; for
	// password-exchange {"accessToken": {...}, "idToken": {...}}.
	Result     map[string]any `json:"result"`
	Logs       []ReportLog    `json:"logs"`
	DurationMS float64        `json:"duration_ms"`
	Error      *ReportError   `json:"error"`
}

// ReportLog is one console line in a Report.
type ReportLog struct {
	Time    string `json:"time"`
	Level   string `json:"level"`
	Message string `json:"message"`
}

// ReportError is the OAuth error the token request would have answered.
type ReportError struct {
	Status      int    `json:"status"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// Test runs s at trigger with payload (the default when empty) without
// saving anything; s.Secrets become context.webtask.secrets.
func (r *Runner) Test(ctx context.Context, trigger string, s Script, payload json.RawMessage) (Report, error) {
	if !KnownTrigger(trigger) {
		return Report{}, fmt.Errorf("%w: unknown triggerId %q", ErrPayload, trigger)
	}
	if len(strings.TrimSpace(string(payload))) == 0 || string(payload) == "null" {
		payload = DefaultPayload(trigger)
	}
	var p testPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	c, err := json.Marshal(Context{IP: p.Context.IP, UserAgent: p.Context.UserAgent, Secrets: s.Secrets,
		Body: p.Context.Body, Headers: p.Context.Headers, Meta: webtaskMeta(s.Name, trigger), ID: runnerRequestID})
	if err != nil {
		return Report{}, err
	}
	a := []json.RawMessage{p.Client, p.Scope, p.Audience, c}
	if trigger == PasswordExchange {
		a = append([]json.RawMessage{p.User}, a...)
	}
	// The runner's execution is isolated (fresh module state, issue 12)
	// and its storage a scratch copy (see scratchStorage).
	ex := r.execute(ctx, trigger, s, a, runnerRequestID, r.runnerStorage(ctx, s), true)
	rep := Report{DurationMS: float64(ex.Duration.Microseconds()) / 1000, Logs: make([]ReportLog, 0, len(ex.Logs))}
	for _, l := range ex.Logs {
		rep.Logs = append(rep.Logs, ReportLog{Time: l.Time.UTC().Format("2006-01-02T15:04:05.000Z"), Level: l.Level, Message: l.Text})
	}
	if ex.Err != nil {
		rep.Error = &ReportError{Status: ex.Err.Status, Error: ex.Err.Code, Description: ex.Err.Description}
		return rep, nil
	}
	var granted []string
	_ = json.Unmarshal(p.Scope, &granted)
	access := issuedView(ex.Changes.Access, granted)
	if trigger == PasswordExchange {
		rep.Result = map[string]any{"accessToken": access, "idToken": issuedView(ex.Changes.ID, nil)}
	} else {
		rep.Result = access
	}
	return rep, nil
}

// issuedView is one token's changes as they would be issued: the claims
// that survived the filter and the resulting scope list.
func issuedView(tc TokenChanges, granted []string) map[string]any {
	out := map[string]any{}
	for k, v := range tc.Claims {
		out[k] = v
	}
	if granted != nil || tc.ScopeSet {
		scope := granted
		if tc.ScopeSet {
			scope = tc.Scope
		}
		if scope == nil {
			scope = []string{}
		}
		out["scope"] = scope
	}
	return out
}
