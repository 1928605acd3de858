package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// usageErr is a bad-arguments failure: exit 2 (compat-spec §5).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// printer writes a command's output as a table or as JSON.
type printer struct {
	w     io.Writer
	json  bool
	color bool
}

// newPrinter reads -o and decides on colour: only when stdout is a
// terminal and NO_COLOR (https://no-color.org) is unset or empty.
func newPrinter(cmd *cobra.Command) (*printer, error) {
	p := &printer{w: cmd.OutOrStdout()}
	if f := cmd.Flags().Lookup("output"); f != nil {
		switch v := f.Value.String(); v {
		case "", "table", "text":
		case "json":
			p.json = true
		default:
			return nil, usageErr(fmt.Errorf("--output must be table or json, got %q", v))
		}
	}
	p.color = colorEnabled(p.w)
	return p, nil
}

func colorEnabled(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// paint wraps s in an ANSI style when colour is on.
func (p *printer) paint(style, s string) string {
	if !p.color || s == "" || style == "" {
		return s
	}
	return style + s + ansiReset
}

// JSON prints v indented, the stable form for scripts.
func (p *printer) JSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.w, "%s\n", b)
	return err
}

// table prints rows under a header, columns padded to their widest
// cell. It pads by visible width itself (text/tabwriter counts ANSI escapes
// as text, which misaligns coloured cells).
func (p *printer) table(header []string, rows [][]string) error {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], visibleLen(c))
			}
		}
	}
	var b strings.Builder
	line := func(r []string, style string) {
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(p.paint(style, c))
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-visibleLen(c)))
			}
		}
		b.WriteString("\n")
	}
	line(header, ansiBold)
	for _, r := range rows {
		line(r, "")
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

// visibleLen is the width of s on a terminal: runes, minus ANSI escapes.
func visibleLen(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			if r == 'm' {
				esc = false
			}
		case r == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

// keyValues prints label: value lines, aligned.
func (p *printer) keyValues(kv [][2]string) error {
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	for _, e := range kv {
		fmt.Fprintf(tw, "%s\t%s\n", p.paint(ansiBold, e[0]+":"), e[1])
	}
	return tw.Flush()
}

// addOutputFlag gives a command -o/--output.
func addOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringP("output", "o", "table", "output format: table or json")
}

// addProfileFlag gives a command -p/--profile.
func addProfileFlag(cmd *cobra.Command) {
	cmd.Flags().StringP("profile", "p", defaultProfile, "profile saved by tokenhook init (env TOKENHOOK_PROFILE)")
}

// clientCmd gives cmd -p and -o, and returns a RunE that builds the
// client and printer before calling run.
func clientRun(run func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		pr, err := newPrinter(cmd)
		if err != nil {
			return err
		}
		c, err := clientFor(profileName(cmd))
		if err != nil {
			return err
		}
		return run(cmd, args, c, pr)
	}
}

// withClient adds the profile and output flags to cmd and wires run.
func withClient(cmd *cobra.Command, run func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error) *cobra.Command {
	addProfileFlag(cmd)
	addOutputFlag(cmd)
	cmd.RunE = clientRun(run)
	return cmd
}

// exactArgs is cobra.ExactArgs with exit code 2 and the usage attached.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(fmt.Errorf("%s takes %d argument(s), got %d\n\n%s", cmd.CommandPath(), n, len(args), cmd.UsageString()))
		}
		return nil
	}
}

// rangeArgs is cobra.RangeArgs with exit code 2 and the usage attached.
func rangeArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return usageErr(fmt.Errorf("%s takes %d to %d arguments, got %d\n\n%s", cmd.CommandPath(), min, max, len(args), cmd.UsageString()))
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs with exit code 2 and the usage attached.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErr(fmt.Errorf("%s takes at least %d argument(s), got %d\n\n%s", cmd.CommandPath(), n, len(args), cmd.UsageString()))
		}
		return nil
	}
}

// isUsage reports whether err is already an exit-2 error.
func isUsage(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == ExitUsage
}

// orDash shows empty cells as "-" so columns stay readable.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// group makes cmd a parent of verbs: alone it prints its help, and with an
// unknown verb it fails with exit 2 (cobra would print help and exit 0 for
// a non-root command, which hides typos in scripts).
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErr(fmt.Errorf("unknown command %q for %q\n\n%s", args[0], c.CommandPath(), c.UsageString()))
		}
		return c.Help()
	}
	return cmd
}

// requireFlags fails with exit 2 and the usage when a flag is missing
// (cobra's MarkFlagRequired gives neither).
func requireFlags(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usageErr(fmt.Errorf("missing %s\n\n%s", strings.Join(missing, ", "), cmd.UsageString()))
	}
	return nil
}

// abbreviate keeps a table cell of space-separated words short: the
// system API's thirty-odd scopes would push every other column off screen
// (-o json and get show them all).
func abbreviate(words string, keep int) string {
	f := strings.Fields(words)
	if len(f) <= keep {
		return words
	}
	return strings.Join(f[:keep], " ") + fmt.Sprintf(" (+%d more)", len(f)-keep)
}
