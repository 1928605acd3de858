package actions

import (
	_ "embed"
	"strings"
)

// glue is appended to an Action's code, after a newline so the code's
// own line and column numbers stay those of the user's file. It replaces
// module.exports with the (event, state, cb) function the runtimes call:
// it builds `api` for the trigger, awaits exports.onExecute<Trigger>, and
// answers with everything `api` recorded (record below).
//
//go:embed glue.js
var glue string

// program is the source a runtime executes for an Action's code.
func program(code string) string {
	var b strings.Builder
	b.Grow(len(code) + 1 + len(glue))
	b.WriteString(code)
	b.WriteByte('\n')
	b.WriteString(glue)
	return b.String()
}
