package jsvm

import (
	"context"
	"fmt"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestPoolScriptTable runs more distinct scripts than a worker's script table
// holds, so the parent must forget some (frameForget) and send them again.
func TestPoolScriptTable(t *testing.T) {
	p := testPool(t, sandbox.Options{Workers: 1})
	ctx := context.Background()
	script := func(i int) string {
		return fmt.Sprintf(`module.exports = (c, s, a, x, cb) => cb(null, %d);`, i)
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < maxWorkerScripts+20; i++ {
			out, err := p.Run(ctx, sandbox.Invocation{Script: script(i), Args: simpleArgs}, nil)
			if err != nil || string(out.Response) != fmt.Sprint(i) {
				t.Fatalf("round %d script %d: %s %v", round, i, out.Response, err)
			}
		}
	}
}
