package e2e

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// npmCache is npm's download cache for every e2e server (content-addressed,
// safe to share), so only a first run fetches from the registry.
var npmCache = filepath.Join(os.TempDir(), "tokenhook-test-npm-cache")

// depsHook uses a declared dependency (lodash) and an inline pin
// (is-number@7.0.0, webtask's syntax) and reports both in the token.
const depsHook = `const _ = require('lodash');
const isNumber = require('is-number@7.0.0');
module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope, 'https://example.com/lodash': _.VERSION, 'https://example.com/n': isNumber(_.add(1, 2))});
};`

func needNodeAndNPM(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// treeDirs lists the installed trees in a server's data directory.
func treeDirs(t *testing.T, dataDir string) []string {
	t.Helper()
	list, _ := os.ReadDir(filepath.Join(dataDir, "npm"))
	var out []string
	for _, e := range list {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestNPMDependenciesOnReplicasAndRestart: a hook with npm dependencies
// saved through replica A is installed there at save; replica B (same
// PostgreSQL, its own data directory) installs the same tree from the
// stored lockfile in the background and then issues the same token; A
// restarted with an unreachable registry serves its first token at once,
// because nothing is installed again.
func TestNPMDependenciesOnReplicasAndRestart(t *testing.T) {
	needNodeAndNPM(t)
	db := postgresURL(t)
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	env := []string{"TOKENHOOK_MASTER_KEY=" + key, "npm_config_cache=" + npmCache}
	issuer := "https://auth.npm-replicas.example/"
	args := []string{"--issuer", issuer}
	a := start(t, options{db: db, env: env, args: args})
	b := start(t, options{db: db, env: env, args: args})
	admin := tokenAt(t, a, adminID, adminSecret, issuer+"api/v2/")
	id, secret := createM2M(t, a, admin, "https://shared.example/")
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://shared.example/"}}

	r := a.apiWith(admin, "POST", "hooks", map[string]any{"name": "with-deps", "script": depsHook, "triggerId": "credentials-exchange",
		"enabled": true, "dependencies": map[string]string{"lodash": "4.17.21"}})
	if r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	if h := r.json(t); h["runtime"] != "node" {
		t.Fatalf("hook %s", r.body)
	}
	lodashIn := func(in *instance) (int, string) {
		r := in.tokenForm(cc)
		if r.status != 200 {
			return r.status, string(r.body)
		}
		c := claims(t, r.json(t)["access_token"].(string))
		if c["https://example.com/n"] != true {
			return 0, string(r.body)
		}
		v, _ := c["https://example.com/lodash"].(string)
		return 200, v
	}
	if status, v := lodashIn(a); status != 200 || v != "4.17.21" {
		t.Fatalf("token on A: %d %s", status, v)
	}
	trees := treeDirs(t, a.dataDir)
	if len(trees) != 1 {
		t.Fatalf("A holds trees %v", trees)
	}

	// B never resolved anything: it installs A's lockfile, then answers.
	var notReady string
	waitFor(t, 3*time.Minute, "replica B to run the hook with its dependencies", func() bool {
		status, v := lodashIn(b)
		if status != 200 && strings.Contains(v, "not installed on this server yet") {
			notReady = v
		}
		return status == 200 && v == "4.17.21"
	})
	if got := treeDirs(t, b.dataDir); len(got) != 1 || got[0] != trees[0] {
		t.Fatalf("B installed %v, A %v", got, trees)
	}
	t.Logf("B before its install finished: %q", notReady)

	// A restarted where the registry cannot be reached: had it to install
	// again, the hook could not run.
	a.stop()
	a2 := start(t, options{db: db, env: append(env, "npm_config_fetch_retries=0"), dataDir: a.dataDir,
		args: append(args, "--npm-registry", "http://127.0.0.1:1/")})
	if status, v := lodashIn(a2); status != 200 || v != "4.17.21" {
		t.Fatalf("first token after the restart: %d %s", status, v)
	}
	if strings.Contains(a2.logs(), "npm dependencies installed") {
		t.Fatalf("the restart installed again:\n%s", a2.logs())
	}
}

// TestNodeHooksWithoutNode: a server whose PATH has no Node.js refuses to
// save hooks that need it with a 400 saying so, and runs embedded hooks.
func TestNodeHooksWithoutNode(t *testing.T) {
	in := start(t, options{env: []string{"PATH=" + t.TempDir()}})
	r := in.api("POST", "hooks", map[string]any{"name": "needs-node", "script": depsHook, "triggerId": "credentials-exchange",
		"dependencies": map[string]string{"lodash": "4.17.21"}})
	if r.status != 400 || !strings.Contains(string(r.body), "needs Node.js") {
		t.Fatalf("hook with dependencies: %d %s", r.status, r.body)
	}
	r = in.api("POST", "hooks", map[string]any{"name": "needs-https", "triggerId": "credentials-exchange",
		"script": "const https = require('https');\nmodule.exports = (c, s, a, ctx, cb) => cb(null, {scope: s});"})
	if r.status != 400 || !strings.Contains(string(r.body), "requires 'https'") {
		t.Fatalf("hook requiring https: %d %s", r.status, r.body)
	}
	r = in.api("POST", "hooks", map[string]any{"name": "embedded", "triggerId": "credentials-exchange", "enabled": true,
		"script": "const c = require('crypto');\nmodule.exports = (cl, s, a, ctx, cb) => cb(null, {scope: s, 'https://example.com/h': c.createHash('sha256').update('x').digest('hex').length});"})
	if r.status != 201 || r.json(t)["runtime"] != "embedded" {
		t.Fatalf("embedded hook: %d %s", r.status, r.body)
	}
	r = in.api("POST", "hooks", map[string]any{"name": "inline-pin", "triggerId": "credentials-exchange",
		"script": "const _ = require('lodash@4.17.21');\nmodule.exports = (c, s, a, ctx, cb) => cb(null, {scope: s});"})
	if r.status != 400 || !strings.Contains(string(r.body), "needs Node.js") {
		t.Fatalf("hook with an inline pin: %d %s", r.status, r.body)
	}
	// The embedded hook issues tokens on this server.
	if got := newHookApp(t, in).tokenWith(t, nil); got["h"] != 64.0 {
		t.Fatalf("embedded hook's claim %v", got)
	}
}

// TestCLIHookDependencies: `create` sends the dependencies of a
// package.json next to the script plus --dependency flags; the server
// installs them at save and the CLI says which versions; an unknown
// package is npm's message and exit 6 (a 400).
func TestCLIHookDependencies(t *testing.T) {
	needNodeAndNPM(t)
	in := start(t, options{env: []string{"npm_config_cache=" + npmCache}})
	c := newCLI(t, in)
	c.init("-p", "acme-default")
	dir := t.TempDir()
	writeFile(t, dir, "package.json", `{"name": "my-hooks", "dependencies": {"lodash": "4.17.21"}}`)
	file := writeFile(t, dir, "deps.js", depsHook)
	out := c.ok("create", "-t", "credentials-exchange", "-p", "acme-default", file, "--dependency", "is-number@7.0.0")
	if !strings.Contains(out, "Installed on Node.js: is-number@7.0.0, lodash@4.17.21") {
		t.Fatalf("create:\n%s", out)
	}
	h := in.api("GET", "hooks", nil).list(t)
	if len(h) != 1 || h[0]["runtime"] != "node" || mustJSONs(h[0]["dependencies"]) != `{"is-number":"7.0.0","lodash":"4.17.21"}` {
		t.Fatalf("hooks %v", h)
	}
	c.fails(6, "tokenhook-no-such-package-7f3a9c", "create", "-t", "credentials-exchange", "-p", "acme-default", file,
		"--dependency", "tokenhook-no-such-package-7f3a9c@1.0.0")
	c.fails(2, "use name@version", "create", "-t", "credentials-exchange", "-p", "acme-default", file, "--dependency", "lodash")
}

// TestDashboardHookModules: the hook editor's Modules panel installs a
// module (the hook moves to Node.js, the install is ready) and shows
// npm's error for one that does not exist, which changes nothing.
func TestDashboardHookModules(t *testing.T) {
	needNodeAndNPM(t)
	in := dashboardServer(t, "npm_config_cache="+npmCache)
	r := in.api("POST", "hooks", map[string]any{"name": "mods", "triggerId": "credentials-exchange",
		"script": "module.exports = function (client, scope, audience, context, cb) { cb(null, {scope: scope}); };"})
	if r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	b := newBrowser(t, in)
	b.signIn(operatorEmail, operatorPassword)
	b.run("hooks page", chromedp.WaitVisible(chromedp.CSS("#create-hook")))
	b.run("editor", chromedp.Navigate(b.base+"#/hooks/"+id), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	b.waitText("#hook-runtime", "embedded")
	b.run("modules tab", chromedp.Click(chromedp.CSS("#tab-modules")), chromedp.WaitVisible(chromedp.CSS("#module-name")),
		chromedp.SendKeys(chromedp.CSS("#module-name"), "is-number"), chromedp.SendKeys(chromedp.CSS("#module-version"), "7.0.0"),
		chromedp.Click(chromedp.CSS("#module-add")))
	b.waitText("#modules-install", "ready")
	b.waitText("#modules-list", "is-number")
	b.waitText("#hook-runtime", "Node.js")
	b.screenshot("hook-editor-modules")

	b.run("add a package that does not exist",
		chromedp.SendKeys(chromedp.CSS("#module-name"), "tokenhook-no-such-package-7f3a9c"),
		chromedp.SendKeys(chromedp.CSS("#module-version"), "1.0.0"),
		chromedp.Click(chromedp.CSS("#module-add")))
	b.waitText("#modules .error", "E404")
	b.screenshot("hook-editor-modules-error")
	if h := in.api("GET", "hooks/"+id, nil).json(t); mustJSONs(h["dependencies"]) != `{"is-number":"7.0.0"}` {
		t.Fatalf("dependencies after a refused install: %v", h["dependencies"])
	}
}
