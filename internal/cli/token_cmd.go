package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// newTokenCommand is the seeds' "Test your hook" step without jwt.io: run a
// client-credentials exchange and show the token decoded. It needs only the
// profile's URL (and CA); the management credentials are not used.
func newTokenCommand() *cobra.Command {
	var clientID, secret, audience, scope, serverURL string
	cmd := &cobra.Command{
		Use:   "token -c CLIENT_ID -s CLIENT_SECRET -a AUDIENCE",
		Short: "Get a token with client credentials and print it decoded",
		Long: `Get an access token with the client-credentials grant, as an application
would, and print the response with the token's header and payload decoded
(not verified): the quickest way to see what an enabled hook added.

The server is the profile's (-p) unless --url is given.`,
		Example: `  tokenhook token -c CLIENT_ID -s CLIENT_SECRET -a https://orders.example/
  tokenhook token -c CLIENT_ID -s CLIENT_SECRET -a https://orders.example/ -o json | jq -r .response.access_token`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := newPrinter(cmd)
			if err != nil {
				return err
			}
			if clientID == "" || secret == "" {
				return usageErr(fmt.Errorf("-c/--client-id and -s/--client-secret are required\n\n%s", cmd.UsageString()))
			}
			var c *apiClient
			if serverURL != "" {
				c, err = newAPIClient("", profile{URL: strings.TrimSuffix(serverURL, "/") + "/"})
			} else {
				c, err = clientFor(profileName(cmd))
			}
			if err != nil {
				return err
			}
			body, err := c.requestToken(cmd.Context(), clientID, secret, audience, scope)
			if err != nil {
				return err
			}
			var resp map[string]any
			if err := json.Unmarshal(body, &resp); err != nil {
				return &exitError{code: ExitServerError, err: fmt.Errorf("unreadable token response: %w", err)}
			}
			tok, _ := resp["access_token"].(string)
			header, payload, err := decodeJWT(tok)
			if err != nil {
				return &exitError{code: ExitServerError, err: err}
			}
			if p.json {
				return p.JSON(map[string]any{"response": resp, "header": header, "payload": payload})
			}
			fmt.Fprintln(p.w, p.paint(ansiBold, "Response:"))
			if err := p.JSON(resp); err != nil {
				return err
			}
			fmt.Fprintln(p.w, p.paint(ansiBold, "Header:"))
			if err := p.JSON(header); err != nil {
				return err
			}
			fmt.Fprintln(p.w, p.paint(ansiBold, "Payload:"))
			return p.JSON(payload)
		},
	}
	addProfileFlag(cmd)
	addOutputFlag(cmd)
	f := cmd.Flags()
	f.StringVarP(&clientID, "client-id", "c", "", "the application's client id")
	f.StringVarP(&secret, "client-secret", "s", os.Getenv("TOKENHOOK_CLIENT_SECRET"), "the application's client secret (env TOKENHOOK_CLIENT_SECRET)")
	f.StringVarP(&audience, "audience", "a", "", "the API's identifier")
	f.StringVar(&scope, "scope", "", "space-separated scopes to ask for (default: all granted)")
	f.StringVar(&serverURL, "url", "", "server URL (default: the profile's)")
	return cmd
}

// decodeJWT splits a compact JWS and decodes its header and payload
// without verifying the signature: this is for reading, not trusting.
func decodeJWT(tok string) (header, payload map[string]any, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("the access_token is not a JWT")
	}
	dec := func(s string) (map[string]any, error) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("the access_token is not a JWT: %w", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("the access_token is not a JWT: %w", err)
		}
		return m, nil
	}
	if header, err = dec(parts[0]); err != nil {
		return nil, nil, err
	}
	payload, err = dec(parts[1])
	return header, payload, err
}
