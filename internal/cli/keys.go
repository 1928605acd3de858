package cli

import "github.com/spf13/cobra"

// keys: the token signing keys, listed and rotated; they are never created
// or deleted by hand.

func newKeysCommand() *cobra.Command {
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
	return resource{
		cmd: &cobra.Command{
			Use:     "keys",
			Short:   "List and rotate the token signing keys",
			Example: "  tokenhook keys ls\n  tokenhook keys rotate",
		},
		path: "keys/signing",
		ls:   verb{"ls", "List signing keys", "  tokenhook keys ls"},
		// The key list is short and not paged.
		unpaged: true,
		header:  []string{"KID", "STATE", "CURRENT_SINCE", "FINGERPRINT"},
		row: func(p *printer, o map[string]any) []string {
			state := "-"
			for _, s := range []string{"current", "next", "previous", "revoked"} {
				if o[s] == true {
					state = s
				}
			}
			if state == "current" {
				state = p.paint(ansiGreen, state)
			}
			return []string{str(o, "kid"), state, orDash(str(o, "current_since")), orDash(str(o, "fingerprint"))}
		},
		more: []*cobra.Command{rotate, revoke},
	}.command()
}
