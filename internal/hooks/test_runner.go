package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// DefaultPayload is what the runner pre-fills for a trigger (compat-spec
// §3.6): the point's DefaultPayload, nil for an unknown trigger.
func DefaultPayload(trigger string) json.RawMessage {
	if p, ok := Lookup(trigger); ok {
		return p.DefaultPayload
	}
	return nil
}

// payloadContext is the runner payload's `context`: context.ip,
// context.userAgent, context.body and context.headers (the token request's
// parameters and headers a hook would see) are optional; the secrets come
// from the hook.
type payloadContext struct {
	IP        string            `json:"ip"`
	UserAgent string            `json:"userAgent"`
	Body      map[string]string `json:"body"`
	Headers   map[string]string `json:"headers"`
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
	p, ok := Lookup(trigger)
	if !ok {
		return Report{}, fmt.Errorf("%w: unknown triggerId %q", ErrPayload, trigger)
	}
	if len(strings.TrimSpace(string(payload))) == 0 || string(payload) == "null" {
		payload = p.DefaultPayload
	}
	// The payload names the point's arguments; their values are kept raw
	// so a user can test any shape their code handles.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	a := make([]json.RawMessage, len(p.Arguments))
	for i, name := range p.Arguments {
		v := payloadField(fields, name)
		if name != "context" {
			a[i] = v
			continue
		}
		var pc payloadContext
		if v != nil {
			if err := json.Unmarshal(v, &pc); err != nil {
				return Report{}, fmt.Errorf("%w: context: %v", ErrPayload, err)
			}
		}
		header := make(http.Header, len(pc.Headers))
		for k, v := range pc.Headers {
			header[k] = []string{v}
		}
		c, err := json.Marshal(Context{IP: pc.IP, UserAgent: pc.UserAgent, Secrets: s.Secrets,
			Params: pc.Body, Header: header, HookName: s.Name, Trigger: trigger, ID: runnerRequestID})
		if err != nil {
			return Report{}, err
		}
		a[i] = c
	}
	// The runner's execution is isolated (fresh module state, issue 12)
	// and its storage a scratch copy (see scratchStorage).
	ex := r.execute(ctx, p, s, a, runnerRequestID, r.runnerStorage(ctx, s), true)
	rep := Report{DurationMS: float64(ex.Duration.Microseconds()) / 1000, Logs: make([]ReportLog, 0, len(ex.Logs))}
	for _, l := range ex.Logs {
		rep.Logs = append(rep.Logs, ReportLog{Time: l.Time.UTC().Format("2006-01-02T15:04:05.000Z"), Level: l.Level, Message: l.Text})
	}
	if ex.Err != nil {
		rep.Error = &ReportError{Status: ex.Err.Status, Error: ex.Err.Code, Description: ex.Err.Description}
		return rep, nil
	}
	var granted []string
	_ = json.Unmarshal(payloadField(fields, "scope"), &granted)
	rep.Result = p.result(ex.Changes, granted)
	return rep, nil
}

// payloadField is the payload's field of that name, matched as
// encoding/json matches struct fields (an exact name first, then one that
// differs only in case), as the runner did before it read the names from
// the point table.
func payloadField(fields map[string]json.RawMessage, name string) json.RawMessage {
	if v, ok := fields[name]; ok {
		return v
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
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
