package hooks

// Deferred is what the trigger site of an asynchronous point knows,
// stored as the outbox row's payload (storage.Execution) in the
// transaction of the triggering write and turned back into an Input when
// the worker runs the hook, possibly in another process. Secrets are not
// part of it: they are the hook's at run time.
type Deferred struct {
	NewUser        *NewUser        `json:"new_user,omitempty"`
	PasswordChange *PasswordChange `json:"password_change,omitempty"`
	IP             string          `json:"ip,omitempty"`
	UserAgent      string          `json:"user_agent,omitempty"`
	Language       string          `json:"language,omitempty"`
	ConnectionID   string          `json:"connection_id"`
	ConnectionName string          `json:"connection_name"`
	Tenant         string          `json:"tenant"`
}

// Input is the runner's input for the deferred execution.
func (d Deferred) Input() Input {
	return Input{NewUser: d.NewUser, PasswordChange: d.PasswordChange,
		Context: Context{IP: d.IP, UserAgent: d.UserAgent, Lifecycle: &LifecycleContext{Language: d.Language,
			ConnectionID: d.ConnectionID, ConnectionName: d.ConnectionName, Tenant: d.Tenant}}}
}
