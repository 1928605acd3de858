package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// addClientCommands registers the client verbs: the old hooks CLI's verbs
// at the top level (compat-spec §5), the tenant resources as groups.
func addClientCommands(root *cobra.Command) {
	root.AddGroup(
		&cobra.Group{ID: "hooks", Title: "Hooks (the Auth0 hooks CLI's verbs):"},
		&cobra.Group{ID: "actions", Title: "Actions:"},
		&cobra.Group{ID: "tenant", Title: "Tenant:"},
	)
	hookCmds := []*cobra.Command{
		newScaffoldCommand(), newCreateCommand(), newLsCommand(), newEnableCommand(true),
		newEnableCommand(false), newRmCommand(), newEditCommand(), newLogsCommand(),
		newTestCommand(), group(newSecretsCommand()), newHooksCommand(),
	}
	for _, c := range hookCmds {
		c.GroupID = "hooks"
		root.AddCommand(c)
	}
	acts := newActionsCommand()
	acts.GroupID = "actions"
	root.AddCommand(acts)
	tenant := []*cobra.Command{
		newInitCommand(), group(newClientsCommand()), group(newAPIsCommand()), group(newGrantsCommand()),
		group(newUsersCommand()), group(newKeysCommand()), newTokenCommand(),
	}
	for _, c := range tenant {
		c.GroupID = "tenant"
		root.AddCommand(c)
	}
	addCompletions(root)
	root.Example = `  tokenhook serve --dev
  tokenhook init -p default --url http://127.0.0.1:8080 --client-id $ID --client-secret $SECRET
  tokenhook scaffold -t credentials-exchange > myrule.js
  tokenhook create -t credentials-exchange -n client-credentials-exchange-hook -p default myrule.js
  tokenhook enable --profile default client-credentials-exchange-hook
  tokenhook token -c CLIENT_ID -s CLIENT_SECRET -a https://orders.example/`
}

// isCobraUsageError recognises the argument errors cobra itself returns
// (an unknown verb, a missing required flag): cobra gives them no type,
// only these messages, and they are bad arguments, exit 2.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "required flag", "unknown flag", "unknown shorthand flag",
		"accepts ", "requires at least", "invalid argument", "if any flags in the group", "flag needs an argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// completeHookNames offers the profile's hook names to shell completion;
// any failure (no profile, server down) just offers nothing.
func completeHookNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := clientFor(profileName(cmd))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := listHooks(cmd.Context(), c, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(list))
	for _, h := range list {
		names = append(names, h.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// addCompletions wires completion of hook names and of -t's values.
func addCompletions(root *cobra.Command) {
	byName := map[string]bool{"enable": true, "disable": true, "rm": true, "edit": true}
	types := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return hooks.Triggers, cobra.ShellCompDirectiveNoFileComp
	}
	for _, c := range root.Commands() {
		if byName[c.Name()] {
			c.ValidArgsFunction = completeHookNames
		}
		if c.Name() == "secrets" {
			for _, sub := range c.Commands() {
				sub.ValidArgsFunction = completeHookNames
			}
		}
		if c.Flags().Lookup("type") != nil {
			_ = c.RegisterFlagCompletionFunc("type", types)
		}
	}
}
