package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// DefaultEvent is the event a test run uses when none is given, per
// trigger (nil for an unknown trigger): what a token request for the
// runner's default client would carry.
func DefaultEvent(trigger string) json.RawMessage {
	in := &Input{
		Tenant:   "my-tenant",
		Client:   Client{ClientID: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", Name: "client-name", Metadata: map[string]string{"plan": "full"}},
		Audience: "https://my-api.example.com/", Requested: []string{"read:connections"},
		Request: Request{IP: "13.33.86.47", Method: "POST", Host: "my-tenant.example.com", UserAgent: "Mozilla/5.0",
			Language: "en", Params: map[string]string{"grant_type": "client_credentials", "audience": "https://my-api.example.com/"}},
		Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	st := &state{scope: []string{"read:connections"}}
	switch trigger {
	case CredentialsExchange:
	case PostLogin:
		in.Request.Params = map[string]string{"grant_type": "password", "username": "user1@example.com",
			"audience": "https://my-api.example.com/", "scope": "openid profile read:connections"}
		in.Requested = []string{"openid", "profile", "read:connections"}
		created := time.Date(2023, 6, 1, 12, 0, 0, 0, time.UTC)
		in.User = &storage.User{UserID: "auth0|5f7c8ec7c33c6c004bbafe82", Email: "user1@example.com", EmailVerified: true,
			Name: "user1@example.com", Nickname: "user1", Picture: "https://s.gravatar.com/avatar/0?s=480&d=mp",
			Username: "user1", AppMetadata: map[string]any{"plan": "full"}, UserMetadata: map[string]any{"hobby": "surfing"},
			Connection: storage.DatabaseConnection, CreatedAt: created, UpdatedAt: created, LoginsCount: 4}
	default:
		return nil
	}
	b, err := buildEvent(trigger, in, st, nil)
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	_ = json.Indent(&out, b, "", "  ")
	return out.Bytes()
}

// testPayload is the answer of a test run: Auth0's test endpoint answers
// {"payload": <this>}.
type testPayload struct {
	// Result is what the code asked of api, as the token request would
	// apply it.
	Result *testResult `json:"result"`
	// Error is why the run failed or was denied, null when it did not.
	Error *testError `json:"error"`
	Logs  string     `json:"logs"`
	Stats testStats  `json:"stats"`
}

type testResult struct {
	AccessToken testToken      `json:"accessToken"`
	IDToken     *testToken     `json:"idToken,omitempty"`
	User        *testUser      `json:"user,omitempty"`
	Transaction map[string]any `json:"transaction,omitempty"`
	Cache       []cacheOp      `json:"cache"`
}

type testToken struct {
	Scope        []string                   `json:"scope,omitempty"`
	CustomClaims map[string]json.RawMessage `json:"customClaims"`
}

type testUser struct {
	AppMetadata  map[string]any `json:"app_metadata"`
	UserMetadata map[string]any `json:"user_metadata"`
}

type testError struct {
	ID     string `json:"id"`
	Msg    string `json:"msg"`
	Status int    `json:"status"`
}

// testStats has Auth0's fields, whole milliseconds as Auth0 gives them.
// Nothing boots per run here (boot is the queue wait for a worker); the
// network time is not measured.
type testStats struct {
	ActionDurationMS  int64 `json:"action_duration_ms"`
	BootDurationMS    int64 `json:"boot_duration_ms"`
	NetworkDurationMS int64 `json:"network_duration_ms"`
}

// errPayload marks an event a test run cannot use.
var errPayload = hooks.ErrPayload

// TestAction runs a's saved draft at triggerID on event (the trigger's
// default event when empty), isolated and with an empty api.cache, so a
// test changes nothing token requests see. The draft's secrets are
// event.secrets. Code that throws or denies is part of the answer; only
// an event that is not a JSON object, or a trigger this server does not
// run, is an error (wrapping hooks.ErrPayload).
func (r *Runner) TestAction(ctx context.Context, a storage.Action, triggerID string, event json.RawMessage) (json.RawMessage, error) {
	t, ok := LookupTrigger(triggerID)
	if !ok {
		return nil, fmt.Errorf("%w: unknown trigger %q", errPayload, triggerID)
	}
	if s := strings.TrimSpace(string(event)); s == "" || s == "null" || s == "{}" {
		event = DefaultEvent(t.ID)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(event, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%w: the event must be a JSON object", errPayload)
	}
	secrets := secretMap(a.Secrets)
	sec, _ := json.Marshal(orEmpty(secrets))
	fields["secrets"] = sec
	ev, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	// The starting scopes: event.accessToken.scope where the event has it.
	var start struct {
		AccessToken struct {
			Scope []string `json:"scope"`
		} `json:"accessToken"`
	}
	_ = json.Unmarshal(event, &start)
	gs, err := json.Marshal(glueState{Trigger: t.ID, Export: t.Export, Now: r.Now().UnixMilli(),
		Scope: orNoScopes(start.AccessToken.Scope)})
	if err != nil {
		return nil, err
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	out := r.Exec.Exec(ctx, hooks.ExecRequest{
		Script: hooks.Script{Tenant: a.Tenant, Name: a.Name, Source: program(a.Code), Secrets: secrets,
			Runtime: a.Engine, Modules: a.Modules},
		Args: []json.RawMessage{ev, gs}, Timeout: timeout, Isolated: true, RequestID: "test",
	})
	p := testPayload{Stats: testStats{ActionDurationMS: out.Duration.Round(time.Millisecond).Milliseconds(),
		BootDurationMS: out.QueueTime.Round(time.Millisecond).Milliseconds()}}
	var logs strings.Builder
	for _, l := range out.Logs {
		logs.WriteString(l.Text)
		logs.WriteByte('\n')
	}
	p.Logs = logs.String()
	rec, failure := parseOutcome(t, out)
	if failure != nil {
		p.Error = &testError{ID: failure.Code, Msg: failure.Description, Status: failure.Status}
	}
	if rec != nil {
		st := &state{scope: start.AccessToken.Scope}
		_ = st.apply(t, rec, rec.scopeOr(start.AccessToken.Scope))
		res := &testResult{AccessToken: testToken{CustomClaims: orEmpty(st.accessClaims)}, Cache: rec.Cache}
		if rec.Scope != nil {
			res.AccessToken.Scope = orNoScopes(st.scope)
		}
		if res.Cache == nil {
			res.Cache = []cacheOp{}
		}
		if t.ID == PostLogin {
			res.IDToken = &testToken{CustomClaims: orEmpty(st.idClaims)}
			res.User = &testUser{AppMetadata: orEmpty(rec.AppMetadata), UserMetadata: orEmpty(rec.UserMetadata)}
			res.Transaction = map[string]any{"metadata": orEmpty(rec.TxMetadata)}
		}
		p.Result = res
	}
	return json.Marshal(p)
}

// scopeOr is the record's scope list, else def: a test run has no client
// grant to intersect target scopes with.
func (rec *record) scopeOr(def []string) []string {
	if rec.Scope != nil {
		return *rec.Scope
	}
	return def
}
