package noderun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestSyntaxErrorPositions runs the syntax error table both runtimes share
// (internal/hooks/sandbox/testdata) through the save-time Check and a real
// execution: each names the user's own line and column, the same as the
// embedded engine's, also when the script ends too early and V8 prints no
// caret.
func TestSyntaxErrorPositions(t *testing.T) {
	raw, err := os.ReadFile("../sandbox/testdata/syntax_errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name, Script, Node string
		Line, Column       int
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{})
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want := func(what string, err error) {
				t.Helper()
				var ce *sandbox.CompileError
				if !errors.As(err, &ce) || ce.Line != c.Line || ce.Column != c.Column || ce.Message != c.Node {
					t.Fatalf("%s: got %#v, want line %d, column %d: %s", what, err, c.Line, c.Column, c.Node)
				}
			}
			want("Check", e.Check(context.Background(), c.Script))
			_, err := run(t, e, sandbox.Invocation{Script: c.Script, ScriptKey: fmt.Sprint("syntax-", i), Args: args(1)})
			want("Run", err)
		})
	}
}
