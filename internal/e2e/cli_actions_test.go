package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The `tokenhook actions` verbs and `tokenhook hooks convert`, through the
// real binary against a real server: what the CLI does must show in the
// tokens the server issues.

type cliAction struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Status            string `json:"status"`
	Code              string `json:"code"`
	SupportedTriggers []struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"supported_triggers"`
	Secrets []struct {
		Name string `json:"name"`
	} `json:"secrets"`
	DeployedVersion *struct {
		Number int `json:"number"`
	} `json:"deployed_version"`
	AllChangesDeployed bool `json:"all_changes_deployed"`
}

type cliActionVersion struct {
	ID       string `json:"id"`
	Number   int    `json:"number"`
	Deployed bool   `json:"deployed"`
	Code     string `json:"code"`
}

const cliActionV1 = `exports.onExecuteCredentialsExchange = async (event, api) => {
  console.log('plan is', event.client.metadata.plan);
  api.accessToken.setCustomClaim('https://example.com/plan', event.client.metadata.plan + '-' + event.secrets.SUFFIX);
  api.accessToken.setCustomClaim('https://example.com/last', 'add-plan');
};
`

const cliActionV2 = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/plan', 'v2:' + event.client.metadata.plan + '-' + event.secrets.SUFFIX);
  api.accessToken.setCustomClaim('https://example.com/last', 'add-plan');
};
`

const cliActionRegion = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/region', event.secrets.REGION);
  api.accessToken.setCustomClaim('https://example.com/last', 'add-region');
};
`

func TestCLIActions(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	c.init()
	dir := t.TempDir()
	appID, appSecret := in.m2m("https://orders.example/", []string{"read:orders"}, []string{"read:orders"}, map[string]string{"plan": "gold"})
	token := func() map[string]any {
		t.Helper()
		r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
			"client_secret": {appSecret}, "audience": {"https://orders.example/"}})
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		return claims(t, r.json(t)["access_token"].(string))
	}

	// create: a draft, not running yet.
	v1 := writeFile(t, dir, "plan.js", cliActionV1)
	out := c.ok("actions", "create", "add-plan", "-t", "credentials-exchange", v1, "--secret", "SUFFIX=one")
	if !strings.Contains(out, "not deployed") || !strings.Contains(out, "tokenhook actions deploy -p default add-plan") ||
		!strings.Contains(out, "tokenhook actions bind -p default credentials-exchange add-plan") {
		t.Fatalf("create:\n%s", out)
	}
	c.fails(6, "tokenhook actions update -p default add-plan", "actions", "create", "add-plan", "-t", "credentials-exchange", v1)
	c.fails(2, "unknown trigger", "actions", "create", "other", "-t", "nope", v1)
	c.fails(2, "missing --trigger", "actions", "create", "other", v1)
	// Code that does not compile is refused with its line.
	c.fails(6, "line 2, column 1", "actions", "create", "broken", "-t", "credentials-exchange", writeFile(t, dir, "broken.js", "exports.onExecuteCredentialsExchange = async (event, api) => {\n"))

	var acts []cliAction
	c.jsonOf(&acts, "actions", "ls")
	if len(acts) != 1 || acts[0].Name != "add-plan" || acts[0].SupportedTriggers[0].ID != "credentials-exchange" ||
		acts[0].SupportedTriggers[0].Version != "v2" || len(acts[0].Secrets) != 1 || acts[0].DeployedVersion != nil {
		t.Fatalf("ls: %+v", acts)
	}
	if out := c.ok("actions", "ls"); !strings.Contains(out, "add-plan") || !strings.Contains(out, "credentials-exchange") {
		t.Fatalf("ls:\n%s", out)
	}
	c.jsonOf(&acts, "actions", "ls", "-t", "post-login")
	if len(acts) != 0 {
		t.Fatalf("ls -t post-login: %+v", acts)
	}
	if out := c.ok("actions", "get", "add-plan", "--code"); out != cliActionV1 {
		t.Fatalf("get --code:\n%q", out)
	}
	var one cliAction
	c.jsonOf(&one, "actions", "get", "add-plan")
	c.jsonOf(&one, "actions", "get", one.ID) // an id works too
	if one.Name != "add-plan" {
		t.Fatalf("get by id: %+v", one)
	}
	c.fails(5, `no action named "nope"`, "actions", "get", "nope")

	// test runs the draft on the default event, without deploying it.
	out = c.ok("actions", "test", "add-plan")
	if !strings.Contains(out, "https://example.com/plan") || !strings.Contains(out, "full-one") || !strings.Contains(out, "plan is full") {
		t.Fatalf("test:\n%s", out)
	}
	payload := writeFile(t, dir, "event.json", `{"client": {"client_id": "abc", "name": "x", "metadata": {"plan": "silver"}}, "accessToken": {"scope": ["read:orders"], "customClaims": {}}}`)
	var ans struct {
		Payload struct {
			Result struct {
				AccessToken struct {
					CustomClaims map[string]any `json:"customClaims"`
				} `json:"accessToken"`
			} `json:"result"`
			Error any `json:"error"`
		} `json:"payload"`
	}
	c.jsonOf(&ans, "actions", "test", "add-plan", "--payload", payload)
	if ans.Payload.Result.AccessToken.CustomClaims["https://example.com/plan"] != "silver-one" || ans.Payload.Error != nil {
		t.Fatalf("test --payload: %+v", ans)
	}
	if tok := token(); tok["https://example.com/plan"] != nil {
		t.Fatalf("an undeployed, unbound Action ran: %v", tok)
	}

	// deploy waits for the build; bind puts it on the trigger.
	var ver cliActionVersion
	c.jsonOf(&ver, "actions", "deploy", "add-plan")
	if ver.Number != 1 || !ver.Deployed {
		t.Fatalf("deploy: %+v", ver)
	}
	if tok := token(); tok["https://example.com/plan"] != nil {
		t.Fatalf("a deployed but unbound Action ran: %v", tok)
	}
	if out := c.ok("actions", "bind", "credentials-exchange", "add-plan"); !strings.Contains(out, "credentials-exchange runs, in order: add-plan.") {
		t.Fatalf("bind:\n%s", out)
	}
	if tok := token(); tok["https://example.com/plan"] != "gold-one" {
		t.Fatalf("after bind: %v", tok)
	}

	// update changes the draft only; deploy makes version 2.
	c.ok("actions", "update", "add-plan", writeFile(t, dir, "plan2.js", cliActionV2), "--secret", "SUFFIX=two")
	c.jsonOf(&one, "actions", "get", "add-plan")
	if one.AllChangesDeployed || one.DeployedVersion == nil || one.DeployedVersion.Number != 1 || len(one.Secrets) != 1 {
		t.Fatalf("after update: %+v", one)
	}
	if tok := token(); tok["https://example.com/plan"] != "gold-one" {
		t.Fatalf("an update changed the running version: %v", tok)
	}
	if out := c.ok("actions", "deploy", "add-plan"); !strings.Contains(out, `Action "add-plan" deployed as version 2.`) {
		t.Fatalf("deploy:\n%s", out)
	}
	if tok := token(); tok["https://example.com/plan"] != "v2:gold-two" {
		t.Fatalf("version 2: %v", tok)
	}
	var vers []cliActionVersion
	c.jsonOf(&vers, "actions", "versions", "add-plan")
	if len(vers) != 2 || vers[0].Number != 2 || !vers[0].Deployed || vers[1].Number != 1 || vers[1].Deployed {
		t.Fatalf("versions: %+v", vers)
	}
	if out := c.ok("actions", "versions", "add-plan"); !strings.Contains(out, "deployed") {
		t.Fatalf("versions:\n%s", out)
	}

	// rollback to version 1 (by number): a new version 3 with version 1's
	// code and secrets.
	if out := c.ok("actions", "rollback", "add-plan", "1"); !strings.Contains(out, "version 1 deployed again as version 3") {
		t.Fatalf("rollback:\n%s", out)
	}
	if tok := token(); tok["https://example.com/plan"] != "gold-one" {
		t.Fatalf("after rollback: %v", tok)
	}
	c.fails(5, "has no version 9", "actions", "rollback", "add-plan", "9")
	// ...and by id, back to version 2's code.
	c.jsonOf(&ver, "actions", "rollback", "add-plan", vers[0].ID)
	if ver.Number != 4 || token()["https://example.com/plan"] != "v2:gold-two" {
		t.Fatalf("rollback by id: %+v", ver)
	}

	// Two Actions: the binding order is the execution order (the last
	// setCustomClaim of a name wins).
	c.ok("actions", "create", "add-region", "-t", "credentials-exchange", writeFile(t, dir, "region.js", cliActionRegion),
		"--secret", "REGION=eu", "--deploy")
	c.ok("actions", "bind", "credentials-exchange", "add-plan", "add-region")
	if tok := token(); tok["https://example.com/last"] != "add-region" || tok["https://example.com/region"] != "eu" {
		t.Fatalf("order add-plan, add-region: %v", tok)
	}
	c.ok("actions", "bind", "-t", "credentials-exchange", "add-region", "add-plan")
	if tok := token(); tok["https://example.com/last"] != "add-plan" {
		t.Fatalf("order add-region, add-plan: %v", tok)
	}
	var bindings []struct {
		ID     string `json:"id"`
		Action struct {
			Name string `json:"name"`
		} `json:"action"`
	}
	c.jsonOf(&bindings, "actions", "bindings", "credentials-exchange")
	if len(bindings) != 2 || bindings[0].Action.Name != "add-region" || bindings[1].Action.Name != "add-plan" {
		t.Fatalf("bindings: %+v", bindings)
	}
	if out := c.ok("actions", "bindings", "credentials-exchange"); strings.Index(out, "add-region") > strings.Index(out, "add-plan") {
		t.Fatalf("bindings:\n%s", out)
	}
	c.fails(5, `no action named "nope"`, "actions", "bind", "credentials-exchange", "add-plan", "nope")
	c.fails(2, "--clear", "actions", "bind", "credentials-exchange")

	// A denying Action: test exits 1 with the error.
	c.ok("actions", "create", "deny-all", "-t", "credentials-exchange", writeFile(t, dir, "deny.js",
		"exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope', 'not today'); };\n"))
	r := c.run("actions", "test", "deny-all")
	if r.code != 1 || !strings.Contains(r.stdout, "invalid_scope") || !strings.Contains(r.stderr, "not today") {
		t.Fatalf("test of a deny: %s", r)
	}

	// create also takes hooks create's forms: -n NAME, or FILE's base name.
	c.ok("actions", "create", "-t", "credentials-exchange", "-n", "by-flag", v1)
	c.ok("actions", "create", "-t", "credentials-exchange", writeFile(t, dir, "by-file.js", cliActionV1))
	c.jsonOf(&one, "actions", "get", "by-file")
	c.ok("actions", "rm", "by-flag")
	c.ok("actions", "rm", "by-file")

	// rm: a bound Action needs --force, which unbinds it.
	c.fails(6, "--force", "actions", "rm", "add-region")
	c.ok("actions", "rm", "deny-all")
	c.ok("actions", "rm", "add-region", "--force")
	c.jsonOf(&bindings, "actions", "bindings", "credentials-exchange")
	if len(bindings) != 1 || bindings[0].Action.Name != "add-plan" {
		t.Fatalf("bindings after rm --force: %+v", bindings)
	}
	if tok := token(); tok["https://example.com/region"] != nil {
		t.Fatalf("a deleted Action ran: %v", tok)
	}
	c.ok("actions", "bind", "credentials-exchange", "--clear")
	if tok := token(); tok["https://example.com/plan"] != nil {
		t.Fatalf("an unbound Action ran: %v", tok)
	}
	var triggers struct {
		Triggers []struct {
			ID string `json:"id"`
		} `json:"triggers"`
	}
	c.jsonOf(&triggers, "actions", "triggers")
	if len(triggers.Triggers) < 2 {
		t.Fatalf("triggers: %+v", triggers)
	}
}

// hooks convert: the Action made from a Hook gives the tokens the Hook
// gave; what cannot convert is refused with its line.
func TestCLIHooksConvert(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	c.init()
	dir := t.TempDir()
	appID, appSecret := in.m2m("https://orders.example/", []string{"read:orders", "write:orders"}, []string{"read:orders"}, map[string]string{"plan": "gold"})
	token := func() map[string]any {
		t.Helper()
		r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID},
			"client_secret": {appSecret}, "audience": {"https://orders.example/"}})
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		return claims(t, r.json(t)["access_token"].(string))
	}
	hook := `module.exports = function (client, scope, audience, context, cb) {
  if (client.metadata.plan === 'blocked') {
    return cb(new InvalidRequestError('blocked'));
  }
  var access_token = {};
  access_token['https://example.com/plan'] = client.metadata.plan + '/' + context.webtask.secrets.API_KEY;
  access_token['https://example.com/aud'] = audience;
  access_token['https://example.com/client'] = client.name;
  access_token.scope = scope;
  cb(null, access_token);
};
`
	c.ok("create", "-t", "credentials-exchange", "-n", "legacy", writeFile(t, dir, "legacy.js", hook), "-s", "API_KEY=k1")
	c.ok("enable", "legacy")
	fromHook := token()

	r := c.run("hooks", "convert", "legacy")
	if r.code != 0 || !strings.Contains(r.stdout, "exports.onExecuteCredentialsExchange = async (event, api) => {") ||
		!strings.Contains(r.stdout, "api.access.deny('invalid_request', 'blocked')") ||
		!strings.Contains(r.stderr, "tokenhook actions create NAME -t credentials-exchange action.js --secret API_KEY=...") {
		t.Fatalf("hooks convert: %s", r)
	}
	var conv struct {
		Hook    string   `json:"hook"`
		Trigger string   `json:"trigger"`
		Code    string   `json:"code"`
		Secrets []string `json:"secrets"`
	}
	c.jsonOf(&conv, "hooks", "convert", "legacy")
	if conv.Hook != "legacy" || conv.Trigger != "credentials-exchange" || conv.Code != r.stdout || len(conv.Secrets) != 1 || conv.Secrets[0] != "API_KEY" {
		t.Fatalf("hooks convert -o json: %+v", conv)
	}
	// A file converts too.
	if out := c.ok("hooks", "convert", writeFile(t, dir, "copy.js", hook)); out != r.stdout {
		t.Fatalf("hooks convert FILE:\n%s", out)
	}

	// The converted Action, with the Hook disabled, gives the same token.
	c.ok("disable", "legacy")
	if rr := c.runIn(r.stdout, nil, "actions", "create", "converted", "-t", "credentials-exchange", "-", "--secret", "API_KEY=k1", "--deploy"); rr.code != 0 {
		t.Fatalf("actions create from the conversion: %s", rr)
	}
	c.ok("actions", "bind", "credentials-exchange", "converted")
	fromAction := token()
	for _, k := range []string{"https://example.com/plan", "https://example.com/aud", "https://example.com/client", "scope"} {
		if fromHook[k] == nil || fromAction[k] != fromHook[k] {
			t.Fatalf("%s: the Hook gave %v, the Action %v\nhook: %v\naction: %v", k, fromHook[k], fromAction[k], fromHook, fromAction)
		}
	}
	if b, _ := json.Marshal(fromAction); strings.Contains(string(b), "k1") != true {
		t.Fatalf("the Action did not read its secret: %s", b)
	}

	// Refusals: the construct, its line, exit 1, no code on stdout.
	storage := `module.exports = function (client, scope, audience, context, cb) {
  context.webtask.storage.get(function (err, data) {
    cb(null, { scope: scope, 'https://example.com/n': data.n });
  });
};
`
	c.ok("create", "-t", "credentials-exchange", "-n", "stateful", writeFile(t, dir, "stateful.js", storage))
	r = c.fails(1, `cannot convert hook "stateful": line 2, column 3: context.webtask.storage`, "hooks", "convert", "stateful")
	if r.stdout != "" {
		t.Fatalf("a refused conversion printed code:\n%s", r.stdout)
	}
	reset := `module.exports = function (client, scope, audience, context, cb) {
  cb(null, { scope: ['read:orders', 'write:orders'] });
};
`
	c.fails(1, "line 2", "hooks", "convert", writeFile(t, dir, "reset.js", reset))
	c.fails(1, "a scope reset or replacement", "hooks", "convert", writeFile(t, dir, "reset2.js", reset))
	c.fails(5, "no hook named", "hooks", "convert", "nope")
	c.fails(1, "pre-user-registration hook has no Action trigger", "hooks", "convert", "-t", "pre-user-registration",
		writeFile(t, dir, "pur.js", "module.exports = function (user, context, cb) { cb(); };\n"))
}

// actions deploy waits for the build and, when npm cannot install a
// dependency, says so with npm's reason and deploys nothing.
func TestCLIActionsDeployFailedBuild(t *testing.T) {
	needNodeAndNPM(t)
	// A registry that has no package at all answers like npm's for an
	// unknown name.
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"Not found"}`))
	}))
	t.Cleanup(registry.Close)
	in := start(t, options{args: []string{"--npm-registry", registry.URL + "/"}})
	c := newCLI(t, in)
	c.init()
	file := writeFile(t, t.TempDir(), "dep.js", "const left = require('tokenhook-e2e-no-such-package');\nexports.onExecuteCredentialsExchange = async (event, api) => {};\n")
	c.ok("actions", "create", "with-dep", "-t", "credentials-exchange", file, "--dependency", "tokenhook-e2e-no-such-package@1.0.0")
	r := c.fails(6, `the build of action "with-dep" failed: `, "actions", "deploy", "with-dep", "--timeout", "4m")
	if !strings.Contains(r.stderr, "tokenhook-e2e-no-such-package") {
		t.Fatalf("the failure does not name the package: %s", r)
	}
	var vers []cliActionVersion
	c.jsonOf(&vers, "actions", "versions", "with-dep")
	if len(vers) != 0 {
		t.Fatalf("a failed build was deployed: %+v", vers)
	}
	if out := c.ok("actions", "get", "with-dep"); !strings.Contains(out, "failed") || !strings.Contains(out, "build errors") {
		t.Fatalf("get:\n%s", out)
	}
}

// actions logs streams one Action's console output, not the hook's that
// runs before it on the same token request.
func TestCLIActionsLogs(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	c.init()
	appID, appSecret := in.m2m("https://orders.example/", []string{"read:orders"}, []string{"read:orders"}, map[string]string{"plan": "gold"})
	if r := c.runIn(cliHookScript, nil, "create", "-t", "credentials-exchange", "-n", "talker", "-", "-s", "KEY=k"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	c.ok("enable", "talker")
	c.ok("actions", "create", "add-plan", "-t", "credentials-exchange", writeFile(t, t.TempDir(), "plan.js", cliActionV1),
		"--secret", "SUFFIX=one", "--deploy")
	c.ok("actions", "bind", "credentials-exchange", "add-plan")

	cmd := exec.Command(binary, "actions", "logs", "add-plan", "-o", "json")
	cmd.Env = c.env
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	connected := make(chan struct{}, 4)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Waiting for hook logs") {
				connected <- struct{}{}
			}
		}
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	select {
	case <-connected:
	case <-time.After(30 * time.Second):
		t.Fatal("actions logs did not connect")
	}
	r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {appSecret}, "audience": {"https://orders.example/"}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	select {
	case l := <-lines:
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil || e["message"] != "plan is gold" || e["hook_name"] != "add-plan" {
			t.Fatalf("line %q: %v", l, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no line from the Action")
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("actions logs after Ctrl-C: %v", err)
	}
	c.fails(5, `no action named "talker"`, "actions", "logs", "talker")
}
