package jsvm

import (
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestConsoleBudget: an execution's console output is bounded in lines
// and bytes; the line that crosses the byte budget keeps the part that
// fits (one console.log of a large object still shows its start), and
// the lines after it are dropped behind one warning.
func TestConsoleBudget(t *testing.T) {
	script := `module.exports = function () {
  const cb = arguments[arguments.length - 1];
  console.log('start');
  console.log('é'.repeat(200 * 1024));
  console.log('after');
  cb(null, 1);
};`
	for name, e := range engines(t, sandbox.Options{}) {
		t.Run(name, func(t *testing.T) {
			out, err := runInv(t, e, sandbox.Invocation{Script: script})
			if err != nil || out.Err != nil {
				t.Fatalf("%v %+v", err, out.Err)
			}
			if len(out.Logs) != 3 || out.Logs[0].Text != "start" || !strings.Contains(out.Logs[2].Text, "log limit reached") {
				t.Fatalf("%d lines: %.80q", len(out.Logs), joinLogs(out.Logs))
			}
			cut := out.Logs[1].Text
			if !strings.HasPrefix(cut, "éé") || !strings.HasSuffix(cut, "…") || len(cut) > maxLogBytes || len(cut) < maxLogBytes-16 {
				t.Fatalf("the crossing line: %d bytes, %.20q…%q", len(cut), cut, cut[len(cut)-8:])
			}
		})
	}
}
