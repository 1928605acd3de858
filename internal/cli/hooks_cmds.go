package cli

import (
	"bufio"
	"bytes"
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
	list, err := listAll[hook](ctx, c, "hooks", nil)
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

// ---- scaffold ----

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

// ---- create ----

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

// secretFlags adds -s/--secret and --secrets-file.
func secretFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayP("secret", "s", nil, "secret KEY=VALUE, read by the hook as context.webtask.secrets.KEY (repeatable)")
	cmd.Flags().String("secrets-file", "", "file of KEY=VALUE lines (# comments allowed), or a JSON object")
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

// readSecrets merges --secrets-file and then -s (which wins).
func readSecrets(cmd *cobra.Command) (map[string]string, error) {
	out := map[string]string{}
	if file, _ := cmd.Flags().GetString("secrets-file"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--secrets-file: %w", err))
		}
		if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
			if err := json.Unmarshal(t, &out); err != nil {
				return nil, usageErr(fmt.Errorf("--secrets-file %s: %w", file, err))
			}
		} else {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for n := 1; sc.Scan(); n++ {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				k, v, ok := strings.Cut(line, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return nil, usageErr(fmt.Errorf("--secrets-file %s:%d: want KEY=VALUE", file, n))
				}
				out[strings.TrimSpace(k)] = v
			}
		}
	}
	kvs, _ := cmd.Flags().GetStringArray("secret")
	s, err := parseKeyValues("--secret", kvs)
	if err != nil {
		return nil, err
	}
	for k, v := range s {
		out[k] = v
	}
	return out, nil
}

// setSecrets writes secrets to a hook: PATCH for names it already has,
// POST for new ones (the API refuses to POST an existing name and to PATCH
// a missing one).
func setSecrets(ctx context.Context, c *apiClient, id string, secrets map[string]string) error {
	if len(secrets) == 0 {
		return nil
	}
	var have map[string]string
	if err := c.call(ctx, "GET", "hooks/"+id+"/secrets", nil, nil, &have); err != nil {
		return err
	}
	add, change := map[string]string{}, map[string]string{}
	for k, v := range secrets {
		if _, ok := have[k]; ok {
			change[k] = v
		} else {
			add[k] = v
		}
	}
	if len(change) > 0 {
		if err := c.call(ctx, "PATCH", "hooks/"+id+"/secrets", nil, change, nil); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if err := c.call(ctx, "POST", "hooks/"+id+"/secrets", nil, add, nil); err != nil {
			return err
		}
	}
	return nil
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

// ---- ls ----

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
			list, err := listAll[hook](cmd.Context(), c, "hooks", q)
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

// ---- enable, disable, rm ----

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
		list, err := listAll[hook](ctx, c, "hooks", nil)
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

// ---- edit ----

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

// ---- test ----

type runReport struct {
	Result json.RawMessage `json:"result"`
	Logs   []struct {
		Time    string `json:"time"`
		Level   string `json:"level"`
		Message string `json:"message"`
	} `json:"logs"`
	DurationMS float64 `json:"duration_ms"`
	Error      *struct {
		Status      int    `json:"status"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	} `json:"error"`
}

func newTestCommand() *cobra.Command {
	var typ, payloadFile string
	cmd := withClient(&cobra.Command{
		Use:   "test NAME|FILE [-t TYPE] [--payload FILE]",
		Short: "Run a saved hook, or unsaved code from a file, in the runner",
		Long: `Run code in the server's hook runner without enabling or saving it, and print
what a token request would get: the result (scopes and claims after
filtering), the console output, the duration and the error.

The argument is a file when one exists at that path ("-" reads stdin),
otherwise the name of a saved hook. Unsaved code runs as -t TYPE (default
credentials-exchange) with the -s/--secrets-file secrets; a saved hook runs
with its stored secrets, -s adding or overriding some for this run.
--payload gives the arguments (JSON: client, scope, audience, user,
context); the default is the runner's sample.

Exits 1 when the hook failed (the report's error is set), so scripts can
use it as a check.`,
		Example: `  tokenhook test myrule.js
  tokenhook test -t password-exchange pwd.js --payload payload.json
  tokenhook test client-credentials-exchange-hook -o json`,
		Args: exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		secrets, err := readSecrets(cmd)
		if err != nil {
			return err
		}
		var payload json.RawMessage
		if payloadFile != "" {
			var b []byte
			if payloadFile == "-" {
				b, err = io.ReadAll(cmd.InOrStdin())
			} else {
				b, err = os.ReadFile(payloadFile)
			}
			if err != nil {
				return usageErr(fmt.Errorf("--payload: %w", err))
			}
			if !json.Valid(b) {
				return usageErr(fmt.Errorf("--payload %s is not JSON", payloadFile))
			}
			payload = b
		}
		if typ != "" {
			if err := checkType(cmd.Context(), c, typ); err != nil {
				return err
			}
		}
		arg := args[0]
		var rep runReport
		if st, err := os.Stat(arg); arg == "-" || (err == nil && !st.IsDir()) {
			script, err := readScript(cmd, arg)
			if err != nil {
				return err
			}
			t := typ
			if t == "" {
				t = hooks.Triggers[0]
			}
			body := map[string]any{"triggerId": t, "script": script, "secrets": secrets}
			if payload != nil {
				body["payload"] = payload
			}
			if err := c.call(ctx, "POST", "hooks/run", nil, body, &rep); err != nil {
				return err
			}
		} else {
			h, err := mustFindHook(ctx, c, arg)
			if err != nil {
				if strings.ContainsAny(arg, "/.") {
					return &exitError{code: ExitNotFound, err: fmt.Errorf("%s: no such file, nor a hook of that name", arg)}
				}
				return err
			}
			if typ != "" && typ != h.TriggerID {
				return usageErr(fmt.Errorf("hook %q is a %s hook, not %s", h.Name, h.TriggerID, typ))
			}
			body := map[string]any{"secrets": secrets}
			if payload != nil {
				body["payload"] = payload
			}
			if err := c.call(ctx, "POST", "hooks/"+h.ID+"/run", nil, body, &rep); err != nil {
				return err
			}
		}
		if p.json {
			if err := p.JSON(rep); err != nil {
				return err
			}
		} else if err := printReport(p, rep); err != nil {
			return err
		}
		if rep.Error != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("the hook failed: %s: %s", rep.Error.Error, rep.Error.Description)}
		}
		return nil
	})
	cmd.Flags().StringVarP(&typ, "type", "t", "", "hook type of unsaved code (default credentials-exchange)")
	cmd.Flags().StringVar(&payloadFile, "payload", "", "JSON file of the hook's arguments, or - for stdin")
	secretFlags(cmd)
	return cmd
}

func printReport(p *printer, rep runReport) error {
	fmt.Fprintln(p.w, p.paint(ansiBold, "Result:"))
	if len(rep.Result) == 0 || string(rep.Result) == "null" {
		fmt.Fprintln(p.w, "  (none)")
	} else {
		var buf bytes.Buffer
		if err := json.Indent(&buf, rep.Result, "  ", "  "); err != nil {
			return err
		}
		fmt.Fprintf(p.w, "  %s\n", buf.String())
	}
	fmt.Fprintln(p.w, p.paint(ansiBold, "Logs:"))
	if len(rep.Logs) == 0 {
		fmt.Fprintln(p.w, "  (none)")
	}
	for _, l := range rep.Logs {
		fmt.Fprintf(p.w, "  %s %s %s\n", p.paint(ansiDim, l.Time), levelLabel(p, l.Level), l.Message)
	}
	fmt.Fprintf(p.w, "%s %.1f ms\n", p.paint(ansiBold, "Duration:"), rep.DurationMS)
	if rep.Error == nil {
		fmt.Fprintf(p.w, "%s none\n", p.paint(ansiBold, "Error:"))
	} else {
		fmt.Fprintf(p.w, "%s %s\n", p.paint(ansiBold, "Error:"),
			p.paint(ansiRed, fmt.Sprintf("%d %s: %s", rep.Error.Status, rep.Error.Error, rep.Error.Description)))
	}
	return nil
}

func levelLabel(p *printer, level string) string {
	l := fmt.Sprintf("%-5s", level)
	switch level {
	case "error":
		return p.paint(ansiRed, l)
	case "warn":
		return p.paint(ansiYellow, l)
	}
	return p.paint(ansiDim, l)
}

// ---- secrets ----

func newSecretsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "List, set and remove a hook's secrets",
		Long: `A hook's secrets are read by its code as context.webtask.secrets.NAME. They
are stored encrypted and never shown again: ls lists the names only.`,
		Example: `  tokenhook secrets set myhook API_KEY=abc123 REGION=eu
  tokenhook secrets ls myhook
  tokenhook secrets rm myhook REGION`,
	}
	ls := withClient(&cobra.Command{
		Use: "ls NAME", Aliases: []string{"list"}, Short: "List a hook's secret names", Args: exactArgs(1),
		Example: "  tokenhook secrets ls myhook",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		var s map[string]string
		if err := c.call(cmd.Context(), "GET", "hooks/"+h.ID+"/secrets", nil, nil, &s); err != nil {
			return err
		}
		if p.json {
			if s == nil {
				s = map[string]string{}
			}
			return p.JSON(s)
		}
		var rows [][]string
		for _, k := range sortedKeys(s) {
			rows = append(rows, []string{k, s[k]})
		}
		return p.table([]string{"SECRET", "VALUE"}, rows)
	})
	set := withClient(&cobra.Command{
		Use: "set NAME KEY=VALUE...", Short: "Add or change secrets", Args: minArgs(2),
		Example: "  tokenhook secrets set myhook API_KEY=abc123",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		kv, err := parseKeyValues("secret", args[1:])
		if err != nil {
			return err
		}
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		if err := setSecrets(cmd.Context(), c, h.ID, kv); err != nil {
			return err
		}
		return done(p, "Set %s on hook %q.", strings.Join(sortedKeys(kv), ", "), h.Name)
	})
	rm := withClient(&cobra.Command{
		Use: "rm NAME KEY...", Aliases: []string{"delete"}, Short: "Remove secrets", Args: minArgs(2),
		Example: "  tokenhook secrets rm myhook API_KEY",
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		h, err := mustFindHook(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		var have map[string]string
		if err := c.call(cmd.Context(), "GET", "hooks/"+h.ID+"/secrets", nil, nil, &have); err != nil {
			return err
		}
		for _, k := range args[1:] {
			if _, ok := have[k]; !ok {
				return &exitError{code: ExitNotFound, err: fmt.Errorf("hook %q has no secret %q", h.Name, k)}
			}
		}
		if err := c.call(cmd.Context(), "DELETE", "hooks/"+h.ID+"/secrets", nil, args[1:], nil); err != nil {
			return err
		}
		return done(p, "Removed %s from hook %q.", strings.Join(args[1:], ", "), h.Name)
	})
	cmd.AddCommand(ls, set, rm)
	return cmd
}

// ---- logs ----

// logLine is one hook console line on the stream (hooks.LogEntry's JSON).
type logLine struct {
	Time      time.Time `json:"time"`
	HookID    string    `json:"hook_id"`
	HookName  string    `json:"hook_name"`
	RequestID string    `json:"request_id"`
	Level     string    `json:"level"`
	Message   string    `json:"message"`
}

func newLogsCommand() *cobra.Command {
	var raw, verbose bool
	var only string
	cmd := &cobra.Command{
		Use:   "logs [-r] [-v]",
		Short: "Stream hooks' console output in real time (logs tenant: tenant events)",
		Long: `Stream what hooks print with console.log/info/warn/error, live, until
interrupted (Ctrl-C). The stream reconnects by itself when the connection
drops. -r prints each line as the server's raw JSON; -v adds the level, the
hook's id and the token request's id.

"tokenhook logs tenant" lists recent tenant log events instead.`,
		Example: `  tokenhook logs -p default
  tokenhook logs --hook client-credentials-exchange-hook -v
  tokenhook logs -r | jq .message`,
		Args: exactArgs(0),
	}
	addProfileFlag(cmd)
	cmd.Flags().BoolVarP(&raw, "raw", "r", false, "print each line as raw JSON")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the level, hook id and request id")
	cmd.Flags().StringVar(&only, "hook", "", "only this hook's lines (name or id)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := clientFor(profileName(cmd))
		if err != nil {
			return err
		}
		p := &printer{w: cmd.OutOrStdout(), color: colorEnabled(cmd.OutOrStdout())}
		ctx, stop := signalContext(cmd.Context())
		defer stop()
		print := func(data string) {
			if raw {
				fmt.Fprintln(p.w, data)
				return
			}
			var l logLine
			if json.Unmarshal([]byte(data), &l) != nil {
				fmt.Fprintln(p.w, data)
				return
			}
			msg := l.Message
			switch l.Level {
			case "error":
				msg = p.paint(ansiRed, msg)
			case "warn":
				msg = p.paint(ansiYellow, msg)
			}
			if verbose {
				fmt.Fprintf(p.w, "%s %s %s (%s) request=%s: %s\n", p.paint(ansiDim, l.Time.UTC().Format(time.RFC3339Nano)),
					levelLabel(p, l.Level), l.HookName, orDash(l.HookID), orDash(l.RequestID), msg)
				return
			}
			fmt.Fprintf(p.w, "%s [%s] %s\n", p.paint(ansiDim, l.Time.Local().Format("15:04:05.000")), l.HookName, msg)
		}
		return streamLogs(ctx, c, only, cmd.ErrOrStderr(), print)
	}
	cmd.AddCommand(newTenantLogsCommand())
	return cmd
}

// streamLogs reads GET /hooks/logs/stream until ctx ends, reconnecting
// with backoff when the connection drops or the server restarts. Errors
// that retrying cannot fix (bad credentials, a 4xx) end it.
func streamLogs(ctx context.Context, c *apiClient, only string, status io.Writer, print func(string)) error {
	q := url.Values{}
	if only != "" {
		q.Set("hook", only)
	}
	backoff := time.Second
	for {
		connected, err := streamOnce(ctx, c, q, status, print)
		if ctx.Err() != nil {
			return nil
		}
		var ee *exitError
		if errors.As(err, &ee) && ee.code != ExitServerError {
			return err
		}
		if connected {
			backoff = time.Second
		}
		fmt.Fprintf(status, "Log stream interrupted (%v); reconnecting in %v...\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// streamOnce runs one connection; connected says whether it got as far
// as the stream (so the backoff resets).
func streamOnce(ctx context.Context, c *apiClient, q url.Values, status io.Writer, print func(string)) (bool, error) {
	for attempt := 0; ; attempt++ {
		req, err := c.newRequest(ctx, "GET", "hooks/logs/stream", q, nil)
		if err != nil {
			return false, err
		}
		req.Header.Set("Accept", "text/event-stream")
		resp, err := c.stream.Do(req)
		if err != nil {
			return false, connError(err)
		}
		if resp.StatusCode == 401 && attempt == 0 {
			resp.Body.Close()
			if _, err := c.fetchToken(ctx); err != nil {
				return false, err
			}
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return false, statusError(resp)
		}
		fmt.Fprintln(status, "Waiting for hook logs... (Ctrl-C to stop)")
		// Server-Sent Events: "data:" lines accumulate until a blank
		// line ends the event; ":" lines are comments (heartbeats).
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if len(data) > 0 {
					print(strings.Join(data, "\n"))
					data = data[:0]
				}
			case strings.HasPrefix(line, "data:"):
				data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			}
		}
		err = sc.Err()
		if err == nil {
			err = errors.New("the server closed the stream")
		}
		return true, connError(err)
	}
}
