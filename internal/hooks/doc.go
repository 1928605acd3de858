// Package hooks owns the extensibility points (compat-spec §3). Each point
// is one Point entry in points.go: its arguments and how a trigger site's
// Input becomes them, how a hook's response becomes token changes (scope
// replacement and the namespaced-claim filter, response.go), what a plain
// failure answers (the rest of compat-spec §3.5 is shared, errors.go), its
// starter code and the runner's default payload (§3.6). The runner, the
// Management API, the CLI and the dashboard all read that one table.
// The package also holds the live log hub behind /api/v2/hooks/logs/stream.
//
// webtask.go builds what Auth0's hooks read of the webtask context
// (compat-spec §3.8): context.body and context.webtask.headers, encoded
// straight from the token request with credentials and cookies left out,
// meta and id, process.env seeded with the hook's secrets, and
// context.webtask.storage backed by the database (a scratch copy in the
// runner). The Runner picks each hook's runtime (embedded or Node.js) and
// its installed dependency tree.
//
// It never touches the JavaScript engine directly: scripts run through a
// sandbox.Engine (worker processes by default), so this package is plain,
// table-testable Go.
package hooks
