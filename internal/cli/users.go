package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// users: the database connection's users, for the password grants.

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
	return resource{
		cmd: &cobra.Command{
			Use:   "users",
			Short: "Manage users (for the password-exchange grant)",
			Example: `  tokenhook users create --email ana@example.com --password 'correct horse battery'
  tokenhook users ls`,
		},
		path:   "users",
		noun:   "User",
		ls:     verb{"ls", "List users", "  tokenhook users ls -o json"},
		header: []string{"USER_ID", "EMAIL", "USERNAME", "NAME", "BLOCKED"},
		row: func(_ *printer, o map[string]any) []string {
			return []string{str(o, "user_id"), orDash(str(o, "email")), orDash(str(o, "username")), orDash(str(o, "name")), orDash(str(o, "blocked"))}
		},
		get:    verb{"get USER_ID", "Show a user", "  tokenhook users get 'auth0|...'"},
		show:   showFields(userFields),
		create: verb{"create --email EMAIL --password PASSWORD", "Create a user", "  tokenhook users create --email ana@example.com --password 'correct horse battery' --app-metadata plan=gold"},
		update: verb{"update USER_ID", "Change a user", "  tokenhook users update 'auth0|...' --password 'new one' --blocked=false"},
		flags: func(f *pflag.FlagSet, create bool) {
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
		},
		body: func(cmd *cobra.Command, create bool) (map[string]any, error) {
			body, err := dataBody(cmd)
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
			if _, ok := body["connection"]; create && !ok {
				body["connection"] = defaultConnection
			}
			return body, nil
		},
		rm: verb{"rm USER_ID", "Delete a user", "  tokenhook users rm 'auth0|...'"},
	}.command()
}
