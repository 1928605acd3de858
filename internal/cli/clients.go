package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// clients: applications, with their secret rotation.

var clientFields = [][2]string{
	{"name", "name"}, {"client_id", "client_id"}, {"client_secret", "client_secret"},
	{"app_type", "app_type"}, {"description", "description"}, {"grant_types", "grant_types"},
	{"metadata", "client_metadata"}, {"auth method", "token_endpoint_auth_method"},
}

func newClientsCommand() *cobra.Command {
	show := showFields(clientFields)
	rotate := withClient(&cobra.Command{
		Use: "rotate-secret CLIENT_ID", Short: "Replace an application's secret (prints the new one)", Args: exactArgs(1),
		Example: "  tokenhook clients rotate-secret CLIENT_ID",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "clients/"+pathEscape(args[0])+"/rotate-secret", nil, nil, &o); err != nil {
			return err
		}
		return show(p, o)
	})
	return resource{
		cmd: &cobra.Command{
			Use:     "clients",
			Aliases: []string{"apps", "applications"},
			Short:   "Manage applications (clients)",
			Example: `  tokenhook clients ls
  tokenhook clients create --name billing --metadata plan=gold
  tokenhook clients rotate-secret CLIENT_ID`,
		},
		path:   "clients",
		noun:   "Application",
		ls:     verb{"ls", "List applications", "  tokenhook clients ls\n  tokenhook clients ls -o json"},
		header: []string{"CLIENT_ID", "NAME", "APP_TYPE", "GRANT_TYPES"},
		row: func(_ *printer, o map[string]any) []string {
			return []string{str(o, "client_id"), str(o, "name"), str(o, "app_type"), strList(o, "grant_types")}
		},
		get:    verb{"get CLIENT_ID", "Show an application", "  tokenhook clients get CLIENT_ID -o json"},
		show:   show,
		create: verb{"create --name NAME", "Create an application (prints its secret once)", "  tokenhook clients create --name billing --metadata plan=gold"},
		update: verb{"update CLIENT_ID", "Change an application's settings", "  tokenhook clients update CLIENT_ID --name billing-v2 --metadata plan=silver"},
		flags: func(f *pflag.FlagSet, _ bool) {
			f.String("name", "", "application name")
			f.String("description", "", "description")
			f.String("app-type", "", "non_interactive (machine to machine, the default), regular_web, spa or native")
			f.StringSlice("grant-type", nil, "grant types, e.g. client_credentials,password")
			f.StringArray("metadata", nil, "client_metadata KEY=VALUE (repeatable); hooks see it as client.metadata")
			f.String("data", "", "raw JSON body, @FILE or @- (flags override its fields)")
		},
		body: func(cmd *cobra.Command, _ bool) (map[string]any, error) {
			body, err := dataBody(cmd)
			if err != nil {
				return nil, err
			}
			setIfChanged(cmd, body, "name", "name")
			setIfChanged(cmd, body, "description", "description")
			setIfChanged(cmd, body, "app-type", "app_type")
			setIfChanged(cmd, body, "grant-type", "grant_types")
			if md, _ := cmd.Flags().GetStringArray("metadata"); len(md) > 0 {
				m, err := parseKeyValues("--metadata", md)
				if err != nil {
					return nil, err
				}
				body["client_metadata"] = m
			}
			return body, nil
		},
		missing: func(body map[string]any) string {
			if _, ok := body["name"]; !ok {
				return "--name is required"
			}
			return ""
		},
		rm:   verb{"rm CLIENT_ID", "Delete an application", "  tokenhook clients rm CLIENT_ID"},
		more: []*cobra.Command{rotate},
	}.command()
}
