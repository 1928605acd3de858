package actions

import "github.com/tokenhook/tokenhook/internal/hooks"

// Trigger is one Actions trigger this server runs: everything that
// differs from one trigger to the next lives in this table, so the
// runner, the Management API, the CLI and the dashboard read one entry.
type Trigger struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	// Point is the hook point whose requests run this trigger's Actions,
	// after the point's enabled hook.
	Point string `json:"point"`
	// Export is the function the code exports for this trigger.
	Export string `json:"export"`
	// Label and RunsOn name the trigger and what runs it, for people.
	Label  string `json:"label"`
	RunsOn string `json:"runs_on"`
	// StarterCode is what a new Action of this trigger starts with.
	StarterCode string `json:"starter_code"`
}

// Runtimes are the Auth0 runtime names an Action may ask for; all run on
// this server's runtimes (embedded or Node.js, chosen from the code).
var Runtimes = []string{"node18", "node22"}

// DefaultRuntime is what an Action created without a runtime gets.
const DefaultRuntime = "node22"

// MaxBindings is how many Actions one trigger runs (Auth0's limit).
const MaxBindings = 20

// Trigger ids.
const (
	CredentialsExchange = "credentials-exchange"
	PostLogin           = "post-login"
)

// triggers is the table, in display order.
var triggers = []Trigger{
	{ID: CredentialsExchange, Version: "v2", Point: hooks.CredentialsExchange, Export: "onExecuteCredentialsExchange",
		Label: "Machine to Machine", RunsOn: "client-credentials token requests", StarterCode: credentialsExchangeStarter},
	{ID: PostLogin, Version: "v3", Point: hooks.PasswordExchange, Export: "onExecutePostLogin",
		Label: "Login (password grant)", RunsOn: "password and password-realm token requests", StarterCode: postLoginStarter},
}

const credentialsExchangeStarter = `/**
 * Runs in every client-credentials token request, after the trigger's hook.
 *
 * @param {Event} event - the request: event.client, event.resource_server,
 *   event.transaction.requested_scopes, event.accessToken, event.secrets
 * @param {CredentialsExchangeAPI} api - changes the token:
 *   api.accessToken.setCustomClaim(name, value), api.transaction.addTargetScope(scope),
 *   api.access.deny(code, reason), api.cache
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
};
`

const postLoginStarter = `/**
 * Runs in every password and password-realm token request, once the user's
 * password matched, after the trigger's hook.
 *
 * @param {Event} event - the login: event.user, event.client, event.connection,
 *   event.transaction.requested_scopes, event.secrets
 * @param {PostLoginAPI} api - changes the login: api.accessToken.setCustomClaim,
 *   api.idToken.setCustomClaim, api.accessToken.addScope, api.user.setAppMetadata,
 *   api.access.deny(reason), api.cache
 */
exports.onExecutePostLogin = async (event, api) => {
};
`

// Triggers returns the table (a copy).
func Triggers() []Trigger { return append([]Trigger(nil), triggers...) }

// TriggerAtPoint returns the trigger whose Actions run at the hook point
// with that id.
func TriggerAtPoint(point string) (*Trigger, bool) {
	for i := range triggers {
		if triggers[i].Point == point {
			return &triggers[i], true
		}
	}
	return nil, false
}

// LookupTrigger returns the trigger with that id.
func LookupTrigger(id string) (*Trigger, bool) {
	for i := range triggers {
		if triggers[i].ID == id {
			return &triggers[i], true
		}
	}
	return nil, false
}
