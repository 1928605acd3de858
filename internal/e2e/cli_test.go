package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cli runs the real tokenhook binary as a user would, with its own HOME
// and XDG_CONFIG_HOME so profiles and cached tokens stay in the test.
type cli struct {
	t   *testing.T
	in  *instance
	cfg string // $XDG_CONFIG_HOME
	env []string
}

func newCLI(t *testing.T, in *instance) *cli {
	home := t.TempDir()
	return &cli{t: t, in: in, cfg: filepath.Join(home, "xdg"),
		env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "xdg")}}
}

type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return "exit " + itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// runIn runs the binary with stdin and extra environment.
func (c *cli) runIn(stdin string, env []string, args ...string) cliResult {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append([]string{}, c.env...), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		c.t.Fatalf("running tokenhook %v: %v", args, err)
	}
	return cliResult{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

func (c *cli) run(args ...string) cliResult { c.t.Helper(); return c.runIn("", nil, args...) }

// ok runs a command that must succeed.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("tokenhook %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// fails runs a command that must exit with code and mention want.
func (c *cli) fails(code int, want string, args ...string) cliResult {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		c.t.Fatalf("tokenhook %s: want exit %d and %q in stderr, got %s", strings.Join(args, " "), code, want, r)
	}
	return r
}

// jsonOf runs a command with -o json and decodes its output.
func (c *cli) jsonOf(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("tokenhook %s -o json: not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (c *cli) init(extra ...string) {
	c.t.Helper()
	c.ok(append([]string{"init", "--url", c.in.base, "--client-id", adminID, "--client-secret", adminSecret}, extra...)...)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCLIProfiles: init checks the credentials before saving, the file is
// private, -p and TOKENHOOK_PROFILE pick profiles, --ca-cert trusts a
// self-signed server.
func TestCLIProfiles(t *testing.T) {
	files := selfSignedCert(t)
	in := start(t, options{tls: files})
	c := newCLI(t, in)
	path := filepath.Join(c.cfg, "tokenhook", "profiles.json")

	c.fails(2, "missing --url", "init", "--client-id", adminID, "--client-secret", adminSecret)
	c.fails(2, "no profile \"default\"", "clients", "ls")
	// The self-signed certificate is not trusted without --ca-cert:
	// a connection failure, exit 7.
	c.fails(7, "certificate", "init", "--url", in.base, "--client-id", adminID, "--client-secret", adminSecret)
	c.fails(8, "profile not saved", "init", "--url", in.base, "--client-id", adminID, "--client-secret", "wrong", "--ca-cert", files.cert)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed init wrote %s (%v)", path, err)
	}

	c.init("--ca-cert", files.cert)
	c.init("-p", "second", "--ca-cert", files.cert)
	for p, mode := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != mode {
			t.Fatalf("%s: mode %v, want %v", p, st.Mode(), mode)
		}
	}
	var pf struct {
		Profiles map[string]struct {
			URL      string `json:"url"`
			Audience string `json:"audience"`
		} `json:"profiles"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &pf); err != nil || pf.Profiles["default"].URL != in.base || pf.Profiles["second"].Audience != in.base+"api/v2/" {
		t.Fatalf("profiles file: %v\n%s", err, b)
	}
	c.ok("clients", "ls", "-p", "second")
	if r := c.runIn("", []string{"TOKENHOOK_PROFILE=nope"}, "clients", "ls"); r.code != 2 || !strings.Contains(r.stderr, `no profile "nope"`) {
		t.Fatalf("TOKENHOOK_PROFILE ignored: %s", r)
	}
	if r := c.runIn("", []string{"TOKENHOOK_PROFILE=second"}, "keys", "ls"); r.code != 0 {
		t.Fatalf("TOKENHOOK_PROFILE=second: %s", r)
	}
	// The cached token is private too.
	if st, err := os.Stat(filepath.Join(c.cfg, "tokenhook", "tokens", "default.json")); err != nil || st.Mode() != 0o600 {
		t.Fatalf("token cache: %v %v", st, err)
	}
}

// TestCLITenantVerbs drives clients, apis, grants, users, keys, logs
// tenant and token end to end, with their exit codes and JSON output.
func TestCLITenantVerbs(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	c.init()

	// APIs
	var api map[string]any
	c.jsonOf(&api, "apis", "create", "--identifier", "https://orders.example/", "--name", "Orders",
		"--scope", "read:orders=Read orders", "--scope", "write:orders")
	if api["identifier"] != "https://orders.example/" || len(api["scopes"].([]any)) != 2 {
		t.Fatalf("apis create: %v", api)
	}
	c.jsonOf(&api, "apis", "update", "https://orders.example/", "--name", "Orders v2")
	if api["name"] != "Orders v2" {
		t.Fatalf("apis update: %v", api)
	}
	if out := c.ok("apis", "get", "https://orders.example/"); !strings.Contains(out, "Orders v2") || !strings.Contains(out, "read:orders write:orders") {
		t.Fatalf("apis get:\n%s", out)
	}
	if out := c.ok("apis", "ls"); !strings.Contains(out, "https://orders.example/") || !strings.HasPrefix(out, "ID ") {
		t.Fatalf("apis ls:\n%s", out)
	}
	c.fails(6, "already exists", "apis", "create", "--identifier", "https://orders.example/", "--name", "again")

	// Clients
	var app map[string]any
	c.jsonOf(&app, "clients", "create", "--name", "billing", "--metadata", "plan=gold")
	id, secret := app["client_id"].(string), app["client_secret"].(string)
	if id == "" || secret == "" || app["client_metadata"].(map[string]any)["plan"] != "gold" {
		t.Fatalf("clients create: %v", app)
	}
	if out := c.ok("clients", "ls"); !strings.Contains(out, id) || !strings.Contains(out, "billing") {
		t.Fatalf("clients ls:\n%s", out)
	}
	c.jsonOf(&app, "clients", "update", id, "--name", "billing-v2")
	if app["name"] != "billing-v2" {
		t.Fatalf("clients update: %v", app)
	}
	if out := c.ok("clients", "get", id); !strings.Contains(out, "billing-v2") || !strings.Contains(out, "plan") {
		t.Fatalf("clients get:\n%s", out)
	}
	c.jsonOf(&app, "clients", "rotate-secret", id)
	if app["client_secret"] == secret || app["client_secret"] == "" {
		t.Fatalf("rotate-secret kept the secret: %v", app)
	}
	secret = app["client_secret"].(string)

	// Grants
	var grant map[string]any
	c.jsonOf(&grant, "grants", "create", "--client-id", id, "--audience", "https://orders.example/", "--scope", "read:orders,write:orders")
	gid := grant["id"].(string)
	c.jsonOf(&grant, "grants", "update", gid, "--scope", "read:orders")
	var grants []map[string]any
	c.jsonOf(&grants, "grants", "ls", "--client-id", id)
	if len(grants) != 1 || grants[0]["id"] != gid || len(grants[0]["scope"].([]any)) != 1 {
		t.Fatalf("grants ls: %v", grants)
	}
	if out := c.ok("grants", "get", gid); !strings.Contains(out, "read:orders") {
		t.Fatalf("grants get:\n%s", out)
	}

	// token: the seeds' "Test your hook" step, decoded.
	var tok struct {
		Response map[string]any `json:"response"`
		Header   map[string]any `json:"header"`
		Payload  map[string]any `json:"payload"`
	}
	c.jsonOf(&tok, "token", "-c", id, "-s", secret, "-a", "https://orders.example/")
	if tok.Header["alg"] != "RS256" || tok.Payload["scope"] != "read:orders" || tok.Payload["aud"] != "https://orders.example/" ||
		tok.Response["token_type"] != "Bearer" {
		t.Fatalf("token: %+v", tok)
	}
	if out := c.ok("token", "-c", id, "-s", secret, "-a", "https://orders.example/"); !strings.Contains(out, "Payload:") || !strings.Contains(out, `"sub": "`+id+`@clients"`) {
		t.Fatalf("token:\n%s", out)
	}
	c.fails(8, "", "token", "-c", id, "-s", "wrong", "-a", "https://orders.example/")
	c.fails(8, "Service not enabled", "token", "-c", id, "-s", secret, "-a", "https://unknown.example/")
	c.fails(2, "--client-id", "token", "-a", "https://orders.example/")

	// logs tenant: the exchange just made, and the failed one.
	// Events are written in batches: wait for both kinds to land.
	var events []map[string]any
	waitFor(t, 10*time.Second, "the token requests' seccft and feccft events", func() bool {
		events = nil
		c.jsonOf(&events, "logs", "tenant", "--client-id", id)
		types := map[any]bool{}
		for _, e := range events {
			types[e["type"]] = true
		}
		return types["seccft"] && types["feccft"]
	})
	c.jsonOf(&events, "logs", "tenant", "--type", "feccft", "-n", "1")
	if len(events) != 1 || events[0]["type"] != "feccft" {
		t.Fatalf("logs tenant --type feccft: %v", events)
	}
	if out := c.ok("logs", "tenant"); !strings.Contains(out, "seccft") || !strings.Contains(out, "billing-v2") {
		t.Fatalf("logs tenant:\n%s", out)
	}

	// Keys
	var keys []map[string]any
	c.jsonOf(&keys, "keys", "ls")
	current := func() string {
		for _, k := range keys {
			if k["current"] == true {
				return k["kid"].(string)
			}
		}
		return ""
	}
	before := current()
	if before == "" {
		t.Fatalf("keys ls: no current key: %v", keys)
	}
	if out := c.ok("keys", "rotate"); !strings.Contains(out, "Rotated") {
		t.Fatalf("keys rotate:\n%s", out)
	}
	c.jsonOf(&keys, "keys", "ls")
	if after := current(); after == "" || after == before {
		t.Fatalf("keys rotate: current %q, was %q", after, before)
	}
	// The CLI's cached token was signed by the previous key, which stays
	// valid; the next command must still work.
	c.ok("keys", "ls")

	// Users
	var user map[string]any
	c.jsonOf(&user, "users", "create", "--email", "ana@example.com", "--password", "correct horse battery 9", "--app-metadata", "plan=gold")
	uid, _ := user["user_id"].(string)
	if uid == "" || user["email"] != "ana@example.com" {
		t.Fatalf("users create: %v", user)
	}
	var users []map[string]any
	c.jsonOf(&users, "users", "ls")
	if len(users) != 1 || users[0]["user_id"] != uid {
		t.Fatalf("users ls: %v", users)
	}
	c.jsonOf(&user, "users", "update", uid, "--name", "Ana", "--blocked")
	if user["name"] != "Ana" || user["blocked"] != true {
		t.Fatalf("users update: %v", user)
	}
	if out := c.ok("users", "get", uid); !strings.Contains(out, "Ana") || !strings.Contains(out, "ana@example.com") {
		t.Fatalf("users get:\n%s", out)
	}
	c.fails(6, "", "users", "create", "--email", "not-an-email", "--password", "correct horse battery 9")
	c.ok("users", "rm", uid)
	c.fails(5, "", "users", "get", uid)

	// Output: a pipe is not a terminal, so no colour with or without
	// NO_COLOR; and NO_COLOR never gets any.
	for _, env := range [][]string{nil, {"NO_COLOR=1"}} {
		for _, args := range [][]string{{"clients", "ls"}, {"keys", "ls"}, {"logs", "tenant"}, {"apis", "get", "https://orders.example/"}} {
			r := c.runIn("", env, args...)
			if r.code != 0 || strings.Contains(r.stdout+r.stderr, "\x1b[") {
				t.Fatalf("%v %v: ANSI escapes or failure: %q", env, args, r)
			}
		}
	}

	// Exit codes and the API's message.
	c.fails(2, "unknown command", "bogus")
	c.fails(2, "unknown command", "clients", "bogus")
	c.fails(2, "--name is required", "clients", "create")
	c.fails(2, "takes 1 argument", "clients", "get")
	c.fails(2, "--output must be", "clients", "ls", "-o", "yaml")
	c.fails(2, "unknown flag", "clients", "ls", "--nope")
	c.fails(5, "The client does not exist", "clients", "get", "nope")
	c.fails(6, "app_type", "clients", "create", "--name", "x", "--app-type", "bogus")

	// Deletes.
	c.ok("grants", "rm", gid)
	c.fails(5, "", "grants", "get", gid)
	c.ok("clients", "rm", id)
	c.fails(5, "", "clients", "get", id)
	c.ok("apis", "rm", "https://orders.example/")
	c.fails(5, "", "apis", "get", "https://orders.example/")

	// A server that is down is exit 7.
	in.stop()
	c.fails(7, "cannot reach the server", "clients", "ls")
}

// TestCLIWrongCredentials: a saved profile whose secret stopped working
// (rotated by someone else) fails with exit 8 and the server's message.
func TestCLIWrongCredentials(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	r := in.api("POST", "clients", map[string]any{"name": "ops", "app_type": "non_interactive"})
	app := r.json(t)
	id, secret := app["client_id"].(string), app["client_secret"].(string)
	// An application without a grant on the Management API cannot even
	// get a token for it.
	c.fails(8, "profile not saved", "init", "--url", in.base, "--client-id", id, "--client-secret", secret)
	if r := in.api("POST", "client-grants", map[string]any{"client_id": id, "audience": in.base + "api/v2/", "scope": []string{"read:clients"}}); r.status != 201 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	c.ok("init", "--url", in.base, "--client-id", id, "--client-secret", secret)
	c.ok("clients", "ls")
	// Missing scope: 403 from the API, exit 8 with its message.
	c.fails(8, "Insufficient scope", "keys", "ls")
	// The secret rotates; the cached token still works until it expires,
	// so drop the cache to force a new exchange with the old secret.
	if r := in.api("POST", "clients/"+id+"/rotate-secret", nil); r.status != 200 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	os.RemoveAll(filepath.Join(c.cfg, "tokenhook", "tokens"))
	c.fails(8, "", "clients", "ls")
}

const cliHookScript = `module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token['https://foo.com/claim'] = 'bar';
  access_token.scope = scope;
  access_token.scope.push('extra');
  console.log('hello from the hook, key ' + context.webtask.secrets.KEY);
  cb(null, access_token);
};
`

type cliHook struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Script    string `json:"script"`
	Enabled   bool   `json:"enabled"`
	TriggerID string `json:"triggerId"`
}

// TestCLIHooks follows the seeds' walkthrough with the CLI: scaffold,
// create (disabled, with the enable hint), enable, test, logs during a real
// token request, secrets, edit, disable and rm.
func TestCLIHooks(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	c.init("-p", "acme-default")
	p := []string{"-p", "acme-default"}
	dir := t.TempDir()
	appID, appSecret := in.m2m("https://orders.example/", []string{"read:orders"}, []string{"read:orders"}, nil)

	if out := c.ok("scaffold", "-t", "credentials-exchange"); !strings.Contains(out, "module.exports = function(client, scope, audience, context, cb)") {
		t.Fatalf("scaffold:\n%s", out)
	}
	if out := c.ok("scaffold", "-t", "password-exchange"); !strings.Contains(out, "function(user, client, scope, audience, context, cb)") {
		t.Fatalf("scaffold password-exchange:\n%s", out)
	}
	c.fails(2, "unknown hook type", "scaffold", "-t", "nope")
	c.fails(2, "missing --type", "scaffold")
	// With a profile, the starter comes from that server's point table
	// (GET /api/v2/hooks/extensibility-points): the same table, here.
	offline := c.ok("scaffold", "-t", "password-exchange")
	if out := c.ok(append([]string{"scaffold", "-t", "password-exchange"}, p...)...); out != offline {
		t.Fatalf("scaffold from the server:\n%s\nbuilt in:\n%s", out, offline)
	}
	c.fails(2, "use credentials-exchange or password-exchange", append([]string{"scaffold", "-t", "nope"}, p...)...)
	c.fails(2, "unknown hook type", append([]string{"ls", "-t", "nope"}, p...)...)

	// The seeds' command, word for word but for the binary's name.
	file := writeFile(t, dir, "myrule.js", cliHookScript)
	out := c.ok("create", "-t", "credentials-exchange", "-n", "client-credentials-exchange-hook", "-p", "acme-default", file, "-s", "KEY=one")
	if !strings.Contains(out, "disabled") || !strings.Contains(out, "tokenhook enable -p acme-default client-credentials-exchange-hook") {
		t.Fatalf("create:\n%s", out)
	}
	// -n defaults to the file's base name; code from stdin.
	c.ok(append([]string{"create", "-t", "credentials-exchange", writeFile(t, dir, "second.js", cliHookScript)}, p...)...)
	if r := c.runIn(cliHookScript, nil, append([]string{"create", "-t", "credentials-exchange", "-n", "from-stdin", "-"}, p...)...); r.code != 0 {
		t.Fatalf("create from stdin: %s", r)
	}
	c.fails(2, "-n NAME is required", append([]string{"create", "-t", "credentials-exchange", "-"}, p...)...)
	c.fails(2, "-t TYPE is required", append([]string{"create", "-n", "untyped", file}, p...)...)
	c.fails(6, "", append([]string{"create", "-t", "credentials-exchange", "-n", "bad name!", file}, p...)...)
	c.fails(6, "type cannot change", append([]string{"create", "-t", "password-exchange", "-n", "second", file}, p...)...)

	var hooks []cliHook
	c.jsonOf(&hooks, append([]string{"ls"}, p...)...)
	if len(hooks) != 3 {
		t.Fatalf("ls: %v", hooks)
	}
	for _, h := range hooks {
		if h.Enabled || h.TriggerID != "credentials-exchange" {
			t.Fatalf("created enabled or with the wrong type: %+v", h)
		}
	}
	if out := c.ok(append([]string{"ls", "-t", "credentials-exchange"}, p...)...); !strings.Contains(out, "client-credentials-exchange-hook") || !strings.Contains(out, "disabled") {
		t.Fatalf("ls:\n%s", out)
	}
	c.jsonOf(&hooks, append([]string{"ls", "-t", "password-exchange"}, p...)...)
	if len(hooks) != 0 {
		t.Fatalf("ls -t password-exchange: %v", hooks)
	}

	// Shell completion offers the profile's hook names and the types.
	if out := c.ok(append([]string{"__complete", "enable"}, append(p, "")...)...); !strings.Contains(out, "client-credentials-exchange-hook\n") || !strings.Contains(out, "from-stdin\n") {
		t.Fatalf("completion of hook names:\n%s", out)
	}
	if out := c.ok("__complete", "create", "-t", ""); !strings.Contains(out, "password-exchange\n") {
		t.Fatalf("completion of -t:\n%s", out)
	}

	// enable, as the seeds say; then enabling another disables it.
	if out := c.ok("enable", "--profile", "acme-default", "client-credentials-exchange-hook"); !strings.Contains(out, "enabled") {
		t.Fatalf("enable:\n%s", out)
	}
	if out := c.ok(append([]string{"enable", "second"}, p...)...); !strings.Contains(out, "Disabled client-credentials-exchange-hook") {
		t.Fatalf("enable second:\n%s", out)
	}
	c.ok(append([]string{"enable", "client-credentials-exchange-hook"}, p...)...)
	enabled := func(name string) bool {
		var hs []cliHook
		c.jsonOf(&hs, append([]string{"ls"}, p...)...)
		for _, h := range hs {
			if h.Name == name {
				return h.Enabled
			}
		}
		t.Fatalf("no hook %q", name)
		return false
	}
	if !enabled("client-credentials-exchange-hook") || enabled("second") {
		t.Fatal("enable did not switch the enabled hook")
	}

	// logs: a line the hook prints during a real token request.
	logsCmd := exec.Command(binary, append([]string{"logs", "-v"}, p...)...)
	logsCmd.Env = c.env
	stdout, _ := logsCmd.StdoutPipe()
	stderr, _ := logsCmd.StderrPipe()
	if err := logsCmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer logsCmd.Process.Kill()
	ready := make(chan struct{})
	var readyOnce sync.Once
	var errText strings.Builder
	var errMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			errMu.Lock()
			errText.WriteString(sc.Text() + "\n")
			errMu.Unlock()
			if strings.Contains(sc.Text(), "Waiting for hook logs") {
				readyOnce.Do(func() { close(ready) }) // a reconnect prints it again
			}
		}
	}()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		errMu.Lock()
		t.Fatalf("logs did not connect:\n%s", errText.String())
	}
	r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {appSecret}, "audience": {"https://orders.example/"}})
	if r.status != 200 || r.json(t)["scope"] != "read:orders extra" {
		t.Fatalf("token with the hook: %d %s", r.status, r.body)
	}
	select {
	case l := <-lines:
		if !strings.Contains(l, "hello from the hook, key one") || !strings.Contains(l, "client-credentials-exchange-hook") || !strings.Contains(l, "request=") {
			t.Fatalf("logs line: %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("logs printed nothing for the token request")
	}
	_ = logsCmd.Process.Signal(syscall.SIGINT)
	if err := logsCmd.Wait(); err != nil {
		t.Fatalf("logs after Ctrl-C: %v", err)
	}

	// test: unsaved code from a file, never saved.
	unsaved := writeFile(t, dir, "unsaved.js", strings.ReplaceAll(cliHookScript, "'bar'", "'unsaved'"))
	out = c.ok(append([]string{"test", unsaved, "-s", "KEY=tmp"}, p...)...)
	for _, want := range []string{"Result:", `"https://foo.com/claim": "unsaved"`, `"extra"`, "hello from the hook, key tmp", "Duration:", "Error: none"} {
		if !strings.Contains(out, want) {
			t.Fatalf("test FILE: %q missing:\n%s", want, out)
		}
	}
	var report struct {
		Result map[string]any `json:"result"`
		Logs   []struct {
			Message string `json:"message"`
		} `json:"logs"`
		DurationMS *float64 `json:"duration_ms"`
		Error      any      `json:"error"`
	}
	payload := writeFile(t, dir, "payload.json", `{"audience":"https://a/","client":{"id":"x","name":"n","tenant":"t","metadata":{}},"scope":["one"]}`)
	c.jsonOf(&report, append([]string{"test", "client-credentials-exchange-hook", "--payload", payload}, p...)...)
	if report.Result["https://foo.com/claim"] != "bar" || len(report.Logs) != 1 || report.Logs[0].Message != "hello from the hook, key one" ||
		report.DurationMS == nil || report.Error != nil {
		t.Fatalf("test NAME: %+v", report)
	}
	if s := report.Result["scope"].([]any); len(s) != 2 || s[0] != "one" {
		t.Fatalf("test --payload ignored: %v", report.Result)
	}
	c.jsonOf(&hooks, append([]string{"ls"}, p...)...)
	if len(hooks) != 3 {
		t.Fatalf("test saved the unsaved code: %v", hooks)
	}
	failing := writeFile(t, dir, "failing.js", `module.exports = function(client, scope, audience, context, cb) { cb(new InvalidScopeError('not today')); };`)
	if r := c.run(append([]string{"test", failing}, p...)...); r.code != 1 || !strings.Contains(r.stdout, "400 invalid_scope: not today") {
		t.Fatalf("test failing hook: %s", r)
	}
	c.fails(6, "", append([]string{"test", writeFile(t, dir, "broken.js", "module.exports = function( {")}, p...)...)
	c.fails(5, "no hook named", append([]string{"test", "no-such-hook"}, p...)...)

	// secrets
	c.ok(append([]string{"secrets", "set", "client-credentials-exchange-hook", "KEY=two", "OTHER=x"}, p...)...)
	var secrets map[string]string
	c.jsonOf(&secrets, append([]string{"secrets", "ls", "client-credentials-exchange-hook"}, p...)...)
	if len(secrets) != 2 || secrets["KEY"] != "_VALUE_NOT_SHOWN_" {
		t.Fatalf("secrets ls: %v", secrets)
	}
	c.ok(append([]string{"secrets", "rm", "client-credentials-exchange-hook", "OTHER"}, p...)...)
	c.fails(5, "no secret", append([]string{"secrets", "rm", "client-credentials-exchange-hook", "OTHER"}, p...)...)
	c.fails(2, "", append([]string{"secrets", "set", "client-credentials-exchange-hook"}, p...)...)
	c.jsonOf(&report, append([]string{"test", "client-credentials-exchange-hook"}, p...)...)
	if report.Logs[0].Message != "hello from the hook, key two" {
		t.Fatalf("secrets set did not reach the hook: %+v", report)
	}

	// create on an existing name updates code and secrets and keeps the
	// hook enabled.
	secretsFile := writeFile(t, dir, "secrets.env", "# comment\nKEY=three\n")
	c.ok(append([]string{"create", "-t", "credentials-exchange", "-n", "client-credentials-exchange-hook", "--secrets-file", secretsFile,
		writeFile(t, dir, "v2.js", strings.ReplaceAll(cliHookScript, "'bar'", "'v2'"))}, p...)...)
	if !enabled("client-credentials-exchange-hook") {
		t.Fatal("create on an existing hook disabled it")
	}
	c.jsonOf(&report, append([]string{"test", "client-credentials-exchange-hook"}, p...)...)
	if report.Result["https://foo.com/claim"] != "v2" || report.Logs[0].Message != "hello from the hook, key three" {
		t.Fatalf("create did not update: %+v", report)
	}

	// edit: EDITOR changes the file; an editor that changes nothing saves
	// nothing.
	if r := c.runIn("", []string{"EDITOR=sed -i s/v2/edited/"}, append([]string{"edit", "client-credentials-exchange-hook"}, p...)...); r.code != 0 || !strings.Contains(r.stdout, "saved") {
		t.Fatalf("edit: %s", r)
	}
	r = in.api("GET", "hooks?triggerId=credentials-exchange", nil)
	found := false
	for _, h := range r.list(t) {
		if h["name"] == "client-credentials-exchange-hook" {
			found = strings.Contains(h["script"].(string), "'edited'") && h["enabled"] == true
		}
	}
	if !found {
		t.Fatalf("edit not saved: %s", r.body)
	}
	if r := c.runIn("", []string{"EDITOR=true"}, append([]string{"edit", "client-credentials-exchange-hook"}, p...)...); r.code != 0 || !strings.Contains(r.stderr, "No changes") {
		t.Fatalf("edit without changes: %s", r)
	}
	if r := c.runIn("", []string{"EDITOR=false"}, append([]string{"edit", "client-credentials-exchange-hook"}, p...)...); r.code == 0 {
		t.Fatalf("edit with a failing editor succeeded: %s", r)
	}
	if r := c.runIn("", []string{"EDITOR=sed -i 's/function(client/function((client/'"}, append([]string{"edit", "client-credentials-exchange-hook"}, p...)...); r.code != 6 || !strings.Contains(r.stderr, "your edit is kept") {
		t.Fatalf("edit with a syntax error: %s", r)
	}

	// disable, rm, and the not-found paths.
	c.ok(append([]string{"disable", "client-credentials-exchange-hook"}, p...)...)
	if enabled("client-credentials-exchange-hook") {
		t.Fatal("disable did not disable")
	}
	c.ok(append([]string{"rm", "client-credentials-exchange-hook"}, p...)...)
	c.fails(5, "no hook named", append([]string{"rm", "client-credentials-exchange-hook"}, p...)...)
	c.fails(5, "no hook named", append([]string{"enable", "client-credentials-exchange-hook"}, p...)...)
	c.fails(5, "no hook named", append([]string{"edit", "client-credentials-exchange-hook"}, p...)...)
	c.fails(2, "", append([]string{"enable"}, p...)...)

	// No ANSI escapes when stdout is not a terminal.
	for _, args := range [][]string{{"ls"}, {"test", unsaved}} {
		if r := c.run(append(args, p...)...); strings.Contains(r.stdout+r.stderr, "\x1b[") {
			t.Fatalf("%v: ANSI escapes on a pipe: %q", args, r.stdout)
		}
	}
}

// TestCLILogsReconnect: the stream survives a server restart, as a
// "tail -f" of hook output should; the line printed after the restart
// arrives on the same `tokenhook logs`.
func TestCLILogsReconnect(t *testing.T) {
	dataDir := t.TempDir()
	in := start(t, options{dataDir: dataDir})
	// The restart listens where the first server did: the CLI's profile
	// names that address.
	addr := in.addr
	c := newCLI(t, in)
	c.init()
	appID, appSecret := in.m2m("https://orders.example/", []string{"read:orders"}, []string{"read:orders"}, nil)
	if r := c.runIn(cliHookScript, nil, "create", "-t", "credentials-exchange", "-n", "talker", "-", "-s", "KEY=k"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	c.ok("enable", "talker")

	cmd := exec.Command(binary, "logs", "-r")
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
	wait := func(what string) {
		t.Helper()
		select {
		case <-connected:
		case <-time.After(30 * time.Second):
			t.Fatalf("logs did not %s", what)
		}
	}
	wait("connect")
	in.stop()
	in = start(t, options{dataDir: dataDir, addr: addr})
	wait("reconnect after the restart")
	r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {appSecret}, "audience": {"https://orders.example/"}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	select {
	case l := <-lines:
		// -r prints the server's JSON line as is.
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil || e["message"] != "hello from the hook, key k" || e["hook_name"] != "talker" {
			t.Fatalf("raw line %q: %v", l, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no line after the reconnect")
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logs after Ctrl-C: %v", err)
	}
}
