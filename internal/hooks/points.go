package hooks

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/oauth"
)

// Point describes one extensibility point: everything that differs from
// one point to the next lives here, so the runner, the test runner, the
// Management API, the CLI and the dashboard all read the same entry.
// Adding a point is one entry in points plus its trigger site (the code
// that calls Runner.Run with the point's id).
type Point struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Arguments are the hook function's parameters before the callback, in
	// order. The test runner's payload names its fields after them.
	Arguments []string `json:"arguments"`
	// Sync: the request that reaches the point waits for the hook's answer
	// and the answer changes it. An async point's hook runs after the fact.
	Sync bool `json:"sync"`
	// ActionsTrigger is the Auth0 Actions trigger that took over this
	// point (compat-spec §7), empty when none did.
	ActionsTrigger string          `json:"actions_trigger,omitempty"`
	StarterCode    string          `json:"starter_code"`
	DefaultPayload json.RawMessage `json:"default_payload"`

	// build returns the argument values in Arguments order; a nil value
	// reaches the script as undefined.
	build func(in Input) ([]any, error)
	// parse turns a hook's response into token changes; obj is nil when
	// the response is not an object.
	parse func(obj map[string]json.RawMessage) (Changes, *oauth.Error)
	// plainError is what a failure other than the named error classes
	// (compat-spec §3.5) answers.
	plainError func(message string) *oauth.Error
	// result is the test runner's view of what would be issued, given the
	// scopes the payload granted.
	result func(c Changes, granted []string) map[string]any
}

// Trigger ids of the points that run here (compat-spec §1): the names
// their trigger sites pass to Runner.Run.
const (
	CredentialsExchange  = "credentials-exchange"
	PasswordExchange     = "password-exchange"
	PreUserRegistration  = "pre-user-registration"
	PostUserRegistration = "post-user-registration"
	PostChangePassword   = "post-change-password"
)

// points is the table, in display order.
var points = []Point{
	{
		ID:             CredentialsExchange,
		Label:          "Client Credentials Exchange",
		Arguments:      []string{"client", "scope", "audience", "context"},
		Sync:           true,
		ActionsTrigger: "credentials-exchange",
		StarterCode:    credentialsExchangeStarter,
		DefaultPayload: json.RawMessage(`{
  "audience": "https://my-tenant.auth0.com/api/v2/",
  "client": {"id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "name": "client-name", "tenant": "my-tenant", "metadata": {"plan": "full"}},
  "scope": ["read:connections"]
}`),
		build: func(in Input) ([]any, error) {
			return []any{in.Client, scopeArg(in.Scope), in.Audience, in.Context}, nil
		},
		// The response is the access token's claims: whatever it leaves
		// out, the token lacks, so a response without a scope (or that is
		// no object) issues a token with no scope (compat-spec §3.2, the
		// seeds: removing `access_token.scope = scope` "will reset all
		// scopes").
		parse: func(obj map[string]json.RawMessage) (Changes, *oauth.Error) {
			access, err := tokenChanges(obj, true)
			if err == nil && !access.ScopeSet {
				access.Scope, access.ScopeSet = []string{}, true
			}
			return Changes{Access: access}, err
		},
		plainError: func(msg string) *oauth.Error { return oauth.ServerError(msg, nil) },
		result: func(c Changes, granted []string) map[string]any {
			return issuedView(c.Access, granted)
		},
	},
	{
		ID:        PasswordExchange,
		Label:     "Password Exchange",
		Arguments: []string{"user", "client", "scope", "audience", "context"},
		Sync:      true,
		// Actions run the password grant's logic at post-login.
		ActionsTrigger: "post-login",
		StarterCode:    passwordExchangeStarter,
		DefaultPayload: json.RawMessage(`{
  "audience": "https://my-tenant.auth0.com/api/v2/",
  "client": {"id": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "name": "client-name", "tenant": "my-tenant", "metadata": {"plan": "full"}},
  "scope": ["read:connections"],
  "user": {"id": "abc123", "tenant": "my-tenant", "username": "user1", "email": "user1@foo.com", "emailVerified": true,
    "user_metadata": {"hobby": "surfing"}, "app_metadata": {"plan": "full"}}
}`),
		build: func(in Input) ([]any, error) {
			if in.User == nil {
				return nil, fmt.Errorf("hooks: %s needs a user", PasswordExchange)
			}
			u := *in.User
			u.UserMetadata, u.AppMetadata = orEmpty(u.UserMetadata), orEmpty(u.AppMetadata)
			return []any{u, in.Client, scopeArg(in.Scope), in.Audience, in.Context}, nil
		},
		// Both tokens are optional; an absent accessToken.scope keeps the
		// granted scopes (this point's starter code answers {}).
		parse: func(obj map[string]json.RawMessage) (Changes, *oauth.Error) {
			var out Changes
			var err *oauth.Error
			if at, ok := object(obj["accessToken"]); ok {
				if out.Access, err = tokenChanges(at, true); err != nil {
					return Changes{}, err
				}
			}
			if it, ok := object(obj["idToken"]); ok {
				if out.ID, err = tokenChanges(it, false); err != nil {
					return Changes{}, err
				}
			}
			return out, nil
		},
		// A plain error at password-exchange "signals authorization failure".
		plainError: func(msg string) *oauth.Error { return oauth.AccessDenied(msg) },
		result: func(c Changes, granted []string) map[string]any {
			return map[string]any{"accessToken": issuedView(c.Access, granted), "idToken": issuedView(c.ID, nil)}
		},
	},
	{
		ID:             PreUserRegistration,
		Label:          "Pre User Registration",
		Arguments:      []string{"user", "context"},
		Sync:           true,
		ActionsTrigger: "pre-user-registration",
		StarterCode:    preUserRegistrationStarter,
		DefaultPayload: json.RawMessage(`{
  "user": {"tenant": "my-tenant", "username": "user1", "password": "xxxxxxx", "email": "user1@foo.com", "emailVerified": false,
    "phoneNumber": "1-000-000-0000", "phoneNumberVerified": false, "user_metadata": {"hobby": "surfing"}, "app_metadata": {"plan": "full"}},
  "context": {"requestLanguage": "en-us", "connection": {"id": "con_xxxxxxxxxxxxxxxx", "name": "Username-Password-Authentication", "tenant": "my-tenant"}}
}`),
		build: func(in Input) ([]any, error) {
			if in.Registration == nil {
				return nil, fmt.Errorf("hooks: %s needs a user", PreUserRegistration)
			}
			u := *in.Registration
			u.UserMetadata, u.AppMetadata = orEmpty(u.UserMetadata), orEmpty(u.AppMetadata)
			return []any{u, in.Context}, nil
		},
		parse:      registrationChanges,
		plainError: func(msg string) *oauth.Error { return ExtensibilityError(msg, nil) },
		result: func(c Changes, _ []string) map[string]any {
			return map[string]any{"user": map[string]any{"user_metadata": orEmpty(c.User.UserMetadata), "app_metadata": orEmpty(c.User.AppMetadata)}}
		},
	},
	{
		ID:        PostUserRegistration,
		Label:     "Post User Registration",
		Arguments: []string{"user", "context"},
		// Runs from the outbox after the user is stored (internal/outbox);
		// its response is ignored.
		Sync:           false,
		ActionsTrigger: "post-user-registration",
		StarterCode:    postUserRegistrationStarter,
		DefaultPayload: json.RawMessage(`{
  "user": {"id": "abc123", "tenant": "my-tenant", "username": "user1", "email": "user1@foo.com", "emailVerified": false,
    "phoneNumber": "1-000-000-0000", "phoneNumberVerified": false, "user_metadata": {"hobby": "surfing"}, "app_metadata": {"plan": "full"}},
  "context": {"requestLanguage": "en-us", "connection": {"id": "con_xxxxxxxxxxxxxxxx", "name": "Username-Password-Authentication", "tenant": "my-tenant"}}
}`),
		build: func(in Input) ([]any, error) {
			if in.NewUser == nil {
				return nil, fmt.Errorf("hooks: %s needs a user", PostUserRegistration)
			}
			u := *in.NewUser
			u.UserMetadata, u.AppMetadata = orEmpty(u.UserMetadata), orEmpty(u.AppMetadata)
			return []any{u, in.Context}, nil
		},
		parse:      ignoredResponse,
		plainError: func(msg string) *oauth.Error { return oauth.ServerError(msg, nil) },
		result:     responseView,
	},
	{
		ID:             PostChangePassword,
		Label:          "Post Change Password",
		Arguments:      []string{"user", "context"},
		Sync:           false,
		ActionsTrigger: "post-change-password",
		StarterCode:    postChangePasswordStarter,
		DefaultPayload: json.RawMessage(`{
  "user": {"id": "abc123", "username": "user1", "email": "user1@foo.com", "last_password_reset": "2019-02-27T14:14:29.206Z"},
  "context": {"requestLanguage": "en-us", "connection": {"id": "con_xxxxxxxxxxxxxxxx", "name": "Username-Password-Authentication", "tenant": "my-tenant"}}
}`),
		build: func(in Input) ([]any, error) {
			if in.PasswordChange == nil {
				return nil, fmt.Errorf("hooks: %s needs a user", PostChangePassword)
			}
			return []any{*in.PasswordChange, in.Context}, nil
		},
		parse:      ignoredResponse,
		plainError: func(msg string) *oauth.Error { return oauth.ServerError(msg, nil) },
		result:     responseView,
	},
}

// Points returns the table in display order (a copy: callers may not
// change what the runner uses).
func Points() []Point { return append([]Point(nil), points...) }

// Lookup returns the point with that trigger id.
func Lookup(id string) (*Point, bool) {
	for i := range points {
		if points[i].ID == id {
			return &points[i], true
		}
	}
	return nil, false
}

// Triggers lists the supported trigger ids, in display order.
var Triggers = func() []string {
	ids := make([]string, len(points))
	for i, p := range points {
		ids[i] = p.ID
	}
	return ids
}()

// KnownTrigger reports whether id is a supported trigger.
func KnownTrigger(id string) bool {
	_, ok := Lookup(id)
	return ok
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
// runtime attaches webtask.storage itself. The request's parameters and
// headers are kept as the trigger site has them and filtered while the
// argument is encoded (webtask.go), so a token request pays for no copy.
type Context struct {
	IP        string
	UserAgent string
	Secrets   map[string]string
	// Params are the token request's parameters: context.body is them
	// without the credentials.
	Params map[string]string
	// Header and Host are the token request's: context.webtask.headers is
	// them as Node.js shows them, without credentials and cookies.
	Header http.Header
	Host   string
	// Lifecycle, at the user-lifecycle points, adds requestLanguage,
	// renderLanguage, connection and request (compat-spec §3.7).
	Lifecycle *LifecycleContext
	// HookName and Trigger make context.webtask.meta, ID
	// context.webtask.id; the runner sets them.
	HookName, Trigger, ID string
}

// MarshalJSON encodes the argument directly (appendContext).
func (c Context) MarshalJSON() ([]byte, error) { return c.appendJSON(make([]byte, 0, 512)), nil }

// LifecycleContext is what the user-lifecycle points add to `context`.
type LifecycleContext struct {
	Language       string // the request's Accept-Language, as sent
	ConnectionID   string
	ConnectionName string
	Tenant         string
}

// Registration is the `user` argument of pre-user-registration: the user
// about to be created, password included, as Auth0 passed it.
type Registration struct {
	Tenant              string         `json:"tenant"`
	Username            string         `json:"username,omitempty"`
	Password            string         `json:"password"`
	Email               string         `json:"email"`
	EmailVerified       bool           `json:"emailVerified"`
	PhoneNumber         string         `json:"phoneNumber,omitempty"`
	PhoneNumberVerified bool           `json:"phoneNumberVerified"`
	UserMetadata        map[string]any `json:"user_metadata"`
	AppMetadata         map[string]any `json:"app_metadata"`
}

// NewUser is the `user` argument of post-user-registration: the stored
// user, its id without the "auth0|" prefix, as Auth0 sent it.
type NewUser struct {
	ID                  string         `json:"id"`
	Tenant              string         `json:"tenant"`
	Username            string         `json:"username,omitempty"`
	Email               string         `json:"email"`
	EmailVerified       bool           `json:"emailVerified"`
	PhoneNumber         string         `json:"phoneNumber,omitempty"`
	PhoneNumberVerified bool           `json:"phoneNumberVerified"`
	UserMetadata        map[string]any `json:"user_metadata"`
	AppMetadata         map[string]any `json:"app_metadata"`
}

// PasswordChange is the `user` argument of post-change-password.
type PasswordChange struct {
	ID                string `json:"id"`
	Username          string `json:"username,omitempty"`
	Email             string `json:"email"`
	LastPasswordReset string `json:"last_password_reset"`
}

// Input is everything a trigger site knows; each point passes its hook
// the part its Arguments name. User is nil at credentials-exchange.
type Input struct {
	User *User
	// Registration is the new user at pre-user-registration.
	Registration *Registration
	// NewUser is the stored user at post-user-registration.
	NewUser *NewUser
	// PasswordChange is the user at post-change-password.
	PasswordChange *PasswordChange
	Client         Client
	Scope          []string // nil: the hook sees undefined
	Audience       string
	Context        Context
}

// args builds the JSON arguments of point p (compat-spec §3.1). A nil
// entry is passed to the script as undefined.
func args(p *Point, in Input) ([]json.RawMessage, error) {
	if in.Client.Metadata == nil {
		in.Client.Metadata = map[string]string{}
	}
	list, err := p.build(in)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(list))
	for i, v := range list {
		if v == nil {
			continue
		}
		if c, ok := v.(Context); ok {
			// Valid JSON by construction: skip encoding/json's re-scan.
			out[i] = c.appendJSON(make([]byte, 0, 512))
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("hooks: argument %s: %w", p.Arguments[i], err)
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

const credentialsExchangeStarter = `/**
@param {object} client - information about the client
@param {string} client.name - name of client
@param {string} client.id - client id
@param {string} client.tenant - tenant name
@param {object} client.metadata - client metadata
@param {array|undefined} scope - array of strings representing the scope claim or undefined
@param {string} audience - token's audience claim
@param {object} context - additional authorization context
@param {object} context.webtask - webtask context (context.webtask.secrets holds the hook's secrets)
@param {function} cb - function (error, accessTokenClaims)
*/
module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;

  // Modify scopes or add extra claims
  // access_token['https://example.com/claim'] = 'bar';
  // access_token.scope.push('extra');

  cb(null, access_token);
};
`

const passwordExchangeStarter = `/**
@param {object} user - the user who asked for the token
@param {string} user.id - user id
@param {string} user.username - user name
@param {string} user.email - email
@param {boolean} user.emailVerified - is the email verified?
@param {object} user.user_metadata - user metadata
@param {object} user.app_metadata - application metadata
@param {object} client - information about the client
@param {string} client.name - name of client
@param {string} client.id - client id
@param {string} client.tenant - tenant name
@param {object} client.metadata - client metadata
@param {array|undefined} scope - array of strings representing the scope claim or undefined
@param {string} audience - token's audience claim
@param {object} context - additional authorization context
@param {object} context.webtask - webtask context (context.webtask.secrets holds the hook's secrets)
@param {function} cb - function (error, {accessToken, idToken})
*/
module.exports = function(user, client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;

  var id_token = {};

  // Modify scopes or add extra claims
  // access_token['https://example.com/plan'] = user.app_metadata.plan;
  // id_token['https://example.com/hobby'] = user.user_metadata.hobby;

  cb(null, { accessToken: access_token, idToken: id_token });
};
`

const preUserRegistrationStarter = `/**
@param {object} user - the user about to be created
@param {string} user.tenant - Auth0 tenant name
@param {string} user.username - user name
@param {string} user.password - user's password
@param {string} user.email - email
@param {boolean} user.emailVerified - is e-mail verified?
@param {string} user.phoneNumber - phone number
@param {boolean} user.phoneNumberVerified - is phone number verified?
@param {object} user.user_metadata - user metadata
@param {object} user.app_metadata - application metadata
@param {object} context - Auth0 connection and other context info
@param {string} context.requestLanguage - language of the client agent
@param {object} context.connection - information about the Auth0 connection
@param {object} context.connection.id - connection id
@param {object} context.connection.name - connection name
@param {object} context.connection.tenant - connection tenant
@param {object} context.webtask - webtask context
@param {function} cb - function (error, response)
*/
module.exports = function(user, context, cb) {
  var response = {};

  // Add user or app metadata to the newly created user
  // response.user = {
  //   user_metadata: { foo: 'bar' },
  //   app_metadata: { vip: true, score: 7 }
  // };

  // Refuse the sign up with a message for the user:
  // return cb(new PreUserRegistrationError('Denied user registration', 'Sign ups from this domain are not allowed'));

  response.user = user;
  cb(null, response);
};
`

const postUserRegistrationStarter = `/**
@param {object} user - the user who was just created
@param {string} user.id - user id (without the "auth0|" prefix)
@param {string} user.tenant - tenant name
@param {string} user.username - user name
@param {string} user.email - email
@param {boolean} user.emailVerified - is the email verified?
@param {string} user.phoneNumber - phone number
@param {boolean} user.phoneNumberVerified - is the phone number verified?
@param {object} user.user_metadata - user metadata
@param {object} user.app_metadata - application metadata
@param {object} context - Auth0 connection and other context info
@param {string} context.requestLanguage - language of the client agent
@param {object} context.connection - information about the Auth0 connection
@param {object} context.connection.id - connection id
@param {object} context.connection.name - connection name
@param {object} context.connection.tenant - connection tenant
@param {object} context.webtask - webtask context
@param {function} cb - function (error, response); the response is ignored
*/
module.exports = function(user, context, cb) {
  // Runs after the user is stored; the sign up does not wait for it.
  // Tell another system about the new user, e.g.:
  // await fetch(context.webtask.secrets.WEBHOOK_URL, {method: 'POST', body: JSON.stringify({id: user.id, email: user.email})});
  cb();
};
`

const postChangePasswordStarter = `/**
@param {object} user - the user whose password changed
@param {string} user.id - user id
@param {string} user.username - user name
@param {string} user.email - email
@param {string} user.last_password_reset - when the password changed (ISO 8601)
@param {object} context - Auth0 connection and other context info
@param {object} context.connection - information about the Auth0 connection
@param {object} context.connection.id - connection id
@param {object} context.connection.name - connection name
@param {object} context.connection.tenant - connection tenant
@param {object} context.webtask - webtask context
@param {function} cb - function (error, response); the response is ignored
*/
module.exports = function(user, context, cb) {
  // Runs after the change; the change does not wait for it.
  // Notify the user or revoke sessions elsewhere here.
  cb();
};
`
