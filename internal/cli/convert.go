package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/hooks"
)

// hooks convert: a Hook's code as the equivalent Action, for teams
// finishing the move Auth0 asked for. The transform is
// actions.ConvertHook; this file only finds the Hook and prints.

func newHooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "Hook helpers: convert a Hook to an Action",
		Long: `Helpers for hooks beyond the Auth0 hooks CLI's verbs (tokenhook create, ls,
enable, ... manage hooks themselves).`,
		Example: "  tokenhook hooks convert client-credentials-exchange-hook > action.js",
	}
	cmd.AddCommand(newHooksConvertCommand())
	return group(cmd)
}

// convertedHook is -o json's answer.
type convertedHook struct {
	Hook string `json:"hook,omitempty"`
	actions.Conversion
}

func newHooksConvertCommand() *cobra.Command {
	var typ string
	cmd := &cobra.Command{
		Use:   "convert NAME|FILE [-t TYPE]",
		Short: "Print the Action equivalent of a Hook (refuses what it cannot convert)",
		Long: `Print the Auth0 Action equivalent of a credentials-exchange or
password-exchange Hook, following Auth0's migration guide: the callback
becomes exports.onExecuteCredentialsExchange (or onExecutePostLogin) as an
async function, the arguments become event fields (client.metadata →
event.client.metadata, context.webtask.secrets.X → event.secrets.X,
audience → event.resource_server.identifier, user.* → event.user.*),
claims become api.accessToken/api.idToken.setCustomClaim, and
cb(new InvalidRequestError(msg)) becomes api.access.deny('invalid_request', msg).

The argument is a file when one exists at that path ("-" reads stdin; -t
gives its type, default credentials-exchange), otherwise the name of a
saved hook, read through the Management API.

It converts only what it can show to be equivalent and otherwise exits 1
naming the construct and its line: webtask storage, a change of the
token's scopes (a Hook's scope replaces the token's, an Action adjusts the
granted ones), a callback called from a nested function (rewrite it with
await first), and anything it does not recognise. The code goes to stdout;
the secrets the Action needs, its npm dependencies and any differences go
to stderr (-o json gives all of it as one object).`,
		Example: `  tokenhook hooks convert client-credentials-exchange-hook > action.js
  tokenhook hooks convert myrule.js -t password-exchange
  tokenhook hooks convert myhook -o json | jq -r .code`,
		Args: exactArgs(1),
	}
	addProfileFlag(cmd)
	addOutputFlag(cmd)
	cmd.Flags().StringVarP(&typ, "type", "t", "", "hook type of a FILE: credentials-exchange or password-exchange")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		p, err := newPrinter(cmd)
		if err != nil {
			return err
		}
		arg := args[0]
		var name, script, point string
		deps := map[string]string{}
		if st, err := os.Stat(arg); arg == "-" || (err == nil && !st.IsDir()) {
			if script, err = readScript(cmd, arg); err != nil {
				return err
			}
			point = typ
			if point == "" {
				point = hooks.CredentialsExchange
			}
		} else {
			c, err := clientFor(profileName(cmd))
			if err != nil {
				return err
			}
			h, err := mustFindHook(cmd.Context(), c, arg)
			if err != nil {
				if strings.ContainsAny(arg, "/.") {
					return &exitError{code: ExitNotFound, err: fmt.Errorf("%s: no such file, nor a hook of that name", arg)}
				}
				return err
			}
			if typ != "" && typ != h.TriggerID {
				return usageErr(fmt.Errorf("hook %q is a %s hook, not %s", h.Name, h.TriggerID, typ))
			}
			name, script, point, deps = h.Name, h.Script, h.TriggerID, h.Dependencies
		}
		conv, err := actions.ConvertHook(script, point)
		if err != nil {
			what := "the hook"
			if name != "" {
				what = fmt.Sprintf("hook %q", name)
			} else if arg != "-" {
				what = arg
			}
			return &exitError{code: ExitFailure, err: fmt.Errorf("cannot convert %s: %w", what, err)}
		}
		// The hook's declared dependencies, then those pinned inline.
		for _, n := range sortedKeys(deps) {
			if !slices.ContainsFunc(conv.Dependencies, func(d actions.Dependency) bool { return d.Name == n }) {
				conv.Dependencies = append(conv.Dependencies, actions.Dependency{Name: n, Version: deps[n]})
			}
		}
		if p.json {
			return p.JSON(convertedHook{Hook: name, Conversion: conv})
		}
		fmt.Fprint(p.w, conv.Code)
		if !strings.HasSuffix(conv.Code, "\n") {
			fmt.Fprintln(p.w)
		}
		errw := cmd.ErrOrStderr()
		var create []string
		create = append(create, "tokenhook actions create NAME -t "+conv.Trigger+" action.js")
		for _, s := range conv.Secrets {
			create = append(create, "--secret "+s+"=...")
		}
		for _, d := range conv.Dependencies {
			create = append(create, "--dependency "+d.Name+"@"+d.Version)
		}
		for _, n := range conv.Notes {
			fmt.Fprintln(errw, "Note: "+n)
		}
		fmt.Fprintf(errw, "Converted to a %s Action. To create it (secret values are not copied from the hook):\n  %s\n",
			conv.Trigger, strings.Join(create, " "))
		return nil
	}
	return cmd
}
