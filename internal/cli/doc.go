// Package cli holds every command of the tokenhook binary: `serve` (the
// server), the internal `hook-worker`, and the client verbs that talk to a
// server's Management API. Commands are built with cobra; Main returns the
// process exit code so commands are testable without exiting.
//
// The client verbs (profile.go, client.go, output.go, hooks_cmds.go,
// tenant_cmds.go, token_cmd.go; registered in commands.go) reach a server
// only through /oauth/token and /api/v2, never its database, so they behave
// the same against any deployment and stay honest about the API's
// contract. The hook verbs keep the old Auth0 hooks CLI's names and flags
// (compat-spec §5) because runbooks carry them; HTTP statuses map to that
// CLI's exit codes in one place (exitCodeFor). docs/cli.md is the user's
// reference.
package cli
