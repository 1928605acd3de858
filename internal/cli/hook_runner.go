package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// The test verb: a hook run through the server's runner.

type runReport struct {
	Result json.RawMessage `json:"result"`
	Logs   []struct {
		Time    string `json:"time"`
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"logs"`
	DurationMS float64 `json:"duration_ms"`
	Error      *struct {
		Status      int    `json:"status"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	} `json:"error"`
}

func newTestCommand() *cobra.Command {
	var typ, payloadFile string
	cmd := withClient(&cobra.Command{
		Use:   "test NAME|FILE [-t TYPE] [--payload FILE]",
		Short: "Run a saved hook, or unsaved code from a file, in the runner",
		Long: `Run code in the server's hook runner without enabling or saving it, and print
what a token request would get: the result (scopes and claims after
filtering), the console output, the duration and the error.

The argument is a file when one exists at that path ("-" reads stdin),
otherwise the name of a saved hook. Unsaved code runs as -t TYPE (default
credentials-exchange) with the -s/--secrets-file secrets; a saved hook runs
with its stored secrets, -s adding or overriding some for this run.
--payload gives the arguments (JSON: client, scope, audience, user,
context); the default is the runner's sample.

Exits 1 when the hook failed (the report's error is set), so scripts can
use it as a check.`,
		Example: `  tokenhook test myrule.js
  tokenhook test -t password-exchange pwd.js --payload payload.json
  tokenhook test client-credentials-exchange-hook -o json`,
		Args: exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		secrets, err := readSecrets(cmd)
		if err != nil {
			return err
		}
		var payload json.RawMessage
		if payloadFile != "" {
			var b []byte
			if payloadFile == "-" {
				b, err = io.ReadAll(cmd.InOrStdin())
			} else {
				b, err = os.ReadFile(payloadFile)
			}
			if err != nil {
				return usageErr(fmt.Errorf("--payload: %w", err))
			}
			if !json.Valid(b) {
				return usageErr(fmt.Errorf("--payload %s is not JSON", payloadFile))
			}
			payload = b
		}
		if typ != "" {
			if err := checkType(cmd.Context(), c, typ); err != nil {
				return err
			}
		}
		arg := args[0]
		var rep runReport
		if st, err := os.Stat(arg); arg == "-" || (err == nil && !st.IsDir()) {
			script, err := readScript(cmd, arg)
			if err != nil {
				return err
			}
			t := typ
			if t == "" {
				t = hooks.Triggers[0]
			}
			body := map[string]any{"triggerId": t, "script": script, "secrets": secrets}
			if payload != nil {
				body["payload"] = payload
			}
			if err := c.call(ctx, "POST", "hooks/run", nil, body, &rep); err != nil {
				return err
			}
		} else {
			h, err := mustFindHook(ctx, c, arg)
			if err != nil {
				if strings.ContainsAny(arg, "/.") {
					return &exitError{code: ExitNotFound, err: fmt.Errorf("%s: no such file, nor a hook of that name", arg)}
				}
				return err
			}
			if typ != "" && typ != h.TriggerID {
				return usageErr(fmt.Errorf("hook %q is a %s hook, not %s", h.Name, h.TriggerID, typ))
			}
			body := map[string]any{"secrets": secrets}
			if payload != nil {
				body["payload"] = payload
			}
			if err := c.call(ctx, "POST", "hooks/"+h.ID+"/run", nil, body, &rep); err != nil {
				return err
			}
		}
		if p.json {
			if err := p.JSON(rep); err != nil {
				return err
			}
		} else if err := printReport(p, rep); err != nil {
			return err
		}
		if rep.Error != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("the hook failed: %s: %s", rep.Error.Error, rep.Error.Description)}
		}
		return nil
	})
	cmd.Flags().StringVarP(&typ, "type", "t", "", "hook type of unsaved code (default credentials-exchange)")
	cmd.Flags().StringVar(&payloadFile, "payload", "", "JSON file of the hook's arguments, or - for stdin")
	secretFlags(cmd)
	return cmd
}

func printReport(p *printer, rep runReport) error {
	if err := printResult(p, rep.Result); err != nil {
		return err
	}
	fmt.Fprintln(p.w, p.paint(ansiBold, "Logs:"))
	if len(rep.Logs) == 0 {
		fmt.Fprintln(p.w, "  (none)")
	}
	for _, l := range rep.Logs {
		fmt.Fprintf(p.w, "  %s %s %s\n", p.paint(ansiDim, l.Time), levelLabel(p, l.Level), l.Message)
	}
	fmt.Fprintf(p.w, "%s %.1f ms\n", p.paint(ansiBold, "Duration:"), rep.DurationMS)
	if rep.Error == nil {
		fmt.Fprintf(p.w, "%s none\n", p.paint(ansiBold, "Error:"))
	} else {
		fmt.Fprintf(p.w, "%s %s\n", p.paint(ansiBold, "Error:"),
			p.paint(ansiRed, fmt.Sprintf("%d %s: %s", rep.Error.Status, rep.Error.Error, rep.Error.Description)))
	}
	return nil
}

func levelLabel(p *printer, level string) string {
	l := fmt.Sprintf("%-5s", level)
	switch level {
	case "error":
		return p.paint(ansiRed, l)
	case "warn":
		return p.paint(ansiYellow, l)
	}
	return p.paint(ansiDim, l)
}

// printResult prints a test run's result JSON indented under a heading,
// "(none)" when there is none.
func printResult(p *printer, result json.RawMessage) error {
	fmt.Fprintln(p.w, p.paint(ansiBold, "Result:"))
	if len(result) == 0 || string(result) == "null" {
		fmt.Fprintln(p.w, "  (none)")
		return nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, result, "  ", "  "); err != nil {
		return err
	}
	fmt.Fprintf(p.w, "  %s\n", buf.String())
	return nil
}
