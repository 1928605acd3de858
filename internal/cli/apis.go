package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// apis: resource servers and their scopes.

var apiFields = [][2]string{
	{"id", "id"}, {"name", "name"}, {"identifier", "identifier"}, {"signing_alg", "signing_alg"},
	{"token_lifetime", "token_lifetime"},
}

func scopeValues(o map[string]any) string {
	l, _ := o["scopes"].([]any)
	var parts []string
	for _, s := range l {
		if m, ok := s.(map[string]any); ok {
			parts = append(parts, str(m, "value"))
		}
	}
	return strings.Join(parts, " ")
}

func showAPI(p *printer, o map[string]any) error {
	return showObject(p, o, apiFields, [2]string{"scopes", orDash(scopeValues(o))})
}

func newAPIsCommand() *cobra.Command {
	return resource{
		cmd: &cobra.Command{
			Use:     "apis",
			Aliases: []string{"resource-servers"},
			Short:   "Manage APIs (resource servers) and their scopes",
			Example: `  tokenhook apis create --identifier https://orders.example/ --name Orders --scope read:orders --scope "write:orders=Change orders"
  tokenhook apis ls`,
		},
		path:   "resource-servers",
		noun:   "API",
		ls:     verb{"ls", "List APIs", "  tokenhook apis ls"},
		header: []string{"ID", "NAME", "IDENTIFIER", "SCOPES"},
		row: func(_ *printer, o map[string]any) []string {
			return []string{str(o, "id"), str(o, "name"), str(o, "identifier"), orDash(abbreviate(scopeValues(o), 4))}
		},
		get:    verb{"get ID|IDENTIFIER", "Show an API", "  tokenhook apis get https://orders.example/"},
		show:   showAPI,
		create: verb{"create --identifier URL --name NAME", "Create an API", "  tokenhook apis create --identifier https://orders.example/ --name Orders --scope read:orders"},
		update: verb{"update ID|IDENTIFIER", "Change an API", "  tokenhook apis update https://orders.example/ --scope read:orders --scope write:orders"},
		flags: func(f *pflag.FlagSet, create bool) {
			if create {
				f.String("identifier", "", "the API's identifier: the audience tokens are requested for")
			}
			f.String("name", "", "display name")
			f.StringArray("scope", nil, "scope VALUE or VALUE=DESCRIPTION (repeatable; replaces the list)")
			f.Int("token-lifetime", 0, "access token lifetime in seconds")
			f.String("data", "", "raw JSON body, @FILE or @- (flags override its fields)")
		},
		body: func(cmd *cobra.Command, _ bool) (map[string]any, error) {
			body, err := dataBody(cmd)
			if err != nil {
				return nil, err
			}
			setIfChanged(cmd, body, "identifier", "identifier")
			setIfChanged(cmd, body, "name", "name")
			setIfChanged(cmd, body, "token-lifetime", "token_lifetime")
			if cmd.Flags().Changed("scope") {
				vals, _ := cmd.Flags().GetStringArray("scope")
				scopes := []map[string]string{}
				for _, v := range vals {
					// "=" separates the description: scope values contain ":".
					value, desc, _ := strings.Cut(v, "=")
					scopes = append(scopes, map[string]string{"value": value, "description": desc})
				}
				body["scopes"] = scopes
			}
			return body, nil
		},
		missing: func(body map[string]any) string {
			if _, ok := body["identifier"]; !ok {
				return "--identifier is required"
			}
			return ""
		},
		rm: verb{"rm ID|IDENTIFIER", "Delete an API", "  tokenhook apis rm https://orders.example/"},
	}.command()
}
