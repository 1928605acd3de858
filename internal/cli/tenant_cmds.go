package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// The tenant verbs: thin, table-printing wrappers over the Management API's
// Auth0-shaped resources. Bodies are built as maps so a field the server
// adds later passes through --data untouched.

// readData parses --data: inline JSON, @FILE, or @- for stdin.
func readData(cmd *cobra.Command, data string) (map[string]any, error) {
	out := map[string]any{}
	if data == "" {
		return out, nil
	}
	b := []byte(data)
	if strings.HasPrefix(data, "@") {
		var err error
		if data == "@-" {
			b, err = io.ReadAll(cmd.InOrStdin())
		} else {
			b, err = os.ReadFile(data[1:])
		}
		if err != nil {
			return nil, usageErr(fmt.Errorf("--data: %w", err))
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, usageErr(fmt.Errorf("--data is not a JSON object: %w", err))
	}
	return out, nil
}

// keyValues parses KEY=VALUE arguments.
func parseKeyValues(flag string, kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr(fmt.Errorf("%s wants KEY=VALUE, got %q", flag, kv))
		}
		out[k] = v
	}
	return out, nil
}

// setIfChanged copies a string flag into body when the user gave it.
func setIfChanged(cmd *cobra.Command, body map[string]any, flag, field string) {
	f := cmd.Flags().Lookup(flag)
	if f == nil || !f.Changed {
		return
	}
	switch f.Value.Type() {
	case "stringSlice", "stringArray":
		v, _ := cmd.Flags().GetStringSlice(flag)
		if f.Value.Type() == "stringArray" {
			v, _ = cmd.Flags().GetStringArray(flag)
		}
		if v == nil {
			v = []string{}
		}
		body[field] = v
	case "int":
		v, _ := cmd.Flags().GetInt(flag)
		body[field] = v
	case "bool":
		v, _ := cmd.Flags().GetBool(flag)
		body[field] = v
	default:
		body[field] = f.Value.String()
	}
}

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case bool, float64:
		return fmt.Sprint(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func strList(m map[string]any, k string) string {
	l, _ := m[k].([]any)
	parts := make([]string, 0, len(l))
	for _, v := range l {
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, " ")
}

// showObject prints one resource: JSON with -o json, else the listed
// fields as "label: value" lines.
func showObject(p *printer, obj map[string]any, fields [][2]string, extra ...[2]string) error {
	if p.json {
		return p.JSON(obj)
	}
	var kv [][2]string
	for _, f := range fields {
		v := str(obj, f[1])
		if l, ok := obj[f[1]].([]any); ok {
			v = strList(map[string]any{"l": l}, "l")
		}
		if v == "" {
			continue
		}
		kv = append(kv, [2]string{f[0], v})
	}
	return p.keyValues(append(kv, extra...))
}

// getCommand is the `get` verb of a resource: GET <path>/<arg>, shown by show.
func getCommand(use, short, example, path string, show func(*printer, map[string]any) error) *cobra.Command {
	return withClient(&cobra.Command{Use: use, Short: short, Args: exactArgs(1), Example: example},
		func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
			var o map[string]any
			if err := c.call(cmd.Context(), "GET", path+"/"+pathEscape(args[0]), nil, nil, &o); err != nil {
				return err
			}
			return show(p, o)
		})
}

// rmCommand is the `rm` verb of a resource: DELETE <path>/<arg>.
func rmCommand(use, short, example, path, noun string) *cobra.Command {
	return withClient(&cobra.Command{Use: use, Aliases: []string{"delete"}, Short: short, Args: exactArgs(1), Example: example},
		func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
			if err := c.call(cmd.Context(), "DELETE", path+"/"+pathEscape(args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(p, "%s %s deleted.", noun, args[0])
		})
}

func done(p *printer, format string, args ...any) error {
	if p.json {
		return nil
	}
	_, err := fmt.Fprintf(p.w, format+"\n", args...)
	return err
}

// ---- clients ----

var clientFields = [][2]string{
	{"name", "name"}, {"client_id", "client_id"}, {"client_secret", "client_secret"},
	{"app_type", "app_type"}, {"description", "description"}, {"grant_types", "grant_types"},
	{"metadata", "client_metadata"}, {"auth method", "token_endpoint_auth_method"},
}

func newClientsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "clients",
		Aliases: []string{"apps", "applications"},
		Short:   "Manage applications (clients)",
		Example: `  tokenhook clients ls
  tokenhook clients create --name billing --metadata plan=gold
  tokenhook clients rotate-secret CLIENT_ID`,
	}
	ls := withClient(&cobra.Command{
		Use: "ls", Aliases: []string{"list"}, Short: "List applications", Args: exactArgs(0),
		Example: "  tokenhook clients ls\n  tokenhook clients ls -o json",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		list, err := listAll[map[string]any](cmd.Context(), c, "clients", nil)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			rows = append(rows, []string{str(o, "client_id"), str(o, "name"), str(o, "app_type"), strList(o, "grant_types")})
		}
		return p.table([]string{"CLIENT_ID", "NAME", "APP_TYPE", "GRANT_TYPES"}, rows)
	})
	get := getCommand("get CLIENT_ID", "Show an application", "  tokenhook clients get CLIENT_ID -o json", "clients",
		func(p *printer, o map[string]any) error { return showObject(p, o, clientFields) })
	clientBody := func(cmd *cobra.Command) (map[string]any, error) {
		data, _ := cmd.Flags().GetString("data")
		body, err := readData(cmd, data)
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
	}
	clientFlags := func(cmd *cobra.Command) {
		f := cmd.Flags()
		f.String("name", "", "application name")
		f.String("description", "", "description")
		f.String("app-type", "", "non_interactive (machine to machine, the default), regular_web, spa or native")
		f.StringSlice("grant-type", nil, "grant types, e.g. client_credentials,password")
		f.StringArray("metadata", nil, "client_metadata KEY=VALUE (repeatable); hooks see it as client.metadata")
		f.String("data", "", "raw JSON body, @FILE or @- (flags override its fields)")
	}
	create := withClient(&cobra.Command{
		Use: "create --name NAME", Short: "Create an application (prints its secret once)", Args: exactArgs(0),
		Example: "  tokenhook clients create --name billing --metadata plan=gold",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		body, err := clientBody(cmd)
		if err != nil {
			return err
		}
		if _, ok := body["name"]; !ok {
			return usageErr(fmt.Errorf("--name is required\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "clients", nil, body, &o); err != nil {
			return err
		}
		return showObject(p, o, clientFields)
	})
	clientFlags(create)
	update := withClient(&cobra.Command{
		Use: "update CLIENT_ID", Short: "Change an application's settings", Args: exactArgs(1),
		Example: "  tokenhook clients update CLIENT_ID --name billing-v2 --metadata plan=silver",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		body, err := clientBody(cmd)
		if err != nil {
			return err
		}
		if len(body) == 0 {
			return usageErr(fmt.Errorf("nothing to update: give at least one flag\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "PATCH", "clients/"+pathEscape(args[0]), nil, body, &o); err != nil {
			return err
		}
		return showObject(p, o, clientFields)
	})
	clientFlags(update)
	rm := rmCommand("rm CLIENT_ID", "Delete an application", "  tokenhook clients rm CLIENT_ID", "clients", "Application")
	rotate := withClient(&cobra.Command{
		Use: "rotate-secret CLIENT_ID", Short: "Replace an application's secret (prints the new one)", Args: exactArgs(1),
		Example: "  tokenhook clients rotate-secret CLIENT_ID",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "clients/"+pathEscape(args[0])+"/rotate-secret", nil, nil, &o); err != nil {
			return err
		}
		return showObject(p, o, clientFields)
	})
	cmd.AddCommand(ls, get, create, update, rm, rotate)
	return cmd
}

// ---- APIs (resource servers) ----

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
	cmd := &cobra.Command{
		Use:     "apis",
		Aliases: []string{"resource-servers"},
		Short:   "Manage APIs (resource servers) and their scopes",
		Example: `  tokenhook apis create --identifier https://orders.example/ --name Orders --scope read:orders --scope "write:orders=Change orders"
  tokenhook apis ls`,
	}
	ls := withClient(&cobra.Command{
		Use: "ls", Aliases: []string{"list"}, Short: "List APIs", Args: exactArgs(0),
		Example: "  tokenhook apis ls",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		list, err := listAll[map[string]any](cmd.Context(), c, "resource-servers", nil)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			rows = append(rows, []string{str(o, "id"), str(o, "name"), str(o, "identifier"), orDash(abbreviate(scopeValues(o), 4))})
		}
		return p.table([]string{"ID", "NAME", "IDENTIFIER", "SCOPES"}, rows)
	})
	get := getCommand("get ID|IDENTIFIER", "Show an API", "  tokenhook apis get https://orders.example/", "resource-servers", showAPI)
	apiBody := func(cmd *cobra.Command) (map[string]any, error) {
		data, _ := cmd.Flags().GetString("data")
		body, err := readData(cmd, data)
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
	}
	apiFlags := func(cmd *cobra.Command, withIdentifier bool) {
		f := cmd.Flags()
		if withIdentifier {
			f.String("identifier", "", "the API's identifier: the audience tokens are requested for")
		}
		f.String("name", "", "display name")
		f.StringArray("scope", nil, "scope VALUE or VALUE=DESCRIPTION (repeatable; replaces the list)")
		f.Int("token-lifetime", 0, "access token lifetime in seconds")
		f.String("data", "", "raw JSON body, @FILE or @- (flags override its fields)")
	}
	create := withClient(&cobra.Command{
		Use: "create --identifier URL --name NAME", Short: "Create an API", Args: exactArgs(0),
		Example: "  tokenhook apis create --identifier https://orders.example/ --name Orders --scope read:orders",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		body, err := apiBody(cmd)
		if err != nil {
			return err
		}
		if _, ok := body["identifier"]; !ok {
			return usageErr(fmt.Errorf("--identifier is required\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "resource-servers", nil, body, &o); err != nil {
			return err
		}
		return showAPI(p, o)
	})
	apiFlags(create, true)
	update := withClient(&cobra.Command{
		Use: "update ID|IDENTIFIER", Short: "Change an API", Args: exactArgs(1),
		Example: "  tokenhook apis update https://orders.example/ --scope read:orders --scope write:orders",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		body, err := apiBody(cmd)
		if err != nil {
			return err
		}
		if len(body) == 0 {
			return usageErr(fmt.Errorf("nothing to update: give at least one flag\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "PATCH", "resource-servers/"+pathEscape(args[0]), nil, body, &o); err != nil {
			return err
		}
		return showAPI(p, o)
	})
	apiFlags(update, false)
	rm := rmCommand("rm ID|IDENTIFIER", "Delete an API", "  tokenhook apis rm https://orders.example/", "resource-servers", "API")
	cmd.AddCommand(ls, get, create, update, rm)
	return cmd
}

// ---- client grants ----

func newGrantsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "grants",
		Aliases: []string{"client-grants"},
		Short:   "Manage client grants: which application may get tokens for which API, with which scopes",
		Example: `  tokenhook grants create --client-id CLIENT_ID --audience https://orders.example/ --scope read:orders
  tokenhook grants ls --client-id CLIENT_ID`,
	}
	grantRow := func(o map[string]any) []string {
		return []string{str(o, "id"), str(o, "client_id"), str(o, "audience"), orDash(abbreviate(strList(o, "scope"), 4))}
	}
	grantHeader := []string{"ID", "CLIENT_ID", "AUDIENCE", "SCOPE"}
	showGrant := func(p *printer, o map[string]any) error {
		if p.json {
			return p.JSON(o)
		}
		return p.table(grantHeader, [][]string{grantRow(o)})
	}
	ls := withClient(&cobra.Command{
		Use: "ls", Aliases: []string{"list"}, Short: "List client grants", Args: exactArgs(0),
		Example: "  tokenhook grants ls --audience https://orders.example/",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		q := url.Values{}
		if v, _ := cmd.Flags().GetString("client-id"); v != "" {
			q.Set("client_id", v)
		}
		if v, _ := cmd.Flags().GetString("audience"); v != "" {
			q.Set("audience", v)
		}
		list, err := listAll[map[string]any](cmd.Context(), c, "client-grants", q)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			rows = append(rows, grantRow(o))
		}
		return p.table(grantHeader, rows)
	})
	ls.Flags().String("client-id", "", "only this application's grants")
	ls.Flags().String("audience", "", "only grants for this API")
	get := getCommand("get ID", "Show a client grant", "  tokenhook grants get cgr_...", "client-grants", showGrant)
	create := withClient(&cobra.Command{
		Use: "create --client-id ID --audience IDENTIFIER --scope SCOPE...", Short: "Allow an application to get tokens for an API", Args: exactArgs(0),
		Example: "  tokenhook grants create --client-id CLIENT_ID --audience https://orders.example/ --scope read:orders,write:orders",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		body := map[string]any{"scope": []string{}}
		setIfChanged(cmd, body, "client-id", "client_id")
		setIfChanged(cmd, body, "audience", "audience")
		setIfChanged(cmd, body, "scope", "scope")
		if body["client_id"] == nil || body["audience"] == nil {
			return usageErr(fmt.Errorf("--client-id and --audience are required\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "client-grants", nil, body, &o); err != nil {
			return err
		}
		return showGrant(p, o)
	})
	create.Flags().String("client-id", "", "the application's client id")
	create.Flags().String("audience", "", "the API's identifier")
	create.Flags().StringSlice("scope", nil, "granted scopes (repeatable or comma-separated)")
	update := withClient(&cobra.Command{
		Use: "update ID --scope SCOPE...", Short: "Replace a grant's scopes", Args: exactArgs(1),
		Example: "  tokenhook grants update cgr_... --scope read:orders",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		body := map[string]any{}
		setIfChanged(cmd, body, "scope", "scope")
		if len(body) == 0 {
			return usageErr(fmt.Errorf("--scope is required (give --scope '' to remove every scope)\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "PATCH", "client-grants/"+pathEscape(args[0]), nil, body, &o); err != nil {
			return err
		}
		return showGrant(p, o)
	})
	update.Flags().StringSlice("scope", nil, "granted scopes (repeatable or comma-separated; replaces the list)")
	rm := rmCommand("rm ID", "Delete a client grant", "  tokenhook grants rm cgr_...", "client-grants", "Grant")
	cmd.AddCommand(ls, get, create, update, rm)
	return cmd
}

// ---- users ----

var userFields = [][2]string{
	{"user_id", "user_id"}, {"email", "email"}, {"email_verified", "email_verified"}, {"username", "username"},
	{"name", "name"}, {"nickname", "nickname"}, {"connection", "connection"}, {"blocked", "blocked"},
	{"user_metadata", "user_metadata"}, {"app_metadata", "app_metadata"},
	{"created_at", "created_at"}, {"updated_at", "updated_at"},
}

// defaultConnection is Auth0's database connection name, which the users
// API expects on create.
const defaultConnection = "Username-Password-Authentication"

func newUsersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage users (for the password-exchange grant)",
		Example: `  tokenhook users create --email ana@example.com --password 'correct horse battery'
  tokenhook users ls`,
	}
	userBody := func(cmd *cobra.Command) (map[string]any, error) {
		data, _ := cmd.Flags().GetString("data")
		body, err := readData(cmd, data)
		if err != nil {
			return nil, err
		}
		for _, f := range []string{"email", "username", "password", "name", "connection"} {
			setIfChanged(cmd, body, f, f)
		}
		setIfChanged(cmd, body, "email-verified", "email_verified")
		setIfChanged(cmd, body, "blocked", "blocked")
		for flag, field := range map[string]string{"user-metadata": "user_metadata", "app-metadata": "app_metadata"} {
			if kv, _ := cmd.Flags().GetStringArray(flag); len(kv) > 0 {
				m, err := parseKeyValues("--"+flag, kv)
				if err != nil {
					return nil, err
				}
				body[field] = m
			}
		}
		return body, nil
	}
	userFlags := func(cmd *cobra.Command, create bool) {
		f := cmd.Flags()
		f.String("email", "", "email address")
		f.String("username", "", "username")
		f.String("password", "", "password")
		f.String("name", "", "full name")
		f.Bool("email-verified", false, "mark the email address verified")
		f.StringArray("user-metadata", nil, "user_metadata KEY=VALUE (repeatable)")
		f.StringArray("app-metadata", nil, "app_metadata KEY=VALUE (repeatable)")
		f.String("data", "", "raw JSON body, @FILE or @- (flags override its fields)")
		if create {
			f.String("connection", defaultConnection, "database connection")
		} else {
			f.Bool("blocked", false, "block (or with --blocked=false unblock) the user")
		}
	}
	userRow := func(o map[string]any) []string {
		return []string{str(o, "user_id"), orDash(str(o, "email")), orDash(str(o, "username")), orDash(str(o, "name")), orDash(str(o, "blocked"))}
	}
	ls := withClient(&cobra.Command{
		Use: "ls", Aliases: []string{"list"}, Short: "List users", Args: exactArgs(0),
		Example: "  tokenhook users ls -o json",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		list, err := listAll[map[string]any](cmd.Context(), c, "users", nil)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			rows = append(rows, userRow(o))
		}
		return p.table([]string{"USER_ID", "EMAIL", "USERNAME", "NAME", "BLOCKED"}, rows)
	})
	get := getCommand("get USER_ID", "Show a user", "  tokenhook users get 'auth0|...'", "users",
		func(p *printer, o map[string]any) error { return showObject(p, o, userFields) })
	create := withClient(&cobra.Command{
		Use: "create --email EMAIL --password PASSWORD", Short: "Create a user", Args: exactArgs(0),
		Example: "  tokenhook users create --email ana@example.com --password 'correct horse battery' --app-metadata plan=gold",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		body, err := userBody(cmd)
		if err != nil {
			return err
		}
		if _, ok := body["connection"]; !ok {
			body["connection"] = defaultConnection
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "users", nil, body, &o); err != nil {
			return err
		}
		return showObject(p, o, userFields)
	})
	userFlags(create, true)
	update := withClient(&cobra.Command{
		Use: "update USER_ID", Short: "Change a user", Args: exactArgs(1),
		Example: "  tokenhook users update 'auth0|...' --password 'new one' --blocked=false",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		body, err := userBody(cmd)
		if err != nil {
			return err
		}
		if len(body) == 0 {
			return usageErr(fmt.Errorf("nothing to update: give at least one flag\n\n%s", cmd.UsageString()))
		}
		var o map[string]any
		if err := c.call(cmd.Context(), "PATCH", "users/"+pathEscape(args[0]), nil, body, &o); err != nil {
			return err
		}
		return showObject(p, o, userFields)
	})
	userFlags(update, false)
	rm := rmCommand("rm USER_ID", "Delete a user", "  tokenhook users rm 'auth0|...'", "users", "User")
	cmd.AddCommand(ls, get, create, update, rm)
	return cmd
}

// ---- signing keys ----

func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys",
		Short:   "List and rotate the token signing keys",
		Example: "  tokenhook keys ls\n  tokenhook keys rotate",
	}
	ls := withClient(&cobra.Command{
		Use: "ls", Aliases: []string{"list"}, Short: "List signing keys", Args: exactArgs(0),
		Example: "  tokenhook keys ls",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		var list []map[string]any
		if err := c.call(cmd.Context(), "GET", "keys/signing", nil, nil, &list); err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			state := "-"
			for _, s := range []string{"current", "next", "previous", "revoked"} {
				if o[s] == true {
					state = s
				}
			}
			if state == "current" {
				state = p.paint(ansiGreen, state)
			}
			rows = append(rows, []string{str(o, "kid"), state, orDash(str(o, "current_since")), orDash(str(o, "fingerprint"))})
		}
		return p.table([]string{"KID", "STATE", "CURRENT_SINCE", "FINGERPRINT"}, rows)
	})
	rotate := withClient(&cobra.Command{
		Use: "rotate", Short: "Make the next key current and generate a new next key", Args: exactArgs(0),
		Example: "  tokenhook keys rotate",
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		var o map[string]any
		if err := c.call(cmd.Context(), "POST", "keys/signing/rotate", nil, nil, &o); err != nil {
			return err
		}
		if p.json {
			return p.JSON(o)
		}
		return done(p, "Rotated: tokens are now signed with key %s.", str(o, "kid"))
	})
	revoke := withClient(&cobra.Command{
		Use: "revoke KID", Short: "Revoke a signing key", Args: exactArgs(1),
		Example: "  tokenhook keys revoke KID",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		var o map[string]any
		if err := c.call(cmd.Context(), "PUT", "keys/signing/"+pathEscape(args[0])+"/revoke", nil, nil, &o); err != nil {
			return err
		}
		if p.json {
			return p.JSON(o)
		}
		return done(p, "Key %s revoked.", args[0])
	})
	cmd.AddCommand(ls, rotate, revoke)
	return cmd
}

// ---- tenant log events ----

func newTenantLogsCommand() *cobra.Command {
	cmd := withClient(&cobra.Command{
		Use:   "tenant",
		Short: "List recent tenant log events (token exchanges and their failures)",
		Long: `List recent tenant log events, newest first: seccft/feccft (success or
failure of a client-credentials exchange), sepft/fepft (password exchange),
with the application, the hook that ran and the description.`,
		Example: `  tokenhook logs tenant
  tokenhook logs tenant --type feccft -n 10 -o json`,
		Args: exactArgs(0),
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		n, _ := cmd.Flags().GetInt("limit")
		if n < 1 || n > 100 {
			return usageErr(fmt.Errorf("--limit must be between 1 and 100"))
		}
		var terms []string
		if t, _ := cmd.Flags().GetString("type"); t != "" {
			terms = append(terms, "type:"+t)
		}
		if id, _ := cmd.Flags().GetString("client-id"); id != "" {
			terms = append(terms, "client_id:"+id)
		}
		q := url.Values{"per_page": {fmt.Sprint(n)}, "sort": {"date:-1"}}
		if len(terms) > 0 {
			q.Set("q", strings.Join(terms, " AND "))
		}
		var list []map[string]any
		if err := c.call(cmd.Context(), "GET", "logs", q, nil, &list); err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		var rows [][]string
		for _, o := range list {
			typ := str(o, "type")
			if strings.HasPrefix(typ, "f") {
				typ = p.paint(ansiRed, typ)
			}
			rows = append(rows, []string{str(o, "date"), typ, orDash(str(o, "client_name")), orDash(str(o, "hook")), orDash(str(o, "description"))})
		}
		return p.table([]string{"DATE", "TYPE", "APPLICATION", "HOOK", "DESCRIPTION"}, rows)
	})
	f := cmd.Flags()
	f.IntP("limit", "n", 50, "how many events (1-100)")
	f.String("type", "", "only events of this type (e.g. seccft, feccft)")
	f.String("client-id", "", "only events of this application")
	return cmd
}

// sortedKeys returns m's keys in order, for stable tables.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
