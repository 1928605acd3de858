package cli

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// profile is one saved server and the management application's
// credentials. The secret is stored in clear, like ~/.netrc or the old
// webtask CLI's profile, which is why the file is 0600 in a 0700 directory.
type profile struct {
	URL          string `json:"url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// Audience is the Management API's audience (<issuer>api/v2/), read from
	// the discovery document at init: behind a proxy the issuer may differ
	// from the URL the CLI reaches the server at.
	Audience string `json:"audience"`
	// CACert holds the PEM of --ca-cert itself rather than its path, so the
	// profile keeps working when the file moves.
	CACert string `json:"ca_cert,omitempty"`
}

// profilesFile is the on-disk document: every profile by name.
type profilesFile struct {
	Profiles map[string]profile `json:"profiles"`
}

const defaultProfile = "default"

var profileNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)

// configDir is $XDG_CONFIG_HOME/tokenhook, else ~/.config/tokenhook (the
// XDG base directory default, also on macOS, where CLIs' users expect it).
func configDir() (string, error) {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "tokenhook"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the config directory: %w", err)
	}
	return filepath.Join(home, ".config", "tokenhook"), nil
}

func profilesPath() (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "profiles.json"), nil
}

func readProfiles() (profilesFile, error) {
	pf := profilesFile{Profiles: map[string]profile{}}
	p, err := profilesPath()
	if err != nil {
		return pf, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return pf, nil
	}
	if err != nil {
		return pf, err
	}
	if err := json.Unmarshal(b, &pf); err != nil {
		return pf, fmt.Errorf("%s: %w", p, err)
	}
	if pf.Profiles == nil {
		pf.Profiles = map[string]profile{}
	}
	return pf, nil
}

// writePrivate writes b to path with mode 0600 through a temporary file
// and a rename, so a crash never leaves a half-written file and the
// secret is never readable by others, even for a moment.
func writePrivate(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func saveProfile(name string, p profile) error {
	pf, err := readProfiles()
	if err != nil {
		return err
	}
	pf.Profiles[name] = p
	b, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	path, err := profilesPath()
	if err != nil {
		return err
	}
	// The directory may predate us with a looser mode; tighten it.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	_ = os.Chmod(filepath.Dir(path), 0o700)
	return writePrivate(path, append(b, '\n'))
}

// profileName is -p when given, else $TOKENHOOK_PROFILE, else "default".
func profileName(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("profile"); f != nil && f.Changed {
		return f.Value.String()
	}
	if env := os.Getenv("TOKENHOOK_PROFILE"); env != "" {
		return env
	}
	return defaultProfile
}

// profileChosen reports whether the user named a profile (-p or
// $TOKENHOOK_PROFILE), as opposed to falling back on "default": commands
// that work offline reach a server only when asked to.
func profileChosen(cmd *cobra.Command) bool {
	if f := cmd.Flags().Lookup("profile"); f != nil && f.Changed {
		return true
	}
	return os.Getenv("TOKENHOOK_PROFILE") != ""
}

func loadProfile(name string) (profile, error) {
	pf, err := readProfiles()
	if err != nil {
		return profile{}, err
	}
	p, ok := pf.Profiles[name]
	if !ok {
		var names []string
		for n := range pf.Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		hint := "create it with: tokenhook init -p " + name + " --url URL --client-id ID --client-secret SECRET"
		if len(names) > 0 {
			hint += " (saved profiles: " + strings.Join(names, ", ") + ")"
		}
		return p, usageErr(fmt.Errorf("no profile %q; %s", name, hint))
	}
	return p, nil
}

func newInitCommand() *cobra.Command {
	var p profile
	var caFile, audience string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Save a profile: a server URL and management credentials",
		Long: `Save a profile: the server's URL and the client id and secret of an
application allowed to call its Management API (the credentials tokenhook
serve prints on first start, or TOKENHOOK_ADMIN_CLIENT_ID/SECRET).

init gets a token with them before saving, so a typo fails here rather than
in the next command. Profiles live in $XDG_CONFIG_HOME/tokenhook/profiles.json
(else ~/.config/tokenhook/), mode 0600. Every other command picks a profile
with -p/--profile, else $TOKENHOOK_PROFILE, else "default".`,
		Example: `  tokenhook init --url http://127.0.0.1:8080 --client-id $ID --client-secret $SECRET
  tokenhook init -p prod --url https://auth.example.com --client-id $ID --client-secret $SECRET --ca-cert ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "url", "client-id", "client-secret"); err != nil {
				return err
			}
			name := profileName(cmd)
			if !profileNameRE.MatchString(name) {
				return usageErr(fmt.Errorf("invalid profile name %q: use letters, digits, '.', '_' and '-'", name))
			}
			u, err := url.Parse(p.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usageErr(fmt.Errorf("--url must be an http:// or https:// URL, got %q", p.URL))
			}
			p.URL = strings.TrimSuffix(u.String(), "/") + "/"
			if caFile != "" {
				b, err := os.ReadFile(caFile)
				if err != nil {
					return usageErr(fmt.Errorf("--ca-cert: %w", err))
				}
				if !x509.NewCertPool().AppendCertsFromPEM(b) {
					return usageErr(fmt.Errorf("--ca-cert %s: no PEM certificate found", caFile))
				}
				p.CACert = string(b)
			}
			c, err := newAPIClient(name, p)
			if err != nil {
				return err
			}
			if audience != "" {
				c.prof.Audience = audience
			} else if err := c.discoverAudience(cmd.Context()); err != nil {
				return err
			}
			if _, err := c.fetchToken(cmd.Context()); err != nil {
				return fmt.Errorf("the server did not accept these credentials, profile not saved: %w", err)
			}
			if err := saveProfile(name, c.prof); err != nil {
				return err
			}
			path, _ := profilesPath()
			fmt.Fprintf(cmd.OutOrStdout(), "Profile %q saved in %s (server %s).\n", name, path, p.URL)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringP("profile", "p", defaultProfile, "profile name")
	f.StringVar(&p.URL, "url", "", "server URL, e.g. https://auth.example.com")
	f.StringVar(&p.ClientID, "client-id", "", "management application's client id")
	f.StringVar(&p.ClientSecret, "client-secret", "", "management application's client secret")
	f.StringVar(&caFile, "ca-cert", "", "PEM file of a CA (or the server's own certificate) to trust")
	f.StringVar(&audience, "audience", "", "Management API audience (default: <issuer>api/v2/ from the discovery document)")
	return cmd
}

// cachedToken is a management token kept on disk between runs so a script
// of twenty commands asks for one token, not twenty.
type cachedToken struct {
	Token     string    `json:"access_token"`
	ExpiresAt time.Time `json:"expires_at"`
	// Key ties the token to the profile's URL, client and audience: a
	// profile re-initialised with other credentials must not reuse it.
	Key string `json:"key"`
}

func tokenCachePath(name string) (string, error) {
	dir, err := configDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "tokens", name+".json"), nil
}
