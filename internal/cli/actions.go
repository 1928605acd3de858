package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenhook/tokenhook/internal/actions"
)

// actions: Auth0 Actions through /api/v2/actions, the routes and JSON
// shapes Auth0's Management API has (compat-spec §7), so what the CLI does
// is what node-auth0 or deploy-cli would do. The Action's name is the CLI's
// handle, as a hook's is; an id works wherever a name does.

// actionObj is the part of Auth0's Action object the tables show; -o json
// prints the server's answer as it came, so fields this CLI predates pass
// through.
type actionObj struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	SupportedTriggers  []actionTrigger    `json:"supported_triggers"`
	Code               string             `json:"code"`
	Dependencies       []actionDep        `json:"dependencies"`
	Runtime            string             `json:"runtime"`
	Secrets            []actionSecretName `json:"secrets"`
	DeployedVersion    *actionVersion     `json:"deployed_version"`
	AllChangesDeployed bool               `json:"all_changes_deployed"`
	Status             string             `json:"status"`
	Errors             []actionError      `json:"errors"`
	BuiltAt            string             `json:"built_at"`
	CreatedAt          string             `json:"created_at"`
	UpdatedAt          string             `json:"updated_at"`
}

// actionSecretName is a secret as reads show it: its name, never its value.
type actionSecretName struct {
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at"`
}

type actionTrigger struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

type actionDep struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type actionError struct {
	ID  string `json:"id"`
	Msg string `json:"msg"`
}

type actionVersion struct {
	ID        string        `json:"id"`
	ActionID  string        `json:"action_id"`
	Number    int           `json:"number"`
	Status    string        `json:"status"`
	Deployed  bool          `json:"deployed"`
	Runtime   string        `json:"runtime"`
	Errors    []actionError `json:"errors"`
	CreatedAt string        `json:"created_at"`
}

type actionBinding struct {
	ID          string    `json:"id"`
	TriggerID   string    `json:"trigger_id"`
	DisplayName string    `json:"display_name"`
	Action      actionObj `json:"action"`
	CreatedAt   string    `json:"created_at"`
}

// triggerNames lists the action trigger ids for help texts.
func triggerNames() string {
	var ids []string
	for _, t := range actions.Triggers() {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, " or ")
}

// triggerVersion gives the version Auth0 pairs with a trigger id: this
// binary's table first, then the server's (a newer server may run
// triggers this CLI predates).
func triggerVersion(ctx context.Context, c *apiClient, id string) (string, error) {
	if t, ok := actions.LookupTrigger(id); ok {
		return t.Version, nil
	}
	var list struct {
		Triggers []actionTrigger `json:"triggers"`
	}
	if err := c.call(ctx, "GET", "actions/triggers", nil, nil, &list); err != nil {
		return "", err
	}
	var ids []string
	for _, t := range list.Triggers {
		if t.ID == id {
			return t.Version, nil
		}
		ids = append(ids, t.ID)
	}
	if len(ids) == 0 {
		ids = []string{triggerNames()}
	}
	return "", usageErr(fmt.Errorf("unknown trigger %q: use %s", id, strings.Join(ids, " or ")))
}

// getJSON runs a GET and returns the raw answer and its decoding into out,
// so -o json prints what the server said.
func getJSON(ctx context.Context, c *apiClient, path string, q url.Values, out any) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.call(ctx, "GET", path, q, nil, &raw); err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, &exitError{code: ExitServerError, err: fmt.Errorf("GET %s: unexpected answer: %w", path, err)}
		}
	}
	return raw, nil
}

// sendJSON is getJSON for writes.
func sendJSON(ctx context.Context, c *apiClient, method, path string, q url.Values, body, out any) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.call(ctx, method, path, q, body, &raw); err != nil {
		return nil, err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, &exitError{code: ExitServerError, err: fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)}
		}
	}
	return raw, nil
}

// listActions reads every page of GET /actions/actions (always the paged
// object {total, page, per_page, actions}).
func listActions(ctx context.Context, c *apiClient, q url.Values) ([]json.RawMessage, error) {
	return listPaged(ctx, c, "actions/actions", q, "actions", 100)
}

// listPaged reads every page of a paged list route, whose answer holds
// the page's items under field and the count under total. An empty list is
// [] rather than nil, so -o json prints [].
func listPaged(ctx context.Context, c *apiClient, path string, q url.Values, field string, perPage int) ([]json.RawMessage, error) {
	all := []json.RawMessage{}
	for page := 0; ; page++ {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("page", strconv.Itoa(page))
		pq.Set("per_page", strconv.Itoa(perPage))
		var body map[string]json.RawMessage
		if _, err := getJSON(ctx, c, path, pq, &body); err != nil {
			return nil, err
		}
		var items []json.RawMessage
		var total int
		if json.Unmarshal(body[field], &items) != nil || json.Unmarshal(body["total"], &total) != nil {
			return nil, &exitError{code: ExitServerError, err: fmt.Errorf("%s: unexpected answer: no %q list with a total", path, field)}
		}
		all = append(all, items...)
		if len(items) < perPage || len(all) >= total {
			return all, nil
		}
	}
}

// findAction resolves an Action by name (the API's actionName filter),
// then by id.
func findAction(ctx context.Context, c *apiClient, nameOrID string) (actionObj, json.RawMessage, error) {
	list, err := listActions(ctx, c, url.Values{"actionName": {nameOrID}})
	if err != nil {
		return actionObj{}, nil, err
	}
	for _, raw := range list {
		var a actionObj
		if json.Unmarshal(raw, &a) == nil && a.Name == nameOrID {
			return a, raw, nil
		}
	}
	notFound := &exitError{code: ExitNotFound, err: fmt.Errorf("no action named %q (tokenhook actions ls -p %s lists them)", nameOrID, c.name)}
	if strings.ContainsAny(nameOrID, "/?#") {
		return actionObj{}, nil, notFound
	}
	var a actionObj
	raw, err := getJSON(ctx, c, "actions/actions/"+pathEscape(nameOrID), nil, &a)
	var ee *exitError
	var ae *apiErr
	if errors.As(err, &ee) && errors.As(ee.err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusBadRequest) {
		return actionObj{}, nil, notFound
	}
	return a, raw, err
}

// actionTriggerIDs shows an Action's triggers.
func actionTriggerIDs(a actionObj) string {
	var ids []string
	for _, t := range a.SupportedTriggers {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, ",")
}

// deployedLabel says which version runs: "v3", "v3 (draft changed)" or "-".
func deployedLabel(a actionObj) string {
	if a.DeployedVersion == nil || a.DeployedVersion.ID == "" {
		return "-"
	}
	s := "v" + strconv.Itoa(a.DeployedVersion.Number)
	if !a.AllChangesDeployed {
		s += " (draft changed)"
	}
	return s
}

// statusLabel colours a build status.
func statusLabel(p *printer, s string) string {
	switch s {
	case "built":
		return p.paint(ansiGreen, s)
	case "failed":
		return p.paint(ansiRed, s)
	}
	return p.paint(ansiYellow, s)
}

// buildErrors joins a build's error messages.
func buildErrors(errs []actionError) string {
	var msgs []string
	for _, e := range errs {
		if e.Msg != "" {
			msgs = append(msgs, e.Msg)
		} else if e.ID != "" {
			msgs = append(msgs, e.ID)
		}
	}
	return strings.Join(msgs, "; ")
}

func showAction(p *printer, raw json.RawMessage, a actionObj) error {
	if p.json {
		return p.JSON(raw)
	}
	var deps []string
	for _, d := range a.Dependencies {
		deps = append(deps, d.Name+"@"+d.Version)
	}
	var secrets []string
	for _, s := range a.Secrets {
		secrets = append(secrets, s.Name)
	}
	kv := [][2]string{
		{"name", a.Name}, {"id", a.ID}, {"trigger", actionTriggerIDs(a)}, {"runtime", a.Runtime},
		{"status", statusLabel(p, a.Status)}, {"deployed", deployedLabel(a)},
	}
	if e := buildErrors(a.Errors); e != "" {
		kv = append(kv, [2]string{"build errors", p.paint(ansiRed, e)})
	}
	kv = append(kv, [2]string{"dependencies", orDash(strings.Join(deps, " "))},
		[2]string{"secrets", orDash(strings.Join(secrets, " "))},
		[2]string{"created", a.CreatedAt}, [2]string{"updated", a.UpdatedAt})
	return p.keyValues(kv)
}

// depList turns the name → version map readDependencies gives into
// Auth0's [{name, version}], sorted so requests are stable.
func depList(deps map[string]string) []actionDep {
	out := []actionDep{}
	for _, n := range sortedKeys(deps) {
		out = append(out, actionDep{Name: n, Version: deps[n]})
	}
	return out
}

// secretList turns secrets into Auth0's [{name, value}].
func secretList(secrets map[string]string) []map[string]string {
	out := []map[string]string{}
	for _, k := range sortedKeys(secrets) {
		out = append(out, map[string]string{"name": k, "value": secrets[k]})
	}
	return out
}

func actionSecretFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayP("secret", "s", nil, "secret KEY=VALUE, read by the Action as event.secrets.KEY (repeatable)")
	cmd.Flags().String("secrets-file", "", "file of KEY=VALUE lines (# comments allowed), or a JSON object")
}

func newActionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "actions",
		Aliases: []string{"action"},
		Short:   "Manage Auth0 Actions: create, deploy, test, bind to a trigger, versions, rollback",
		Long: `Auth0 Actions (exports.onExecuteCredentialsExchange, exports.onExecutePostLogin)
through the Management API's /api/v2/actions routes. An Action is a draft
until deployed; only a deployed Action bound to its trigger runs, after the
trigger's enabled hook, in binding order. NAME is an Action's name or id.`,
		Example: `  tokenhook actions create add-plan -t credentials-exchange plan.js --secret API_KEY=abc
  tokenhook actions deploy add-plan
  tokenhook actions bind credentials-exchange add-plan
  tokenhook actions test add-plan --payload event.json
  tokenhook actions versions add-plan
  tokenhook actions rollback add-plan 1`,
	}
	cmd.AddCommand(newActionsCreateCommand(), newActionsLsCommand(), newActionsGetCommand(),
		newActionsUpdateCommand(), newActionsDeployCommand(), newActionsVersionsCommand(),
		newActionsRollbackCommand(), newActionsTestCommand(), newActionsBindCommand(),
		newActionsBindingsCommand(), newActionsTriggersCommand(), newActionsRmCommand(), newActionsLogsCommand())
	byName := map[string]bool{"get": true, "update": true, "deploy": true, "versions": true, "rollback": true, "test": true, "rm": true, "logs": true}
	for _, sub := range cmd.Commands() {
		if byName[sub.Name()] {
			sub.ValidArgsFunction = completeActionNames
		}
	}
	return group(cmd)
}

// create

func newActionsCreateCommand() *cobra.Command {
	var trigger, runtime, nameFlag string
	var deploy bool
	var timeout time.Duration
	cmd := withClient(&cobra.Command{
		Use:   "create NAME -t TRIGGER FILE|-",
		Short: "Create an Action from a file (a draft: deploy and bind it to run it)",
		Long: `Create an Action named NAME for TRIGGER (` + triggerNames() + `) from FILE
(or stdin with "-"). The Action is a draft: "tokenhook actions deploy" makes
a version of it, and "tokenhook actions bind" puts it on its trigger. With
--deploy the command waits for the build and deploys it at once. As with
"tokenhook create", the name may also be given with -n, or left out to
take FILE's base name.

npm dependencies come from the "dependencies" of a package.json next to
FILE, if there is one, and from --dependency name@version; the server
installs them in the background (the Action's status goes from pending or
building to built, or failed).`,
		Example: `  tokenhook actions create add-plan -t credentials-exchange plan.js
  tokenhook actions create login-claims -t post-login login.js --secret API_KEY=abc --dependency lodash@4.17.21
  cat plan.js | tokenhook actions create add-plan -t credentials-exchange - --deploy`,
		Args: rangeArgs(1, 2),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		if err := requireFlags(cmd, "trigger"); err != nil {
			return err
		}
		ctx := cmd.Context()
		name, file := nameFlag, args[len(args)-1]
		switch {
		case len(args) == 2 && nameFlag != "" && nameFlag != args[0]:
			return usageErr(fmt.Errorf("two names: %q and -n %q\n\n%s", args[0], nameFlag, cmd.UsageString()))
		case len(args) == 2:
			name = args[0]
		case name == "" && file == "-":
			return usageErr(fmt.Errorf("NAME is required when the code comes from stdin\n\n%s", cmd.UsageString()))
		case name == "":
			name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		version, err := triggerVersion(ctx, c, trigger)
		if err != nil {
			return err
		}
		secrets, err := readSecrets(cmd)
		if err != nil {
			return err
		}
		code, err := readScript(cmd, file)
		if err != nil {
			return err
		}
		deps, _, err := readDependencies(cmd, file)
		if err != nil {
			return err
		}
		body := map[string]any{
			"name":               name,
			"supported_triggers": []actionTrigger{{ID: trigger, Version: version}},
			"code":               code,
			"dependencies":       depList(deps),
			"secrets":            secretList(secrets),
		}
		if runtime != "" {
			body["runtime"] = runtime
		}
		var a actionObj
		raw, err := sendJSON(ctx, c, "POST", "actions/actions", nil, body, &a)
		var ee *exitError
		var ae *apiErr
		if errors.As(err, &ee) && errors.As(ee.err, &ae) && ae.Status == http.StatusConflict {
			return fmt.Errorf("%w\nto change it, run: tokenhook actions update -p %s %s %s", err, shellQuote(c.name), shellQuote(name), shellQuote(file))
		}
		if err != nil {
			return err
		}
		if deploy {
			v, vraw, err := deployAction(ctx, c, a, timeout, cmd)
			if err != nil {
				return fmt.Errorf("action %q created, but not deployed: %w", a.Name, err)
			}
			if p.json {
				return p.JSON(map[string]json.RawMessage{"action": raw, "version": vraw})
			}
			return done(p, "Action %q created and deployed as version %d.\nTo run it, bind it to its trigger:\n\n  tokenhook actions bind -p %s %s %s",
				a.Name, v.Number, shellQuote(c.name), trigger, shellQuote(a.Name))
		}
		if p.json {
			return p.JSON(raw)
		}
		return done(p, "Action %q created (%s, status %s), not deployed.\nTo deploy it and put it on its trigger, run:\n\n  tokenhook actions deploy -p %s %s\n  tokenhook actions bind -p %s %s %s",
			a.Name, trigger, a.Status, shellQuote(c.name), shellQuote(a.Name), shellQuote(c.name), trigger, shellQuote(a.Name))
	})
	cmd.Flags().StringVarP(&trigger, "trigger", "t", "", "trigger: "+triggerNames())
	cmd.Flags().StringVarP(&nameFlag, "name", "n", "", "the Action's name, instead of the NAME argument (default: FILE's base name)")
	cmd.Flags().StringVar(&runtime, "runtime", "", "Auth0 runtime name: "+strings.Join(actions.Runtimes, " or ")+" (default "+actions.DefaultRuntime+")")
	cmd.Flags().StringArray("dependency", nil, "npm dependency name@version (repeatable; adds to a package.json next to FILE)")
	cmd.Flags().BoolVar(&deploy, "deploy", false, "wait for the build and deploy the Action")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultBuildTimeout, "with --deploy: how long to wait for the build")
	actionSecretFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("trigger", completeTriggers)
	return cmd
}

func completeTriggers(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var ids []string
	for _, t := range actions.Triggers() {
		ids = append(ids, t.ID)
	}
	return ids, cobra.ShellCompDirectiveNoFileComp
}

// ls

func newActionsLsCommand() *cobra.Command {
	var trigger, name string
	var deployed, installed bool
	cmd := withClient(&cobra.Command{
		Use:     "ls [-t TRIGGER] [--deployed] [--installed]",
		Aliases: []string{"list"},
		Short:   "List Actions",
		Example: "  tokenhook actions ls\n  tokenhook actions ls -t post-login --deployed -o json",
		Args:    exactArgs(0),
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		q := url.Values{}
		if trigger != "" {
			q.Set("triggerId", trigger)
		}
		if name != "" {
			q.Set("actionName", name)
		}
		if deployed {
			q.Set("deployed", "true")
		}
		if installed {
			q.Set("installed", "true")
		}
		list, err := listActions(cmd.Context(), c, q)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(cmd.ErrOrStderr(), "No actions. Create one with: tokenhook actions create NAME -t credentials-exchange FILE.js")
			return nil
		}
		var rows [][]string
		for _, raw := range list {
			var a actionObj
			if err := json.Unmarshal(raw, &a); err != nil {
				return &exitError{code: ExitServerError, err: fmt.Errorf("GET actions/actions: unexpected answer: %w", err)}
			}
			rows = append(rows, []string{a.Name, actionTriggerIDs(a), statusLabel(p, a.Status), deployedLabel(a), a.ID})
		}
		return p.table([]string{"NAME", "TRIGGER", "STATUS", "DEPLOYED", "ID"}, rows)
	})
	cmd.Flags().StringVarP(&trigger, "trigger", "t", "", "only Actions for this trigger")
	cmd.Flags().StringVar(&name, "name", "", "only the Action of this name")
	cmd.Flags().BoolVar(&deployed, "deployed", false, "only Actions with a deployed version")
	cmd.Flags().BoolVar(&installed, "installed", false, "only Actions bound to a trigger")
	_ = cmd.RegisterFlagCompletionFunc("trigger", completeTriggers)
	return cmd
}

// get

func newActionsGetCommand() *cobra.Command {
	var code bool
	cmd := withClient(&cobra.Command{
		Use:     "get NAME",
		Short:   "Show an Action (--code prints its draft's code)",
		Example: "  tokenhook actions get add-plan\n  tokenhook actions get add-plan --code > plan.js\n  tokenhook actions get add-plan -o json",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		a, raw, err := findAction(cmd.Context(), c, args[0])
		if err != nil {
			return err
		}
		if code && !p.json {
			_, err := fmt.Fprint(p.w, a.Code)
			if err == nil && !strings.HasSuffix(a.Code, "\n") {
				_, err = fmt.Fprintln(p.w)
			}
			return err
		}
		return showAction(p, raw, a)
	})
	cmd.Flags().BoolVar(&code, "code", false, "print only the draft's code")
	return cmd
}

// update

func newActionsUpdateCommand() *cobra.Command {
	var trigger, runtime, name string
	var removeSecrets []string
	cmd := withClient(&cobra.Command{
		Use:   "update NAME [FILE|-]",
		Short: "Change an Action's draft: code, secrets, dependencies, runtime, name",
		Long: `Change an Action's draft. The deployed version keeps running until
"tokenhook actions deploy". Given FILE, the code is replaced. Given
--dependency (or a package.json next to FILE), the dependencies are
replaced. -s/--secrets-file add or change those secrets and
--remove-secret removes one; the other secrets keep their values (secret
values are write-only: they are never shown again).`,
		Example: `  tokenhook actions update add-plan plan.js
  tokenhook actions update add-plan --secret API_KEY=new --remove-secret OLD_KEY --runtime node18`,
		Args: rangeArgs(1, 2),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		file := ""
		if len(args) == 2 {
			file = args[1]
		}
		body := map[string]any{}
		if file != "" {
			code, err := readScript(cmd, file)
			if err != nil {
				return err
			}
			body["code"] = code
		}
		depFile := file
		if depFile == "" {
			depFile = "-"
		}
		deps, given, err := readDependencies(cmd, depFile)
		if err != nil {
			return err
		}
		if given {
			body["dependencies"] = depList(deps)
		}
		secrets, err := readSecrets(cmd)
		if err != nil {
			return err
		}
		if len(secrets) > 0 || len(removeSecrets) > 0 {
			// Auth0's PATCH replaces the list, and a name sent without a
			// value keeps its value: send the others by name.
			body["secrets"] = nil
		}
		if runtime != "" {
			body["runtime"] = runtime
		}
		if name != "" {
			body["name"] = name
		}
		if trigger != "" {
			v, err := triggerVersion(ctx, c, trigger)
			if err != nil {
				return err
			}
			body["supported_triggers"] = []actionTrigger{{ID: trigger, Version: v}}
		}
		if len(body) == 0 {
			return usageErr(fmt.Errorf("nothing to update: give FILE or a flag\n\n%s", cmd.UsageString()))
		}
		a, _, err := findAction(ctx, c, args[0])
		if err != nil {
			return err
		}
		if _, ok := body["secrets"]; ok {
			list := []map[string]string{}
			for _, old := range a.Secrets {
				if _, set := secrets[old.Name]; !set && !slices.Contains(removeSecrets, old.Name) {
					list = append(list, map[string]string{"name": old.Name})
				}
			}
			for _, r := range removeSecrets {
				if !slices.ContainsFunc(a.Secrets, func(o actionSecretName) bool { return o.Name == r }) {
					return &exitError{code: ExitNotFound, err: fmt.Errorf("action %q has no secret %q", a.Name, r)}
				}
			}
			body["secrets"] = append(list, secretList(secrets)...)
		}
		var out actionObj
		raw, err := sendJSON(ctx, c, "PATCH", "actions/actions/"+pathEscape(a.ID), nil, body, &out)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(raw)
		}
		return done(p, "Action %q updated (status %s); the deployed version is unchanged until: tokenhook actions deploy -p %s %s",
			out.Name, out.Status, shellQuote(c.name), shellQuote(out.Name))
	})
	cmd.Flags().StringVarP(&trigger, "trigger", "t", "", "move the Action to this trigger")
	cmd.Flags().StringVar(&runtime, "runtime", "", "Auth0 runtime name: "+strings.Join(actions.Runtimes, " or "))
	cmd.Flags().StringVar(&name, "name", "", "rename the Action")
	cmd.Flags().StringArray("dependency", nil, "npm dependency name@version (repeatable; replaces the dependencies)")
	cmd.Flags().StringArrayVar(&removeSecrets, "remove-secret", nil, "remove this secret (repeatable)")
	actionSecretFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("trigger", completeTriggers)
	return cmd
}

// deploy

// defaultBuildTimeout bounds the wait for a build before deploying: an
// npm install of a few packages takes well under it, a stuck one does not
// hold a script forever.
const defaultBuildTimeout = 5 * time.Minute

// buildPoll is how often deploy asks whether the build finished.
const buildPoll = 500 * time.Millisecond

// waitBuilt polls the Action until its draft is built; a failed build or
// the timeout is an error that says which.
func waitBuilt(ctx context.Context, c *apiClient, a actionObj, timeout time.Duration, cmd *cobra.Command) (actionObj, error) {
	deadline := time.Now().Add(timeout)
	said := false
	for {
		switch a.Status {
		case "built":
			return a, nil
		case "failed":
			msg := buildErrors(a.Errors)
			if msg == "" {
				msg = "no reason given"
			}
			return a, &exitError{code: ExitBadRequest, err: fmt.Errorf("the build of action %q failed: %s (fix it with tokenhook actions update, then deploy again)", a.Name, msg)}
		}
		if time.Now().After(deadline) {
			return a, &exitError{code: ExitFailure, err: fmt.Errorf("action %q is still %s after %v; try again later (tokenhook actions get %s shows the status)", a.Name, a.Status, timeout, shellQuote(a.Name))}
		}
		if !said {
			fmt.Fprintf(cmd.ErrOrStderr(), "Waiting for the build of %q (%s)...\n", a.Name, a.Status)
			said = true
		}
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-time.After(buildPoll):
		}
		var next actionObj
		if _, err := getJSON(ctx, c, "actions/actions/"+pathEscape(a.ID), nil, &next); err != nil {
			return a, err
		}
		a = next
	}
}

// deployAction waits for the build, then deploys the draft.
func deployAction(ctx context.Context, c *apiClient, a actionObj, timeout time.Duration, cmd *cobra.Command) (actionVersion, json.RawMessage, error) {
	a, err := waitBuilt(ctx, c, a, timeout, cmd)
	if err != nil {
		return actionVersion{}, nil, err
	}
	var v actionVersion
	raw, err := sendJSON(ctx, c, "POST", "actions/actions/"+pathEscape(a.ID)+"/deploy", nil, nil, &v)
	return v, raw, err
}

func newActionsDeployCommand() *cobra.Command {
	var timeout time.Duration
	cmd := withClient(&cobra.Command{
		Use:   "deploy NAME",
		Short: "Deploy an Action's draft as a new version (waits for its build)",
		Long: `Deploy the Action's draft as a new immutable version, which then runs
wherever the Action is bound. The command first waits for the draft's
build (npm dependencies install in the background) for at most --timeout;
a failed build is reported with its reason and nothing is deployed.`,
		Example: "  tokenhook actions deploy add-plan\n  tokenhook actions deploy add-plan --timeout 10m -o json",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		a, _, err := findAction(ctx, c, args[0])
		if err != nil {
			return err
		}
		v, raw, err := deployAction(ctx, c, a, timeout, cmd)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(raw)
		}
		return done(p, "Action %q deployed as version %d.", a.Name, v.Number)
	})
	cmd.Flags().DurationVar(&timeout, "timeout", defaultBuildTimeout, "how long to wait for the build")
	return cmd
}

// versions

// listVersions reads every page of an Action's versions, newest first.
func listVersions(ctx context.Context, c *apiClient, actionID string) ([]json.RawMessage, error) {
	return listPaged(ctx, c, "actions/actions/"+pathEscape(actionID)+"/versions", nil, "versions", 50)
}

func newActionsVersionsCommand() *cobra.Command {
	return withClient(&cobra.Command{
		Use:     "versions NAME",
		Short:   "List an Action's deployed versions (newest first)",
		Example: "  tokenhook actions versions add-plan\n  tokenhook actions versions add-plan -o json",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		a, _, err := findAction(ctx, c, args[0])
		if err != nil {
			return err
		}
		list, err := listVersions(ctx, c, a.ID)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "Action %q has no versions yet: tokenhook actions deploy %s\n", a.Name, shellQuote(a.Name))
			return nil
		}
		var rows [][]string
		for _, raw := range list {
			var v actionVersion
			if err := json.Unmarshal(raw, &v); err != nil {
				return &exitError{code: ExitServerError, err: fmt.Errorf("versions: unexpected answer: %w", err)}
			}
			mark := ""
			if v.Deployed {
				mark = p.paint(ansiGreen, "deployed")
			}
			rows = append(rows, []string{strconv.Itoa(v.Number), statusLabel(p, v.Status), orDash(mark), v.CreatedAt, v.ID})
		}
		return p.table([]string{"VERSION", "STATUS", "STATE", "CREATED", "ID"}, rows)
	})
}

// rollback

func newActionsRollbackCommand() *cobra.Command {
	var updateDraft bool
	cmd := withClient(&cobra.Command{
		Use:   "rollback NAME VERSION",
		Short: "Deploy an earlier version again (as a new version), by number or id",
		Long: `Deploy an earlier version of the Action again. As on Auth0 this makes a new
version with that version's code, dependencies and secrets; the draft is
left as it is unless --update-draft.`,
		Example: "  tokenhook actions rollback add-plan 2\n  tokenhook actions rollback add-plan 5f0c1a2e-... --update-draft",
		Args:    exactArgs(2),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		a, _, err := findAction(ctx, c, args[0])
		if err != nil {
			return err
		}
		want := strings.TrimPrefix(args[1], "v")
		list, err := listVersions(ctx, c, a.ID)
		if err != nil {
			return err
		}
		var target *actionVersion
		for _, raw := range list {
			var v actionVersion
			if json.Unmarshal(raw, &v) != nil {
				continue
			}
			if v.ID == args[1] || strconv.Itoa(v.Number) == want {
				target = &v
				break
			}
		}
		if target == nil {
			return &exitError{code: ExitNotFound, err: fmt.Errorf("action %q has no version %s (tokenhook actions versions %s lists them)", a.Name, args[1], shellQuote(a.Name))}
		}
		var body any
		if updateDraft {
			body = map[string]any{"update_draft": true}
		}
		var v actionVersion
		raw, err := sendJSON(ctx, c, "POST", "actions/actions/"+pathEscape(a.ID)+"/versions/"+pathEscape(target.ID)+"/deploy", nil, body, &v)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(raw)
		}
		return done(p, "Action %q: version %d deployed again as version %d.", a.Name, target.Number, v.Number)
	})
	cmd.Flags().BoolVar(&updateDraft, "update-draft", false, "also make that version's code the draft")
	return cmd
}

// test

func newActionsTestCommand() *cobra.Command {
	var payloadFile string
	cmd := withClient(&cobra.Command{
		Use:   "test NAME [--payload FILE]",
		Short: "Run an Action's draft on an event and print the answer",
		Long: `Run the Action's saved draft (not the deployed version) on an event, without
a token request, and print the answer: the changes it made (claims, scopes,
deny) and its console output. --payload is a JSON file holding the event
(or - for stdin); fields it leaves out take Auth0's default event for the
trigger.`,
		Example: "  tokenhook actions test add-plan\n  tokenhook actions test add-plan --payload event.json -o json",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		payload := json.RawMessage(`{}`)
		if payloadFile != "" {
			b, err := readPayload(cmd, payloadFile)
			if err != nil {
				return err
			}
			payload = b
		}
		a, _, err := findAction(ctx, c, args[0])
		if err != nil {
			return err
		}
		raw, err := sendJSON(ctx, c, "POST", "actions/actions/"+pathEscape(a.ID)+"/test", nil, map[string]any{"payload": payload}, nil)
		if err != nil {
			return err
		}
		var ans struct {
			Payload json.RawMessage `json:"payload"`
		}
		_ = json.Unmarshal(raw, &ans)
		var rep actionTestReport
		known := len(ans.Payload) > 0 && json.Unmarshal(ans.Payload, &rep) == nil && (rep.Result != nil || rep.Error != nil)
		switch {
		case p.json:
			if err := p.JSON(raw); err != nil {
				return err
			}
		case known:
			if err := printActionTest(p, rep); err != nil {
				return err
			}
		case len(ans.Payload) > 0:
			if err := p.JSON(ans.Payload); err != nil {
				return err
			}
		default:
			if err := p.JSON(raw); err != nil {
				return err
			}
		}
		if known && rep.Error != nil {
			return &exitError{code: ExitFailure, err: fmt.Errorf("the action failed: %s", testErrorText(rep.Error))}
		}
		return nil
	})
	cmd.Flags().StringVar(&payloadFile, "payload", "", "JSON file of the event, or - for stdin")
	return cmd
}

// actionTestReport is the test endpoint's payload: what the code asked
// of api, the error or deny, the console output and the duration.
type actionTestReport struct {
	Result json.RawMessage  `json:"result"`
	Error  *actionTestError `json:"error"`
	Logs   string           `json:"logs"`
	Stats  struct {
		ActionDurationMS float64 `json:"action_duration_ms"`
	} `json:"stats"`
}

// actionTestError is a failed or denied test run: the OAuth error, its
// description and the HTTP status a token request would answer.
type actionTestError struct {
	ID     string `json:"id"`
	Msg    string `json:"msg"`
	Status int    `json:"status"`
}

func testErrorText(e *actionTestError) string {
	s := e.ID
	if e.Status != 0 {
		s = fmt.Sprintf("%d %s", e.Status, e.ID)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

func printActionTest(p *printer, rep actionTestReport) error {
	if err := printResult(p, rep.Result); err != nil {
		return err
	}
	fmt.Fprintln(p.w, p.paint(ansiBold, "Logs:"))
	if strings.TrimSpace(rep.Logs) == "" {
		fmt.Fprintln(p.w, "  (none)")
	}
	for _, l := range strings.Split(strings.TrimRight(rep.Logs, "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(p.w, "  %s\n", l)
		}
	}
	fmt.Fprintf(p.w, "%s %.1f ms\n", p.paint(ansiBold, "Duration:"), rep.Stats.ActionDurationMS)
	if rep.Error == nil {
		fmt.Fprintf(p.w, "%s none\n", p.paint(ansiBold, "Error:"))
	} else {
		fmt.Fprintf(p.w, "%s %s\n", p.paint(ansiBold, "Error:"), p.paint(ansiRed, testErrorText(rep.Error)))
	}
	return nil
}

// readPayload reads a JSON object from a file or stdin ("-").
func readPayload(cmd *cobra.Command, file string) (json.RawMessage, error) {
	m, err := readData(cmd, "@"+file)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--payload %s: %w", file, errors.Unwrap(err)))
	}
	b, err := json.Marshal(m)
	return b, err
}

// bind, bindings

func newActionsBindCommand() *cobra.Command {
	var clear bool
	var triggerFlag string
	cmd := withClient(&cobra.Command{
		Use:   "bind TRIGGER NAME... | bind TRIGGER --clear",
		Short: "Set a trigger's Actions, in execution order",
		Long: `Replace TRIGGER's bindings with the named Actions, in the order given: that
order is the order they run in, after the trigger's enabled hook. Each must
be deployed. --clear removes every binding of the trigger. The trigger may
also be given with -t, the arguments then being the Actions alone.`,
		Example: `  tokenhook actions bind credentials-exchange add-plan add-region
  tokenhook actions bind post-login --clear`,
		Args: cobra.ArbitraryArgs,
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		if triggerFlag == "" && len(args) == 0 {
			return usageErr(fmt.Errorf("name the trigger\n\n%s", cmd.UsageString()))
		}
		trigger, names := triggerFlag, args
		if trigger == "" {
			trigger, names = args[0], args[1:]
		}
		if len(names) == 0 && !clear {
			return usageErr(fmt.Errorf("name the Actions to bind, in order, or give --clear to unbind them all\n\n%s", cmd.UsageString()))
		}
		if len(names) > 0 && clear {
			return usageErr(fmt.Errorf("--clear takes no Action names"))
		}
		if _, err := triggerVersion(ctx, c, trigger); err != nil {
			return err
		}
		bindings := []map[string]any{}
		for _, n := range names {
			a, _, err := findAction(ctx, c, n)
			if err != nil {
				return err
			}
			bindings = append(bindings, map[string]any{
				"ref":          map[string]string{"type": "action_id", "value": a.ID},
				"display_name": a.Name,
			})
		}
		var out struct {
			Bindings []actionBinding `json:"bindings"`
		}
		raw, err := sendJSON(ctx, c, "PATCH", "actions/triggers/"+pathEscape(trigger)+"/bindings", nil, map[string]any{"bindings": bindings}, &out)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(raw)
		}
		if len(names) == 0 {
			return done(p, "No Actions bound to %s.", trigger)
		}
		var shown []string
		for _, b := range out.Bindings {
			shown = append(shown, bindingName(b))
		}
		if len(shown) == 0 {
			shown = names
		}
		return done(p, "%s runs, in order: %s.", trigger, strings.Join(shown, ", "))
	})
	cmd.Flags().BoolVar(&clear, "clear", false, "unbind every Action from the trigger")
	cmd.Flags().StringVarP(&triggerFlag, "trigger", "t", "", "the trigger, instead of the first argument")
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return completeTriggers(nil, nil, "")
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

// bindingName is the Action's name, else the binding's display name.
func bindingName(b actionBinding) string {
	if b.Action.Name != "" {
		return b.Action.Name
	}
	return b.DisplayName
}

func newActionsBindingsCommand() *cobra.Command {
	cmd := withClient(&cobra.Command{
		Use:     "bindings TRIGGER",
		Short:   "List a trigger's Actions in execution order",
		Example: "  tokenhook actions bindings credentials-exchange\n  tokenhook actions bindings post-login -o json",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		if _, err := triggerVersion(ctx, c, args[0]); err != nil {
			return err
		}
		var all []json.RawMessage
		const perPage = 20
		for page := 0; ; page++ {
			q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}}
			var body struct {
				Total    int               `json:"total"`
				Bindings []json.RawMessage `json:"bindings"`
			}
			if _, err := getJSON(ctx, c, "actions/triggers/"+pathEscape(args[0])+"/bindings", q, &body); err != nil {
				return err
			}
			all = append(all, body.Bindings...)
			if len(body.Bindings) < perPage || len(all) >= body.Total {
				break
			}
		}
		if p.json {
			if all == nil {
				all = []json.RawMessage{}
			}
			return p.JSON(all)
		}
		if len(all) == 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "No Actions bound to %s. Bind some with: tokenhook actions bind %s NAME...\n", args[0], args[0])
			return nil
		}
		var rows [][]string
		for i, raw := range all {
			var b actionBinding
			if err := json.Unmarshal(raw, &b); err != nil {
				return &exitError{code: ExitServerError, err: fmt.Errorf("bindings: unexpected answer: %w", err)}
			}
			rows = append(rows, []string{strconv.Itoa(i + 1), bindingName(b), deployedLabel(b.Action), b.Action.ID, b.ID})
		}
		return p.table([]string{"ORDER", "ACTION", "DEPLOYED", "ACTION_ID", "BINDING_ID"}, rows)
	})
	cmd.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return completeTriggers(nil, nil, "")
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

// triggers

func newActionsTriggersCommand() *cobra.Command {
	return withClient(&cobra.Command{
		Use:     "triggers",
		Short:   "List the triggers Actions can run at",
		Example: "  tokenhook actions triggers -o json",
		Args:    exactArgs(0),
	}, func(cmd *cobra.Command, _ []string, c *apiClient, p *printer) error {
		var body struct {
			Triggers []struct {
				ID             string   `json:"id"`
				Version        string   `json:"version"`
				Status         string   `json:"status"`
				Runtimes       []string `json:"runtimes"`
				DefaultRuntime string   `json:"default_runtime"`
			} `json:"triggers"`
		}
		raw, err := getJSON(cmd.Context(), c, "actions/triggers", nil, &body)
		if err != nil {
			return err
		}
		if p.json {
			return p.JSON(raw)
		}
		var rows [][]string
		for _, t := range body.Triggers {
			rows = append(rows, []string{t.ID, t.Version, orDash(t.Status), strings.Join(t.Runtimes, " "), orDash(t.DefaultRuntime)})
		}
		return p.table([]string{"TRIGGER", "VERSION", "STATUS", "RUNTIMES", "DEFAULT"}, rows)
	})
}

// rm

func newActionsRmCommand() *cobra.Command {
	var force bool
	cmd := withClient(&cobra.Command{
		Use:     "rm NAME [--force]",
		Aliases: []string{"delete"},
		Short:   "Delete an Action, its versions (--force also unbinds it)",
		Example: "  tokenhook actions rm add-plan\n  tokenhook actions rm add-plan --force",
		Args:    exactArgs(1),
	}, func(cmd *cobra.Command, args []string, c *apiClient, p *printer) error {
		ctx := cmd.Context()
		a, _, err := findAction(ctx, c, args[0])
		if err != nil {
			return err
		}
		var q url.Values
		if force {
			q = url.Values{"force": {"true"}}
		}
		if err := c.call(ctx, "DELETE", "actions/actions/"+pathEscape(a.ID), q, nil, nil); err != nil {
			var ee *exitError
			if !force && errors.As(err, &ee) && ee.code == ExitBadRequest {
				return fmt.Errorf("%w\nif it is bound to a trigger, unbind it (tokenhook actions bind) or delete it with --force", err)
			}
			return err
		}
		return done(p, "Action %q deleted.", a.Name)
	})
	cmd.Flags().BoolVar(&force, "force", false, "delete it even when bound to a trigger (it is unbound)")
	return cmd
}

// logs

func newActionsLogsCommand() *cobra.Command {
	var raw, verbose bool
	cmd := &cobra.Command{
		Use:   "logs [NAME] [-r] [-v]",
		Short: "Stream an Action's console output in real time",
		Long: `Stream what Actions print with console.log/info/warn/error in token requests
and test runs, live, until interrupted (Ctrl-C): one Action's with NAME,
else every Action's and hook's (the stream hooks use, "tokenhook logs").
-r prints each line as the server's raw JSON; -v adds the level, the
Action's id and the token request's id.`,
		Example: "  tokenhook actions logs add-plan\n  tokenhook actions logs add-plan -v",
		Args:    rangeArgs(0, 1),
	}
	addProfileFlag(cmd)
	addOutputFlag(cmd)
	cmd.Flags().BoolVarP(&raw, "raw", "r", false, "print each line as raw JSON (as -o json does)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show the level, Action id and request id")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		pr, err := newPrinter(cmd)
		if err != nil {
			return err
		}
		raw = raw || pr.json
		c, err := clientFor(profileName(cmd))
		if err != nil {
			return err
		}
		only := ""
		if len(args) == 1 {
			// By id: a name could also be a hook's.
			a, _, err := findAction(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			only = a.ID
		}
		p := &printer{w: cmd.OutOrStdout(), color: colorEnabled(cmd.OutOrStdout())}
		ctx, stop := signalContext(cmd.Context())
		defer stop()
		return streamLogs(ctx, c, only, cmd.ErrOrStderr(), logLinePrinter(p, raw, verbose))
	}
	return cmd
}

// completeActionNames offers the profile's Action names to shell completion.
func completeActionNames(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := clientFor(profileName(cmd))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := listActions(cmd.Context(), c, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, raw := range list {
		var a actionObj
		if json.Unmarshal(raw, &a) == nil {
			names = append(names, a.Name)
		}
	}
	slices.Sort(names)
	return names, cobra.ShellCompDirectiveNoFileComp
}
