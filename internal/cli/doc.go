// Package cli holds every command of the tokenhook binary: `serve` (the
// server), the internal `hook-worker`, and the client verbs that talk to a
// server's Management API. Commands are built with cobra; Main returns the
// process exit code so commands are testable without exiting.
package cli
