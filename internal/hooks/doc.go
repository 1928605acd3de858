// Package hooks owns the extensibility points (compat-spec §3): what each
// point passes to a hook, how a hook's response becomes token changes
// (scope replacement and the namespaced-claim filter), how a hook's
// failure becomes an OAuth error (compat-spec §3.5), the runner's default
// payloads (§3.6) and the live log hub behind /api/v2/hooks/logs/stream.
//
// It never touches the JavaScript engine directly: scripts run through a
// sandbox.Engine (worker processes by default), so this package is plain,
// table-testable Go.
package hooks
