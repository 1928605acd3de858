package cli

import (
	"net/url"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// grants: client grants, which application may get tokens for which API.

func grantRow(_ *printer, o map[string]any) []string {
	scope := orDash(abbreviate(strList(o, "scope"), 4))
	if o["allow_all_scopes"] == true {
		// Its scope list is empty: "-" would read as no scopes at all.
		scope = "all (allow_all_scopes)"
	}
	return []string{str(o, "id"), str(o, "client_id"), str(o, "audience"), scope}
}

var grantHeader = []string{"ID", "CLIENT_ID", "AUDIENCE", "SCOPE"}

// showGrant prints one grant as a one-row table, like ls.
func showGrant(p *printer, o map[string]any) error {
	if p.json {
		return p.JSON(o)
	}
	return p.table(grantHeader, [][]string{grantRow(p, o)})
}

func newGrantsCommand() *cobra.Command {
	return resource{
		cmd: &cobra.Command{
			Use:     "grants",
			Aliases: []string{"client-grants"},
			Short:   "Manage client grants: which application may get tokens for which API, with which scopes",
			Example: `  tokenhook grants create --client-id CLIENT_ID --audience https://orders.example/ --scope read:orders
  tokenhook grants ls --client-id CLIENT_ID`,
		},
		path:   "client-grants",
		noun:   "Grant",
		ls:     verb{"ls", "List client grants", "  tokenhook grants ls --audience https://orders.example/"},
		header: grantHeader,
		row:    grantRow,
		lsFlags: func(f *pflag.FlagSet) {
			f.String("client-id", "", "only this application's grants")
			f.String("audience", "", "only grants for this API")
		},
		lsQuery: func(cmd *cobra.Command) url.Values {
			q := url.Values{}
			if v, _ := cmd.Flags().GetString("client-id"); v != "" {
				q.Set("client_id", v)
			}
			if v, _ := cmd.Flags().GetString("audience"); v != "" {
				q.Set("audience", v)
			}
			return q
		},
		get:    verb{"get ID", "Show a client grant", "  tokenhook grants get cgr_..."},
		show:   showGrant,
		create: verb{"create --client-id ID --audience IDENTIFIER --scope SCOPE...", "Allow an application to get tokens for an API", "  tokenhook grants create --client-id CLIENT_ID --audience https://orders.example/ --scope read:orders,write:orders"},
		update: verb{"update ID --scope SCOPE...", "Replace a grant's scopes", "  tokenhook grants update cgr_... --scope read:orders"},
		flags: func(f *pflag.FlagSet, create bool) {
			if create {
				f.String("client-id", "", "the application's client id")
				f.String("audience", "", "the API's identifier")
				f.StringSlice("scope", nil, "granted scopes (repeatable or comma-separated)")
				return
			}
			f.StringSlice("scope", nil, "granted scopes (repeatable or comma-separated; replaces the list)")
		},
		// No --data: a grant is its three fields.
		body: func(cmd *cobra.Command, create bool) (map[string]any, error) {
			body := map[string]any{}
			if create {
				body["scope"] = []string{}
				setIfChanged(cmd, body, "client-id", "client_id")
				setIfChanged(cmd, body, "audience", "audience")
			}
			setIfChanged(cmd, body, "scope", "scope")
			return body, nil
		},
		missing: func(body map[string]any) string {
			if body["client_id"] == nil || body["audience"] == nil {
				return "--client-id and --audience are required"
			}
			return ""
		},
		nothingToUpdate: "--scope is required (give --scope '' to remove every scope)",
		rm:              verb{"rm ID", "Delete a client grant", "  tokenhook grants rm cgr_..."},
	}.command()
}
