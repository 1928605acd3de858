package jsvm

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// syntaxCase is one row of the syntax error table both runtimes share
// (internal/hooks/sandbox/testdata): the position is the same on both, the
// message each engine's own.
type syntaxCase struct {
	Name, Script, Embedded string
	Line, Column           int
}

// TestSyntaxErrorPositions: a syntax error names the user's own line and
// column, never the module wrapper's closing "})" (a script that ends too
// early is reported at its end, as Node reports it), and columns count
// characters.
func TestSyntaxErrorPositions(t *testing.T) {
	raw, err := os.ReadFile("../sandbox/testdata/syntax_errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []syntaxCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var ce *sandbox.CompileError
			if err := Check(c.Script); !errors.As(err, &ce) || ce.Line != c.Line || ce.Column != c.Column || ce.Message != c.Embedded {
				t.Fatalf("got %#v, want line %d, column %d: %s", err, c.Line, c.Column, c.Embedded)
			}
		})
	}
	// CommonJS allows a top-level return; the bare re-parse that locates an
	// early end must not blame it.
	var ce *sandbox.CompileError
	if err := Check("if (!module) return;\nmodule.exports = function (cb) { cb(null, [1, 2"); !errors.As(err, &ce) || ce.Line != 2 || ce.Column != 48 || ce.Message != "Unexpected end of input" {
		t.Fatalf("top-level return: %#v", err)
	}
}
