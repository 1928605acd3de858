package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The dashboard tests drive the real binary in headless Chromium (Debian's
// chromium package; never a downloaded browser, and `make test` installs
// it). Without Chromium they fail, unless TOKENHOOK_SKIP_CHROMIUM=1 opts
// out, and they fail when the binary was built without the UI.

const (
	operatorEmail    = "ops@example.com"
	operatorPassword = "e2e-operator-password"
)

func chromiumPath() string {
	if p := os.Getenv("TOKENHOOK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dashboardServer starts a server with an operator, after checking the
// prerequisites; env adds to its environment.
func dashboardServer(t *testing.T, env ...string) *instance {
	t.Helper()
	return dashboardServerWith(t, options{env: env})
}

// dashboardServerWith is dashboardServer with other serve options (flags).
func dashboardServerWith(t *testing.T, o options) *instance {
	t.Helper()
	if os.Getenv("TOKENHOOK_SKIP_CHROMIUM") == "1" {
		t.Skip("TOKENHOOK_SKIP_CHROMIUM=1")
	}
	if chromiumPath() == "" {
		t.Fatal("no Chromium found: install Debian's chromium package (apt-get install chromium), set TOKENHOOK_CHROMIUM, or TOKENHOOK_SKIP_CHROMIUM=1 to skip")
	}
	if _, err := os.Stat(filepath.Join("..", "dashboard", "dist", "index.html")); err != nil {
		t.Fatal("internal/dashboard/dist/index.html is missing: the dashboard is not built. Run `make dashboard` " +
			"(npm ci --prefix web && npm run build --prefix web) before `go test`, or use `make test`.")
	}
	o.env = append([]string{"TOKENHOOK_ADMIN_EMAIL=" + operatorEmail, "TOKENHOOK_ADMIN_PASSWORD=" + operatorPassword}, o.env...)
	return start(t, o)
}

// browser is one headless Chromium with a fresh profile, closed with t.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // screenshot directory
}

func newBrowser(t *testing.T, in *instance) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser; it must not run under a
	// timeout, which would stop the browser with it (chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath(), err)
	}
	// Confirmation dialogs (delete, leave with unsaved changes) are accepted.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	shot := filepath.Join("..", "..", "test-output", "screenshots")
	if err := os.MkdirAll(shot, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, base: in.base, shot: shot}
}

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failure-" + strings.ReplaceAll(b.t.Name(), "/", "_"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves the whole page as test-output/screenshots/<name>.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return evalJS[string](b, `document.querySelector(`+jsString(sel)+`).textContent`)
}

// waitText waits until the element's text contains want.
func (b *browser) waitText(sel, want string) string {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.textContent : "\u0000"; })()`))
		cancel()
		if err == nil && v != "\u0000" {
			got = v
			if strings.Contains(got, want) {
				return got
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.screenshot("failure-" + strings.ReplaceAll(b.t.Name(), "/", "_"))
	b.t.Fatalf("timed out waiting for %q in %s; it reads %q", want, sel, got)
	return ""
}

// selectValue chooses an option and fires the change event the page
// listens to (setting .value from script fires none).
func (b *browser) selectValue(sel, value string) {
	b.t.Helper()
	b.run("select "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), script(`(() => { const e = document.querySelector(`+jsString(sel)+
		`); e.value = `+jsString(value)+`; e.dispatchEvent(new Event("change", {bubbles: true})); })()`))
}

// evalJS evaluates expr in the page and returns its value.
func evalJS[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// script runs JavaScript for its effect.
func script(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](expr+"; true")(ctx, t)
		return err
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// typeCode replaces the editor's content as a paste would: one text
// insertion, so auto-closing brackets and auto-indent leave it as is.
func (b *browser) typeCode(code string) {
	b.t.Helper()
	b.run("type code", chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: code})
			return err
		}))
}

func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.run("sign in", chromedp.Navigate(b.base), chromedp.WaitVisible(chromedp.CSS("#login-email")),
		chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")))
}

func TestDashboardFailedSignIn(t *testing.T) {
	in := dashboardServer(t)
	b := newBrowser(t, in)
	b.signIn(operatorEmail, "not-the-password")
	b.waitText(".login .error", "Wrong email or password")
	b.screenshot("login-failed")
	// Nothing behind the sign-in page was shown, and no session exists.
	if n := evalJS[int](b, `document.querySelectorAll("nav.side").length`); n != 0 {
		t.Fatal("the navigation is shown after a failed sign-in")
	}
	if r := in.do("GET", "dashboard/api/session", "", nil, nil); r.status != 401 {
		t.Fatalf("session without a cookie: %d %s", r.status, r.body)
	}
}

const hookCode = `module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;
  access_token['https://example.com/plan'] = context.webtask.secrets.PLAN + '-' + client.metadata.tier;
  console.log('hook says hello to ' + client.name);
  cb(null, access_token);
};
`

func TestDashboardHookFlow(t *testing.T) {
	in := dashboardServer(t)
	const audience = "https://dash.example.com/"
	in.m2m(audience, []string{"read:data"}, []string{"read:data"}, map[string]string{"tier": "gold"})
	b := newBrowser(t, in)

	b.signIn(operatorEmail, operatorPassword)
	b.run("hooks page", chromedp.WaitVisible(chromedp.CSS("#create-hook")))
	b.screenshot("hooks-empty")

	// + Create New Hook: an invalid name is refused before the API is asked.
	b.run("open the new hook pop-up", chromedp.Click(chromedp.CSS("#create-hook")), chromedp.WaitVisible(chromedp.CSS("#new-hook-name")),
		chromedp.SendKeys(chromedp.CSS("#new-hook-name"), "-bad"))
	if !evalJS[bool](b, `document.querySelector("#new-hook-create").disabled`) {
		t.Fatal("Create is enabled for an invalid hook name")
	}
	b.selectValue("#new-hook-trigger", "credentials-exchange")
	b.run("name the hook",
		script(`(() => { const e = document.querySelector("#new-hook-name"); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); })()`),
		chromedp.SendKeys(chromedp.CSS("#new-hook-name"), "add-plan"))
	b.screenshot("hooks-new-popup")
	b.run("create", chromedp.Click(chromedp.CSS("#new-hook-create")), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	b.waitText("#hook-name", "add-plan")
	// CodeMirror's own styles got past the CSP (by its nonce): its editor
	// is a flex box only when they apply.
	if d := evalJS[string](b, `getComputedStyle(document.querySelector(".cm-editor")).display`); d != "flex" {
		t.Fatalf("the editor is unstyled (display %q): the CSP blocked CodeMirror's styles", d)
	}

	// Autocompletion from the shipped type definitions.
	b.typeCode("context.webtask.")
	b.run("complete", chromedp.KeyEvent(" ", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText(".cm-tooltip-autocomplete", "secrets")
	b.run("close completion", chromedp.KeyEvent("\u001b"))

	// A compile error on save is marked in the gutter.
	b.typeCode("module.exports = function(client, scope {\n")
	b.run("save with Ctrl+S", chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText(".error", "does not compile")
	b.run("lint marker", chromedp.WaitVisible(chromedp.CSS(".cm-lint-marker-error")))
	b.screenshot("hook-editor-compile-error")

	b.typeCode(hookCode)
	b.run("unsaved marker", chromedp.WaitVisible(chromedp.CSS("#unsaved-marker")))

	// The secret, then the runner on the unsaved code.
	b.run("secrets tab", chromedp.Click(chromedp.CSS("#tab-secrets")), chromedp.WaitVisible(chromedp.CSS("#secret-name")),
		chromedp.SendKeys(chromedp.CSS("#secret-name"), "PLAN"), chromedp.SendKeys(chromedp.CSS("#secret-value"), "premium"),
		chromedp.Click(chromedp.CSS("#secret-add")))
	b.waitText("#secrets", "PLAN")
	if strings.Contains(b.text("#secrets"), "premium") {
		t.Fatal("the secret's value is shown")
	}
	b.screenshot("hook-editor-secrets")
	b.selectRunnerPayload()
	b.run("run", chromedp.Click(chromedp.CSS("#tab-runner")), chromedp.Click(chromedp.CSS("#runner-run")))
	b.waitText("#runner-result", `"https://example.com/plan": "premium-gold"`)
	b.waitText("#runner-console", "hook says hello to client-name")
	b.screenshot("hook-editor-runner")
	hooks := in.api("GET", "hooks", nil).list(t)
	if len(hooks) != 1 || strings.Contains(hooks[0]["script"].(string), "example.com/plan") {
		t.Fatalf("the runner saved the code: %v", hooks)
	}
	id := hooks[0]["id"].(string)

	// Save (button), enable.
	b.run("save", chromedp.Click(chromedp.CSS("#hook-save")), chromedp.WaitNotPresent(chromedp.CSS("#unsaved-marker")))
	b.run("enable", chromedp.Click(chromedp.CSS("#hook-enabled")))
	waitFor(t, 10*time.Second, "the hook to be enabled", func() bool {
		h := in.api("GET", "hooks/"+id, nil).json(t)
		return h["enabled"] == true && strings.Contains(h["script"].(string), "example.com/plan")
	})

	// The Hooks page shows it enabled under its point.
	b.run("hooks list", chromedp.Navigate(b.base+"#/hooks"), chromedp.WaitVisible(chromedp.CSS(`[data-hook="add-plan"]`)))
	b.waitText(`[data-hook="add-plan"] .badge`, "Enabled")
	b.screenshot("hooks")

	// Try it: the token carries the hook's claim, highlighted.
	b.run("try it", chromedp.Navigate(b.base+"#/try"), chromedp.WaitVisible(chromedp.CSS("#try-get")))
	b.waitText("#try-audience", "dash.example.com")
	b.run("get token", chromedp.WaitVisible(chromedp.CSS("#try-get:not([disabled])")), chromedp.Click(chromedp.CSS("#try-get")))
	b.waitText("#try-status", "HTTP 200")
	b.waitText(`#try-payload .hook-claim[data-claim="https://example.com/plan"]`, "premium-gold")
	b.screenshot("try-it")

	// The log pane shows the token request's console line, then streams a
	// new one live.
	b.run("logs pane", chromedp.Navigate(b.base+"#/hooks/"+id), chromedp.WaitVisible(chromedp.CSS("#tab-logs")),
		chromedp.Click(chromedp.CSS("#tab-logs")))
	b.waitText("#logs-lines", "hook says hello to app for "+audience)
	// The runner's line (request id "runner") is tagged; the token
	// request's is not.
	b.waitText("#logs-lines", "[runner] hook says hello to client-name")
	if strings.Contains(b.text("#logs-lines"), "[runner] hook says hello to app for") {
		t.Fatalf("a token request's line is tagged as the runner's: %q", b.text("#logs-lines"))
	}
	b.waitText("#logs-state", "live")
	before := strings.Count(b.text("#logs-lines"), "hook says hello to app for")
	r := in.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {clientOf(t, in, audience)},
		"client_secret": {secretOf(t, in, audience)}, "audience": {audience}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(b.text("#logs-lines"), "hook says hello to app for") <= before {
		if time.Now().After(deadline) {
			b.screenshot("failure-log-stream")
			t.Fatalf("the log pane did not receive the new line live: %q", b.text("#logs-lines"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.screenshot("hook-editor-logs")

	// Tenant logs, keys and users pages render.
	b.run("logs", chromedp.Navigate(b.base+"#/logs"), chromedp.WaitVisible(chromedp.CSS("#logs-table")))
	b.waitText("#logs-table", "seccft")
	b.screenshot("logs")
	b.run("keys", chromedp.Navigate(b.base+"#/keys"), chromedp.WaitVisible(chromedp.CSS("#keys-rotate")))
	b.waitText("table", "current")
	b.screenshot("keys")
	b.run("users", chromedp.Navigate(b.base+"#/users"), chromedp.WaitVisible(chromedp.CSS("#create-user")))
	b.screenshot("users")

	// A narrow window gets the collapsed navigation.
	b.run("narrow", chromedp.EmulateViewport(420, 860), chromedp.Navigate(b.base+"#/hooks/"+id), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	b.screenshot("hook-editor-narrow")

	// Sign out deletes the session: the cookie no longer works.
	b.run("sign out", chromedp.EmulateViewport(1366, 900), chromedp.Click(chromedp.CSS(".top button.small")),
		chromedp.WaitVisible(chromedp.CSS("#login-email")))
}

// selectRunnerPayload makes sure the runner shows the point's default.
func (b *browser) selectRunnerPayload() {
	b.t.Helper()
	b.run("runner tab", chromedp.Click(chromedp.CSS("#tab-runner")), chromedp.WaitVisible(chromedp.CSS("#runner-payload")))
	v := evalJS[string](b, `document.querySelector("#runner-payload").value`)
	if !strings.Contains(v, `"read:connections"`) || !strings.Contains(v, `"plan": "full"`) {
		b.t.Fatalf("runner payload is not the credentials-exchange default: %s", v)
	}
	// The default client has no "tier"; give it one so the result is known.
	b.run("edit payload", script(`(() => { const e = document.querySelector("#runner-payload");
		e.value = e.value.replace('"plan": "full"', '"plan": "full", "tier": "gold"'); e.dispatchEvent(new Event("input", {bubbles: true})); })()`))
}

func clientOf(t *testing.T, in *instance, audience string) string {
	t.Helper()
	for _, c := range in.api("GET", "clients", nil).list(t) {
		if c["name"] == "app for "+audience {
			return c["client_id"].(string)
		}
	}
	t.Fatalf("no application for %s", audience)
	return ""
}

func secretOf(t *testing.T, in *instance, audience string) string {
	t.Helper()
	c := in.api("GET", "clients/"+clientOf(t, in, audience), nil).json(t)
	return c["client_secret"].(string)
}

func TestDashboardApplicationAPIGrantFlow(t *testing.T) {
	in := dashboardServer(t)
	b := newBrowser(t, in)
	b.signIn(operatorEmail, operatorPassword)
	b.run("signed in", chromedp.WaitVisible(chromedp.CSS("#create-hook")))

	// An API with two scopes.
	b.run("apis", chromedp.Navigate(b.base+"#/apis"), chromedp.WaitVisible(chromedp.CSS("#create-api")))
	b.screenshot("apis-empty")
	b.run("create API", chromedp.Click(chromedp.CSS("#create-api")), chromedp.WaitVisible(chromedp.CSS("#api-name")),
		chromedp.SendKeys(chromedp.CSS("#api-name"), "Orders"),
		chromedp.SendKeys(chromedp.CSS("#api-identifier"), "https://orders.example.com/"),
		chromedp.SendKeys(chromedp.CSS("#api-scopes"), "read:orders Read orders\nwrite:orders Write orders"))
	b.screenshot("apis-new-popup")
	b.run("submit API", chromedp.Click(chromedp.CSS("#api-create")))
	b.waitText("main h1", "Orders")
	b.run("apis list", chromedp.Navigate(b.base+"#/apis"), chromedp.WaitVisible(chromedp.CSS(`[data-api="https://orders.example.com/"]`)))
	b.screenshot("apis")

	// An application.
	b.run("applications", chromedp.Navigate(b.base+"#/applications"), chromedp.WaitVisible(chromedp.CSS("#create-app")),
		chromedp.Click(chromedp.CSS("#create-app")), chromedp.WaitVisible(chromedp.CSS("#app-name")),
		chromedp.SendKeys(chromedp.CSS("#app-name"), "Billing service"),
		chromedp.SendKeys(chromedp.CSS("#app-metadata"), "tier=gold"),
		chromedp.Click(chromedp.CSS("#app-create")))
	b.waitText("main h1", "Billing service")
	clientID := b.text("#app-client-id")
	b.waitText(".secret code", "•••")
	b.run("reveal", chromedp.Click(chromedp.CSS(".secret button")))
	secret := b.waitText(`.secret code[data-secret="shown"]`, "")
	c := in.api("GET", "clients/"+clientID, nil).json(t)
	if c["client_secret"] != secret || c["client_metadata"].(map[string]any)["tier"] != "gold" {
		t.Fatalf("revealed secret %q / metadata do not match the API: %v", secret, c)
	}

	// Authorize the API with one chosen scope: a client grant.
	card := `[data-api="https://orders.example.com/"]`
	b.run("choose scope", chromedp.Click(chromedp.CSS(card+` input[data-scope="read:orders"]`)),
		chromedp.Click(chromedp.CSS(card+` input[aria-label="Authorize Orders"]`)))
	b.waitText(card, "Authorized")
	b.screenshot("application")
	grants := in.api("GET", "client-grants?client_id="+clientID, nil).list(t)
	if len(grants) != 1 || grants[0]["audience"] != "https://orders.example.com/" || len(grants[0]["scope"].([]any)) != 1 || grants[0]["scope"].([]any)[0] != "read:orders" {
		t.Fatalf("client grants: %v", grants)
	}
	b.run("applications list", chromedp.Navigate(b.base+"#/applications"), chromedp.WaitVisible(chromedp.CSS(`[data-app="Billing service"]`)))
	b.screenshot("applications")

	// Try it gets a token with exactly that scope.
	b.run("try it", chromedp.Navigate(b.base+"#/try"), chromedp.WaitVisible(chromedp.CSS("#try-get")))
	b.waitText("#try-audience", "orders.example.com")
	b.run("get token", chromedp.WaitVisible(chromedp.CSS("#try-get:not([disabled])")), chromedp.Click(chromedp.CSS("#try-get")))
	b.waitText("#try-status", "HTTP 200")
	b.waitText(`#try-payload [data-claim="scope"]`, `"read:orders"`)

	// A grant given every scope (allow_all_scopes, as deploy-cli or the
	// API can set) shows every scope ticked; choosing scopes replaces it
	// with that list.
	if r := in.api("PATCH", "client-grants/"+grants[0]["id"].(string), map[string]any{"scope": []string{}, "allow_all_scopes": true}); r.status != 200 {
		t.Fatalf("PATCH allow_all_scopes: %d", r.status)
	}
	b.run("application page", chromedp.Navigate(b.base+"#/applications/"+clientID), chromedp.WaitVisible(chromedp.CSS(card+` [data-allow-all-scopes]`)))
	if n := evalJS[int](b, `document.querySelectorAll('`+card+` input[data-scope]:checked').length`); n != 2 {
		t.Fatalf("allow_all_scopes grant: %d scopes ticked, want 2", n)
	}
	b.run("untick write", chromedp.Click(chromedp.CSS(card+` input[data-scope="write:orders"]`)),
		chromedp.Click(chromedp.CSS(card+` .scopes button.primary`)))
	// The button goes once the grant is saved and the list reloaded.
	b.run("scopes saved", chromedp.WaitNotPresent(chromedp.CSS(card+` .scopes button.primary`)))
	if g := in.api("GET", "client-grants/"+grants[0]["id"].(string), nil).json(t); g["allow_all_scopes"] != nil || fmt.Sprint(g["scope"]) != "[read:orders]" {
		t.Fatalf("after Update scopes: %v", g)
	}

	// The CSRF token is required for writes made with the cookie.
	status := evalJS[int](b, `fetch("/api/v2/clients/`+clientID+`", {method: "DELETE"}).then(r => r.status)`, chromedp.EvalAwaitPromise)
	if status != 403 {
		t.Fatalf("DELETE with the cookie and no CSRF token: %d, want 403", status)
	}
	if r := in.api("GET", "clients/"+clientID, nil); r.status != 200 {
		t.Fatalf("the application is gone: %d", r.status)
	}
}
