// Package cli holds every command of the tokenhook binary: `serve` (the
// server), the internal `hook-worker`, and the client verbs that talk to a
// server's Management API. Commands are built with cobra; Main returns the
// process exit code so commands are testable without exiting.
//
// The client verbs reach a server only through /oauth/token and /api/v2,
// never its database, so they behave the same against any deployment and
// stay honest about the API's contract. profile.go, client.go and
// output.go are what every verb shares; then one file per noun: hooks.go
// (the top-level hook verbs), hook_runner.go (test), secrets.go, logs.go,
// actions.go (the actions noun, over /api/v2/actions), convert.go (hooks
// convert, whose transform is actions.ConvertHook),
// token_cmd.go, and the tenant collections clients.go, apis.go, grants.go,
// users.go and keys.go, each a resource descriptor that resource.go turns
// into ls/get/create/update/rm. commands.go registers them. The hook verbs keep the old Auth0 hooks CLI's names and flags
// (compat-spec §5) because runbooks carry them; HTTP statuses map to that
// CLI's exit codes in one place (exitCodeFor). docs/cli.md is the user's
// reference.
package cli
