package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes (compat-spec §5).
const (
	ExitOK           = 0
	ExitFailure      = 1
	ExitUsage        = 2
	ExitNotFound     = 5
	ExitBadRequest   = 6
	ExitServerError  = 7
	ExitUnauthorized = 8
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the command line and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "tokenhook",
		Short:         "Self-hosted OAuth2 token server that runs Auth0 Hooks",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.AddCommand(newServeCommand(), newHookWorkerCommand())
	addClientCommands(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%w\n\n%s", err, c.UsageString())}
	})
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "Error:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isCobraUsageError(err) {
		return ExitUsage
	}
	return ExitFailure
}
