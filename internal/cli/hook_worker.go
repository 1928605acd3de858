package cli

import (
	"github.com/spf13/cobra"

	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
)

// newHookWorkerCommand is started by `serve` itself, once per hook worker:
// it runs hook scripts received on stdin and answers on stdout.
func newHookWorkerCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "hook-worker",
		Short:  "Run hooks for a serving tokenhook (started by serve; not for direct use)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return jsvm.ServeWorker(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}
