package actions

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// glueSource is appended to an Action's code, after a newline so the
// code's own line and column numbers stay those of the user's file. It
// replaces module.exports with the (event, state, cb) function the
// runtimes call: it builds `api` for the trigger, awaits
// exports.onExecute<Trigger>, and answers with everything `api` recorded
// (record in runner.go).
//
//go:embed glue.js
var glueSource string

// glue is glueSource with the cache limits (cache.go) and the error
// message cap filled in, so the limits live in one place and no execution
// carries them.
var glue = func() string {
	b, err := json.Marshal(limits)
	if err != nil {
		panic(err)
	}
	src := strings.Replace(glueSource, "__CACHE_LIMITS__", string(b), 1)
	return strings.Replace(src, "__MAX_MESSAGE__", strconv.Itoa(sandbox.MaxErrorMessage), 1)
}()

// program is the source a runtime executes for an Action's code.
func program(code string) string {
	var b strings.Builder
	b.Grow(len(code) + 1 + len(glue))
	b.WriteString(code)
	b.WriteByte('\n')
	b.WriteString(glue)
	return b.String()
}

// programs keeps the program of each deployed version: versions are
// immutable, and building a program costs a copy of the code and the
// glue on every token request otherwise.
type programs struct {
	mu sync.Mutex
	m  map[string]string
}

// maxPrograms bounds the kept programs; past it the map starts over
// (versions no longer bound simply drop out).
const maxPrograms = 1024

func (p *programs) get(versionID, code string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if src, ok := p.m[versionID]; ok {
		return src
	}
	if p.m == nil || len(p.m) >= maxPrograms {
		p.m = map[string]string{}
	}
	src := program(code)
	p.m[versionID] = src
	return src
}
