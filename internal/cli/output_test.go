package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestColorOnlyOnATerminal: colour needs a terminal and no NO_COLOR. A
// pseudo-terminal master stands in for a terminal.
func TestColorOnlyOnATerminal(t *testing.T) {
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer pty.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	t.Setenv("TERM", "xterm")
	for _, tc := range []struct {
		name    string
		out     any
		noColor string
		want    bool
	}{
		{"terminal", pty, "", true},
		{"terminal with NO_COLOR", pty, "1", false},
		{"pipe", w, "", false},
		{"buffer", &bytes.Buffer{}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			var got bool
			switch o := tc.out.(type) {
			case *os.File:
				got = colorEnabled(o)
			case *bytes.Buffer:
				got = colorEnabled(o)
			}
			if got != tc.want {
				t.Fatalf("colorEnabled = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTableAlignsColouredCells: padding counts what the terminal shows,
// not the escape sequences.
func TestTableAlignsColouredCells(t *testing.T) {
	var b bytes.Buffer
	p := &printer{w: &b, color: true}
	if err := p.table([]string{"NAME", "STATE", "ID"}, [][]string{
		{"a", p.paint(ansiGreen, "enabled"), "1"},
		{"longer-name", p.paint(ansiDim, "disabled"), "2"},
	}); err != nil {
		t.Fatal(err)
	}
	var cols []int
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		plain := stripANSI(line)
		cols = append(cols, strings.LastIndex(plain, " ")+1)
	}
	if cols[0] != cols[1] || cols[1] != cols[2] {
		t.Fatalf("last column starts at %v:\n%s", cols, stripANSI(b.String()))
	}
	if strings.Contains(b.String(), ansiReset+ansiReset) {
		t.Fatalf("double reset: %q", b.String())
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			esc = r != 'm'
		case r == '\x1b':
			esc = true
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestExitCodeFor(t *testing.T) {
	for status, want := range map[int]int{400: ExitBadRequest, 409: ExitBadRequest, 413: ExitBadRequest, 415: ExitBadRequest,
		401: ExitUnauthorized, 403: ExitUnauthorized, 404: ExitNotFound, 500: ExitServerError, 503: ExitServerError} {
		if got := exitCodeFor(status); got != want {
			t.Errorf("exitCodeFor(%d) = %d, want %d", status, got, want)
		}
	}
}
