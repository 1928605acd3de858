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
	{ID: CredentialsExchange, Version: "v2", Point: hooks.CredentialsExchange, Export: "onExecuteCredentialsExchange"},
	{ID: PostLogin, Version: "v3", Point: hooks.PasswordExchange, Export: "onExecutePostLogin"},
}

// Triggers returns the table (a copy).
func Triggers() []Trigger { return append([]Trigger(nil), triggers...) }

// LookupTrigger returns the trigger with that id.
func LookupTrigger(id string) (*Trigger, bool) {
	for i := range triggers {
		if triggers[i].ID == id {
			return &triggers[i], true
		}
	}
	return nil, false
}
