package hooks

import (
	"encoding/json"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
)

// Extensibility points that run here (compat-spec §1).
const (
	CredentialsExchange = "credentials-exchange"
	PasswordExchange    = "password-exchange"
)

// Triggers lists the supported trigger ids, in display order.
var Triggers = []string{CredentialsExchange, PasswordExchange}

// KnownTrigger reports whether id is a supported trigger.
func KnownTrigger(id string) bool {
	for _, t := range Triggers {
		if t == id {
			return true
		}
	}
	return false
}

// Client is the `client` argument.
type Client struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Tenant   string            `json:"tenant"`
	Metadata map[string]string `json:"metadata"`
}

// User is the `user` argument of password-exchange.
type User struct {
	ID            string         `json:"id"`
	Tenant        string         `json:"tenant"`
	Username      string         `json:"username,omitempty"`
	Email         string         `json:"email,omitempty"`
	EmailVerified bool           `json:"emailVerified"`
	DisplayName   string         `json:"displayName,omitempty"`
	UserMetadata  map[string]any `json:"user_metadata"`
	AppMetadata   map[string]any `json:"app_metadata"`
}

// Context is the `context` argument: {ip, userAgent, body, webtask:
// {secrets, meta, headers, id, storage}} (compat-spec §3.1, §3.8). The
// runtime attaches webtask.storage itself.
type Context struct {
	IP        string
	UserAgent string
	Secrets   map[string]string
	// Body is context.body: the request's parameters (RequestBody).
	Body map[string]string
	// Headers is context.webtask.headers (RequestHeaders).
	Headers map[string]string
	// Meta and ID are context.webtask.meta and .id; the runner sets them.
	Meta map[string]string
	ID   string
}

type webtaskContext struct {
	Secrets map[string]string `json:"secrets"`
	Meta    map[string]string `json:"meta"`
	Headers map[string]string `json:"headers"`
	ID      string            `json:"id"`
}

func (c Context) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		IP        string            `json:"ip"`
		UserAgent string            `json:"userAgent"`
		Body      map[string]string `json:"body"`
		Webtask   webtaskContext    `json:"webtask"`
	}{IP: c.IP, UserAgent: c.UserAgent, Body: orEmpty(c.Body), Webtask: webtaskContext{
		Secrets: orEmpty(c.Secrets), Meta: orEmpty(c.Meta), Headers: orEmpty(c.Headers), ID: c.ID,
	}})
}

// orEmpty makes a nil map an empty object rather than null: hooks read
// fields of these without checking.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Input is everything a point passes to its hook. User is nil at
// credentials-exchange.
type Input struct {
	User     *User
	Client   Client
	Scope    []string // nil: the hook sees undefined
	Audience string
	Context  Context
}

// args builds the JSON arguments in the point's order (compat-spec §3.1).
// A nil entry is passed to the script as undefined.
func args(trigger string, in Input) ([]json.RawMessage, error) {
	if in.Client.Metadata == nil {
		in.Client.Metadata = map[string]string{}
	}
	var list []any
	switch trigger {
	case CredentialsExchange:
		list = []any{in.Client, scopeArg(in.Scope), in.Audience, in.Context}
	case PasswordExchange:
		if in.User == nil {
			return nil, fmt.Errorf("hooks: %s needs a user", trigger)
		}
		u := *in.User
		if u.UserMetadata == nil {
			u.UserMetadata = map[string]any{}
		}
		if u.AppMetadata == nil {
			u.AppMetadata = map[string]any{}
		}
		list = []any{u, in.Client, scopeArg(in.Scope), in.Audience, in.Context}
	default:
		return nil, fmt.Errorf("hooks: unknown trigger %q", trigger)
	}
	out := make([]json.RawMessage, len(list))
	for i, v := range list {
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("hooks: argument %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

// scopeArg is undefined when no scope was granted, as on Auth0.
func scopeArg(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}

// Check compiles script without running it, for save-time validation: nil
// or a *sandbox.CompileError naming the line and column.
func Check(script string) error { return jsvm.Check(script) }
