package jsvm

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// An empty argument reaches the script as undefined (Auth0 passes scope so
// when none was granted).
func TestEmptyArgumentIsUndefined(t *testing.T) {
	e, err := NewInProcess(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out, err := e.Run(context.Background(), sandbox.Invocation{
		Script: `module.exports = function (a, scope, cb) { cb(null, {t: typeof scope, n: scope === null}); };`,
		Args:   []json.RawMessage{json.RawMessage(`1`), nil},
	}, nil)
	if err != nil || out.Err != nil {
		t.Fatalf("run: %v %v", err, out.Err)
	}
	if string(out.Response) != `{"t":"undefined","n":false}` {
		t.Fatalf("response %s", out.Response)
	}
}
