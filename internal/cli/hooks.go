package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// The hook verbs keep the old Auth0 hooks CLI's names and flags
// (compat-spec §5) so runbooks that said
//   auth0 create -t credentials-exchange -n NAME -p PROFILE file.js
//   auth0 enable --profile PROFILE NAME
// work with "tokenhook" in place of "auth0".

type hook struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Script       string            `json:"script"`
	Dependencies map[string]string `json:"dependencies"`
	Enabled      bool              `json:"enabled"`
	TriggerID    string            `json:"triggerId"`
	Runtime      string            `json:"runtime,omitempty"`
	Installed    map[string]string `json:"installed,omitempty"`
}

// checkType refuses a hook type that neither this binary's point table
// nor, when c is set, the server's knows (a newer server may run points
// this CLI predates).
func checkType(ctx context.Context, c *apiClient, t string) error {
	if hooks.KnownTrigger(t) {
		return nil
	}
	points := hooks.Points()
	if c != nil {
		sp, err := serverPoints(ctx, c)
		if err != nil {
			return err
		}
		if sp != nil {
			points = sp
		}
	}
	ids := make([]string, len(points))
	for i, p := range points {
		if p.ID == t {
			return nil
		}
		ids[i] = p.ID
	}
	return usageErr(fmt.Errorf("unknown hook type %q: use %s", t, strings.Join(ids, " or ")))
}

// serverPoints reads the server's extensibility point table; nil, nil
// from a server that predates GET /hooks/extensibility-points.
func serverPoints(ctx context.Context, c *apiClient) ([]hooks.Point, error) {
	var points []hooks.Point
	err := c.call(ctx, "GET", "hooks/extensibility-points", nil, nil, &points)
	var ee *exitError
	var ae *apiErr
	if errors.As(err, &ee) && errors.As(ee.err, &ae) && ae.Status == http.StatusNotFound {
		return nil, nil
	}
	return points, err
}

// findHook resolves a hook by name (the CLI's handle, as in the old CLI),
// or by id. The API addresses hooks by id only, so this lists them.
func findHook(ctx context.Context, c *apiClient, nameOrID string) (hook, bool, error) {
	list, err := listHooks(ctx, c, nil)
	if err != nil {
		return hook{}, false, err
	}
	for _, h := range list {
		if h.Name == nameOrID {
			return h, true, nil
		}
	}
	for _, h := range list {
		if h.ID == nameOrID {
			return h, true, nil
		}
	}
	return hook{}, false, nil
}

// mustFindHook is findHook with "not found" as exit 5.
func mustFindHook(ctx context.Context, c *apiClient, name string) (hook, error) {
	h, ok, err := findHook(ctx, c, name)
	if err != nil {
		return h, err
	}
	if !ok {
		return h, &exitError{code: ExitNotFound, err: fmt.Errorf("no hook named %q (tokenhook ls -p %s lists them)", name, c.name)}
	}
	return h, nil
}

// shellQuote quotes s for the hints the CLI prints, so a hook name with
// spaces can be pasted back as one argument.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// scaffold

func newScaffoldCommand() *cobra.Command {
	var typ string
	cmd := &cobra.Command{
		Use:   "scaffold -t TYPE [-p PROFILE]",
		Short: "Print starter code for a hook type",
		Long: `Print starter code for a hook of the given type (` + strings.Join(hooks.Triggers, " or ") + `),
ready to edit and pass to "tokenhook create". With -p (or TOKENHOOK_PROFILE),
the starter comes from that server's point table, so it matches the server
that will run it; otherwise from the table built into this binary.`,
		Example: `  tokenhook scaffold -t credentials-exchange > myhook.js
  tokenhook scaffold -t password-exchange -p default`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "type"); err != nil {
				return err
			}
			points := hooks.Points()
			if profileChosen(cmd) {
				c, err := clientFor(profileName(cmd))
				if err != nil {
					return err
				}
				sp, err := serverPoints(cmd.Context(), c)
				if err != nil {
					return err
				}
				if sp != nil {
					points = sp
				}
			}
			ids := make([]string, len(points))
			for i, p := range points {
				if p.ID == typ {
					_, err := io.WriteString(cmd.OutOrStdout(), p.StarterCode)
					return err
				}
				ids[i] = p.ID
			}
			return usageErr(fmt.Errorf("unknown hook type %q: use %s", typ, strings.Join(ids, " or ")))
		},
	}
	cmd.Flags().StringVarP(&typ, "type", "t", "", "hook type: "+strings.Join(hooks.Triggers, " or "))
	addProfileFlag(cmd)
	return cmd
}

// create

// readScript reads FILE, or stdin for "-".
func readScript(cmd *cobra.Command, file string) (string, error) {
	var b []byte
	var err error
	if file == "-" {
		b, err = io.ReadAll(cmd.InOrStdin())
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", usageErr(fmt.Errorf("reading the hook's code: %w", err))
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", usageErr(fmt.Errorf("%s is empty", file))
	}
	return string(b), nil
}

// installTimeout bounds a save that installs npm dependencies: the server
// runs npm before it answers (its own limit is 5 minutes).
const installTimeout = 6 * time.Minute

// readDependencies returns the hook's npm dependencies: the
// "dependencies" of a package.json next to FILE, then each
// --dependency name@version (which wins). given is false when there is
// neither, so an update leaves the hook's dependencies as they are.
func readDependencies(cmd *cobra.Command, file string) (deps map[string]string, given bool, err error) {
	deps = map[string]string{}
	if file != "-" {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "package.json"))
		switch {
		case err == nil:
			var pkg struct {
				Dependencies map[string]string `json:"dependencies"`
			}
			if err := json.Unmarshal(b, &pkg); err != nil {
				return nil, false, usageErr(fmt.Errorf("package.json next to %s: %w", file, err))
			}
			maps.Copy(deps, pkg.Dependencies)
			given = true
		case !errors.Is(err, fs.ErrNotExist):
			return nil, false, usageErr(fmt.Errorf("package.json next to %s: %w", file, err))
		}
	}
	flags, _ := cmd.Flags().GetStringArray("dependency")
	for _, d := range flags {
		// The version follows the last "@" that is not the first
		// character (scoped names start with one).
		at := strings.LastIndex(d, "@")
		if at <= 0 || at == len(d)-1 {
			return nil, false, usageErr(fmt.Errorf("--dependency %q: use name@version (a version, range or tag), e.g. lodash@4.17.21", d))
		}
		deps[d[:at]] = d[at+1:]
		given = true
	}
	return deps, given, nil
}

// installedLine says which versions npm installed, for the confirmation.
func installedLine(h hook) string {
	if len(h.Installed) == 0 {
		return ""
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(h.Installed)) {
		parts = append(parts, n+"@"+h.Installed[n])
	}
	return "\nInstalled on Node.js: " + strings.Join(parts, ", ")
}

func newCreateCommand() *cobra.Command {
	var typ, name string
	cmd := withClient(&cobra.Command{
		Use:   "create [FILE|-] -t TYPE [-n NAME]",
		Short: "Create a hook from a file (disabled), or update the hook of that name",
		Long: `Create a hook from FILE (or stdin with "-" or no FILE). A new hook is created
disabled; the command prints how to enable it. When a hook of that name and
type exists, its code and the given secrets are updated and it stays
enabled or disabled as it was.

-n defaults to FILE's base name without its extension.

npm dependencies come from the "dependencies" of a package.json next to
FILE, if there is one, and from --dependency name@version; the server
installs them before it saves (the hook then runs on Node.js). Given
either, they replace the hook's dependencies; given neither, an update
keeps them.`,
		Example: `  tokenhook create -t credentials-exchange -n client-credentials-exchange-hook -p default myrule.js
  tokenhook create -t credentials-exchange myrule.js --dependency axios@0.21.1 --dependency lodash@4.17.21
  tokenhook create -t credentials-exchange myrule.js -s API_KEY=abc --secrets-file .env
  cat myrule.js | tokenhook create -t credentials-exchange -n myrule -`,
		Args: rangeArgs(0, 1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		file := "-"
		if len(args) == 1 {
			file = args[0]
		}
		if name == "" {
			if file == "-" {
				return usageErr(fmt.Errorf("-n NAME is required when the code comes from stdin\n\n%s", cmd.UsageString()))
			}
			name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		if typ != "" {
			if err := checkType(cmd.Context(), c, typ); err != nil {
				return err
			}
		}
		secrets, err := readSecrets(cmd)
		if err != nil {
			return err
		}
		script, err := readScript(cmd, file)
		if err != nil {
			return err
		}
		deps, depsGiven, err := readDependencies(cmd, file)
		if err != nil {
			return err
		}
		if depsGiven {
			c.http.Timeout = installTimeout
		}
		ctx := cmd.Context()
		existing, found, err := findHook(ctx, c, name)
		if err != nil {
			return err
		}
		if found && existing.Name == name {
			if typ != "" && existing.TriggerID != typ {
				return &exitError{code: ExitBadRequest, err: fmt.Errorf("hook %q exists with type %s; a hook's type cannot change (pick another name, or rm it first)", name, existing.TriggerID)}
			}
			var h hook
			patch := map[string]any{"script": script}
			if depsGiven {
				patch["dependencies"] = deps
			}
			if err := c.call(ctx, "PATCH", "hooks/"+existing.ID, nil, patch, &h); err != nil {
				return err
			}
			if err := setSecrets(ctx, c, h.ID, secrets); err != nil {
				return fmt.Errorf("code saved, but the secrets were not: %w", err)
			}
			if p.json {
				return p.JSON(h)
			}
			state := "disabled"
			if h.Enabled {
				state = "enabled"
			}
			return done(p, "Hook %q updated (%s, still %s).%s", h.Name, h.TriggerID, state, installedLine(h))
		}
		if typ == "" {
			return usageErr(fmt.Errorf("-t TYPE is required to create a hook (%s)\n\n%s", strings.Join(hooks.Triggers, " or "), cmd.UsageString()))
		}
		var h hook
		body := map[string]any{"name": name, "script": script, "triggerId": typ, "enabled": false, "dependencies": deps}
		if err := c.call(ctx, "POST", "hooks", nil, body, &h); err != nil {
			return err
		}
		if err := setSecrets(ctx, c, h.ID, secrets); err != nil {
			return fmt.Errorf("hook %q created, but its secrets were not saved: %w", name, err)
		}
		if p.json {
			return p.JSON(h)
		}
		return done(p, "Hook %q created (%s), disabled.%s\nTo enable it, run:\n\n  tokenhook enable -p %s %s",
			h.Name, h.TriggerID, installedLine(h), shellQuote(c.name), shellQuote(h.Name))
	})
	cmd.Flags().StringVarP(&typ, "type", "t", "", "hook type: credentials-exchange or password-exchange")
	cmd.Flags().StringVarP(&name, "name", "n", "", "hook name (default: FILE's base name)")
	cmd.Flags().StringArray("dependency", nil, "npm dependency name@version, installed by the server at save (repeatable; adds to a package.json next to FILE)")
	secretFlags(cmd)
	return cmd
}

// ls

func newLsCommand() *cobra.Command {
	var typ string
	return func() *cobra.Command {
		cmd := withClient(&cobra.Command{
			Use:     "ls [-t TYPE]",
			Aliases: []string{"list"},
			Short:   "List hooks",
			Example: "  tokenhook ls\n  tokenhook ls -t credentials-exchange -o json",
			Args:    exactArgs(0),
		}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
			q := url.Values{}
			if typ != "" {
				if err := checkType(cmd.Context(), c, typ); err != nil {
					return err
				}
				q.Set("triggerId", typ)
			}
			list, err := listHooks(cmd.Context(), c, q)
			if err != nil {
				return err
			}
			if p.json {
				if list == nil {
					list = []hook{}
				}
				return p.JSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No hooks. Create one with: tokenhook create -t credentials-exchange FILE.js")
				return nil
			}
			// Grouped by extensibility point, as the Dashboard showed them.
			slices.SortStableFunc(list, func(a, b hook) int {
				if a.TriggerID != b.TriggerID {
					return strings.Compare(a.TriggerID, b.TriggerID)
				}
				return strings.Compare(a.Name, b.Name)
			})
			var rows [][]string
			for _, h := range list {
				state := p.paint(ansiDim, "disabled")
				if h.Enabled {
					state = p.paint(ansiGreen, "enabled")
				}
				rows = append(rows, []string{h.Name, h.TriggerID, state, h.ID})
			}
			return p.table([]string{"NAME", "TYPE", "STATE", "ID"}, rows)
		})
		cmd.Flags().StringVarP(&typ, "type", "t", "", "only hooks of this type")
		return cmd
	}()
}

// enable, disable, rm

func newEnableCommand(enable bool) *cobra.Command {
	verb, short := "disable", "Disable a hook"
	example := "  tokenhook disable -p default client-credentials-exchange-hook"
	if enable {
		verb, short = "enable", "Enable a hook (and disable the other hooks of its type)"
		example = "  tokenhook enable --profile default client-credentials-exchange-hook"
	}
	return withClient(&cobra.Command{
		Use:     verb + " NAME",
		Short:   short,
		Example: example,
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		list, err := listHooks(ctx, c, nil)
		if err != nil {
			return err
		}
		var target *hook
		for i := range list {
			if list[i].Name == args[0] || (target == nil && list[i].ID == args[0]) {
				target = &list[i]
			}
		}
		if target == nil {
			return &exitError{code: ExitNotFound, err: fmt.Errorf("no hook named %q (tokenhook ls -p %s lists them)", args[0], c.name)}
		}
		var h hook
		if err := c.call(ctx, "PATCH", "hooks/"+target.ID, nil, map[string]any{"enabled": enable}, &h); err != nil {
			return err
		}
		if p.json {
			return p.JSON(h)
		}
		if !enable {
			return done(p, "Hook %q disabled.", h.Name)
		}
		// The server disables the others of the point in the same
		// transaction; say which, so nobody is surprised.
		var others []string
		for _, o := range list {
			if o.ID != h.ID && o.Enabled && o.TriggerID == h.TriggerID {
				others = append(others, o.Name)
			}
		}
		msg := fmt.Sprintf("Hook %q enabled: it runs on every %s token request.", h.Name, h.TriggerID)
		if len(others) > 0 {
			msg += fmt.Sprintf(" Disabled %s (one hook per type).", strings.Join(others, ", "))
		}
		return done(p, "%s", msg)
	})
}

func newRmCommand() *cobra.Command {
	return withClient(&cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"delete"},
		Short:   "Delete a hook",
		Example: "  tokenhook rm -p default client-credentials-exchange-hook",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		if err := c.call(cmd.Context(), "DELETE", "hooks/"+h.ID, nil, nil, nil); err != nil {
			return err
		}
		return done(p, "Hook %q deleted.", h.Name)
	})
}

// edit

// editorCommand is $VISUAL, else $EDITOR, else vi: the usual Unix order.
func editorCommand() string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e := strings.TrimSpace(os.Getenv(v)); e != "" {
			return e
		}
	}
	return "vi"
}

func newEditCommand() *cobra.Command {
	return withClient(&cobra.Command{
		Use:   "edit NAME",
		Short: "Edit a hook's code in $EDITOR and save it when changed",
		Long: `Open the hook's code in $VISUAL or $EDITOR (else vi). When the editor exits
successfully with the code changed, the new code is saved; the hook stays
enabled or disabled. If the server refuses the code (say, a syntax error),
the edited file is kept and its path printed so no work is lost.`,
		Example: "  EDITOR='code --wait' tokenhook edit -p default client-credentials-exchange-hook",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		h, err := mustFindHook(ctx, c, args[0])
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "tokenhook-edit-")
		if err != nil {
			return err
		}
		keep := false
		defer func() {
			if !keep {
				os.RemoveAll(dir)
			}
		}()
		// A readable name and a .js extension give the editor its syntax mode.
		path := filepath.Join(dir, strings.ReplaceAll(h.Name, " ", "_")+".js")
		if err := os.WriteFile(path, []byte(h.Script), 0o600); err != nil {
			return err
		}
		// Through the shell, so EDITOR may carry arguments ("code --wait").
		ed := exec.CommandContext(ctx, "sh", "-c", editorCommand()+` "$1"`, "sh", path)
		ed.Stdin, ed.Stdout, ed.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
		if f, ok := cmd.InOrStdin().(*os.File); ok {
			ed.Stdin = f
		}
		if err := ed.Run(); err != nil {
			return fmt.Errorf("editor %q failed, hook not saved: %w", editorCommand(), err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if string(b) == h.Script {
			fmt.Fprintln(cmd.ErrOrStderr(), "No changes; hook not saved.")
			return nil
		}
		if strings.TrimSpace(string(b)) == "" {
			keep = true
			return usageErr(fmt.Errorf("the edited code is empty; hook not saved (file kept at %s)", path))
		}
		var out hook
		if err := c.call(ctx, "PATCH", "hooks/"+h.ID, nil, map[string]any{"script": string(b)}, &out); err != nil {
			keep = true
			return fmt.Errorf("%w\nyour edit is kept at %s; fix it and run: tokenhook create -p %s -n %s %s",
				err, path, shellQuote(c.name), shellQuote(h.Name), path)
		}
		if p.json {
			return p.JSON(out)
		}
		return done(p, "Hook %q saved.", out.Name)
	})
}
