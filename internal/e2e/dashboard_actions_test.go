package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// actionV1 reads a secret and sets two claims; "last" is also set by the
// other Action of the flow, so the token says which ran last.
const actionV1 = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/tier', event.secrets.TIER + '-v1');
  api.accessToken.setCustomClaim('https://example.com/last', 'add-tier');
  console.log('add-tier ran for ' + event.client.name);
};
`

// TestDashboardActionsFlow drives the real binary in Chromium through
// what an Actions author does: create an Action from the starter code,
// complete the event/api objects, add a secret (never shown again), see a
// compile error at its line, save the draft, run the test panel, deploy, bind it to the
// credentials-exchange flow beside a second Action, reorder the flow by
// dragging and by keyboard, deploy a second version, compare it with
// version 1 and roll back, and see the Action's console line of a token
// request live in the Logs tab.
func TestDashboardActionsFlow(t *testing.T) {
	in := dashboardServer(t)
	const audience = "https://actions.example.com/"
	clientID, clientSecret := in.m2m(audience, []string{"read:data"}, []string{"read:data"}, nil)
	// The second Action of the flow, made and deployed through the API.
	other := in.api("POST", "actions/actions", map[string]any{"name": "set-last",
		"supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}},
		"code":               "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/last', 'set-last'); };"})
	if other.status != 201 {
		t.Fatalf("create set-last: %d %s", other.status, other.body)
	}
	otherID := other.json(t)["id"].(string)
	waitFor(t, 30*time.Second, "set-last to build", func() bool {
		return in.api("GET", "actions/actions/"+otherID, nil).json(t)["status"] == "built"
	})
	if r := in.api("POST", "actions/actions/"+otherID+"/deploy", nil); r.status/100 != 2 {
		t.Fatalf("deploy set-last: %d %s", r.status, r.body)
	}

	b := newBrowser(t, in)
	b.signIn(operatorEmail, operatorPassword)
	b.run("actions page", chromedp.WaitVisible(chromedp.CSS("#create-hook")), chromedp.Navigate(b.base+"#/actions"),
		chromedp.WaitVisible(chromedp.CSS(`#actions-table [data-action="set-last"]`)))
	b.waitText(`[data-action="set-last"] [data-deployed]`, "v1")
	b.waitText(`[data-action="set-last"] [data-bound]`, "no")
	b.screenshot("actions")

	// Create: the trigger's starter code is in the editor.
	b.run("create action", chromedp.WaitVisible(chromedp.CSS("#create-action:not([disabled])")), chromedp.Click(chromedp.CSS("#create-action")),
		chromedp.WaitVisible(chromedp.CSS("#new-action-name")), chromedp.SendKeys(chromedp.CSS("#new-action-name"), "add-tier"))
	b.selectValue("#new-action-trigger", "credentials-exchange")
	b.screenshot("actions-new-popup")
	b.run("create", chromedp.Click(chromedp.CSS("#new-action-create")), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	b.waitText("#action-name", "add-tier")
	b.waitText(".cm-content", "exports.onExecuteCredentialsExchange = async (event, api)")
	actionID := strings.TrimPrefix(evalJS[string](b, `location.hash`), "#/actions/")

	// Completion of the trigger's event and api objects.
	b.typeCode("api.accessToken.")
	b.run("complete api", chromedp.KeyEvent(" ", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText(".cm-tooltip-autocomplete", "setCustomClaim")
	b.run("close completion", chromedp.KeyEvent("\u001b"))
	b.typeCode("event.client.")
	b.run("complete event", chromedp.KeyEvent(" ", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText(".cm-tooltip-autocomplete", "client_id")
	b.run("close completion", chromedp.KeyEvent("\u001b"))

	// A secret: its name and time are shown, its value never.
	b.run("secrets tab", chromedp.Click(chromedp.CSS("#tab-secrets")), chromedp.WaitVisible(chromedp.CSS("#action-secret-name")),
		chromedp.SendKeys(chromedp.CSS("#action-secret-name"), "TIER"), chromedp.SendKeys(chromedp.CSS("#action-secret-value"), "gold"),
		chromedp.Click(chromedp.CSS("#action-secret-add")))
	b.waitText(`#action-secrets [data-secret-name="TIER"]`, "TIER")
	if strings.Contains(b.text("#action-secrets"), "gold") {
		t.Fatal("the secret's value is shown")
	}
	b.screenshot("action-editor-secrets")

	// Code that does not compile is refused at save, marked at its line.
	b.typeCode("exports.onExecuteCredentialsExchange = async (event, api) => {\n  const x = ;\n};\n")
	b.run("save with Ctrl+S", chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText(".error", "line 2")
	b.run("lint marker", chromedp.WaitVisible(chromedp.CSS(".cm-lint-marker-error")))
	b.screenshot("action-editor-compile-error")

	// Save the draft: the build is shown, the code is stored.
	b.typeCode(actionV1)
	b.run("unsaved marker", chromedp.WaitVisible(chromedp.CSS("#unsaved-marker")))
	b.run("save draft", chromedp.Click(chromedp.CSS("#action-save")), chromedp.WaitNotPresent(chromedp.CSS("#unsaved-marker")))
	b.waitText("#action-status", "built")
	a := in.api("GET", "actions/actions/"+actionID, nil).json(t)
	if !strings.Contains(a["code"].(string), "'-v1'") {
		t.Fatalf("the draft was not saved: %v", a["code"])
	}

	// The test panel runs the draft on the trigger's default event.
	b.run("test tab", chromedp.Click(chromedp.CSS("#tab-test")), chromedp.WaitVisible(chromedp.CSS("#action-test-event")))
	if ev := evalJS[string](b, `document.querySelector("#action-test-event").value`); !strings.Contains(ev, `"resource_server"`) || !strings.Contains(ev, `"client_id"`) {
		t.Fatalf("the test event is not the credentials-exchange default: %s", ev)
	}
	b.run("run test", chromedp.Click(chromedp.CSS("#action-test-run")))
	b.waitText("#action-test-result", "gold-v1")
	b.screenshot("action-editor-test")

	// Deploy: version 1.
	b.run("deploy", chromedp.Click(chromedp.CSS("#action-deploy")))
	b.waitText("#action-deployed", "v1 deployed")

	// Bind both Actions to the flow, add-tier first.
	flow := `#/flows/credentials-exchange`
	b.run("flow page", chromedp.Navigate(b.base+flow), chromedp.WaitVisible(chromedp.CSS(`[data-candidate="add-tier"]`)),
		chromedp.Click(chromedp.CSS(`[aria-label="Add add-tier to the flow"]`)),
		chromedp.Click(chromedp.CSS(`[aria-label="Add set-last to the flow"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flow-unsaved")))
	b.run("save flow", chromedp.Click(chromedp.CSS("#flow-save")), chromedp.WaitNotPresent(chromedp.CSS("#flow-unsaved")))
	b.expectBindings(in, "add-tier", "set-last")
	b.expectLast(in, clientID, clientSecret, audience, "set-last", "gold-v1")
	b.screenshot("action-flow")

	// Reorder by dragging set-last above add-tier.
	b.run("drag", script(`(() => {
		const rows = document.querySelectorAll("#flow-bindings > li");
		const dt = new DataTransfer();
		rows[1].dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
		rows[0].dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
		rows[0].dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
		rows[1].dispatchEvent(new DragEvent("dragend", {bubbles: true, dataTransfer: dt}));
	})()`))
	b.waitText("#flow-bindings > li:first-child", "set-last")
	b.run("save flow", chromedp.Click(chromedp.CSS("#flow-save")), chromedp.WaitNotPresent(chromedp.CSS("#flow-unsaved")))
	b.expectBindings(in, "set-last", "add-tier")
	b.expectLast(in, clientID, clientSecret, audience, "add-tier", "gold-v1")

	// And back with the keyboard: Alt+ArrowUp on the focused row.
	b.run("keyboard move", chromedp.Focus(chromedp.CSS(`[data-binding="add-tier"]`)),
		chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	b.waitText("#flow-bindings > li:first-child", "add-tier")
	// The page moves focus in the animation frame it asked for on the key
	// press; a frame asked for now runs after it.
	if f := evalJS[string](b, `new Promise((done) => requestAnimationFrame(() => done(document.activeElement.dataset.binding || "")))`, chromedp.EvalAwaitPromise); f != "add-tier" {
		t.Fatalf("focus did not follow the moved row: %q", f)
	}
	b.run("save flow", chromedp.Click(chromedp.CSS("#flow-save")), chromedp.WaitNotPresent(chromedp.CSS("#flow-unsaved")))
	b.expectBindings(in, "add-tier", "set-last")

	// The list says where each Action is bound.
	b.run("actions list", chromedp.Navigate(b.base+"#/actions"), chromedp.WaitVisible(chromedp.CSS(`#actions-table [data-action="add-tier"]`)))
	b.waitText(`[data-action="add-tier"] [data-bound]`, "Machine to Machine")
	b.waitText(`[data-action="add-tier"] [data-deployed]`, "v1")

	// Version 2, its diff against version 1, and a rollback to version 1.
	b.run("editor", chromedp.Navigate(b.base+"#/actions/"+actionID), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	b.waitText(".cm-content", "'-v1'")
	b.typeCode(strings.ReplaceAll(actionV1, "'-v1'", "'-v2'"))
	b.run("deploy v2", chromedp.Click(chromedp.CSS("#action-deploy")))
	b.waitText("#action-deployed", "v2 deployed")
	b.expectLast(in, clientID, clientSecret, audience, "set-last", "gold-v2")
	b.run("versions", chromedp.Click(chromedp.CSS("#tab-versions")), chromedp.WaitVisible(chromedp.CSS(`#action-version-list [data-version="1"]`)),
		chromedp.Click(chromedp.CSS(`[aria-label="Compare version 1 with the draft"]`)))
	b.waitText("#action-diff-stat", "+1")
	b.waitText("#action-diff .del", "'-v1'")
	b.waitText("#action-diff .add", "'-v2'")
	b.screenshot("action-editor-versions")
	b.run("rollback", chromedp.Click(chromedp.CSS("#rollback-1")))
	b.waitText("#action-deployed", "v3 deployed")
	b.waitText(".cm-content", "'-v1'")
	versions := in.api("GET", "actions/actions/"+actionID+"/versions", nil).json(t)["versions"].([]any)
	if len(versions) != 3 {
		t.Fatalf("versions after the rollback: %v", versions)
	}
	b.expectLast(in, clientID, clientSecret, audience, "set-last", "gold-v1")
	a = in.api("GET", "actions/actions/"+actionID, nil).json(t)
	if dv := a["deployed_version"].(map[string]any); dv["number"] != float64(3) || !strings.Contains(dv["code"].(string), "'-v1'") {
		t.Fatalf("deployed version after the rollback: %v", dv)
	}

	// The Logs tab streams the deployed Action's console lines live.
	b.run("logs tab", chromedp.Click(chromedp.CSS("#tab-logs")))
	b.waitText("#action-logs-state", "live")
	// The stream opened with the page: the tokens above may be there.
	const line = "add-tier ran for app for " + audience
	before := strings.Count(evalJS[string](b, `(document.querySelector("#action-logs-lines") || {}).textContent || ""`), line)
	if r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "audience": {audience}}); r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	waitFor(t, 20*time.Second, "a new console line in the Logs tab", func() bool {
		return strings.Count(evalJS[string](b, `(document.querySelector("#action-logs-lines") || {}).textContent || ""`), line) > before
	})
	b.screenshot("action-editor-logs")
}

// expectBindings checks the credentials-exchange bindings' order through
// the API.
func (b *browser) expectBindings(in *instance, names ...string) {
	b.t.Helper()
	r := in.api("GET", "actions/triggers/credentials-exchange/bindings", nil)
	var got []string
	for _, x := range r.json(b.t)["bindings"].([]any) {
		got = append(got, x.(map[string]any)["action"].(map[string]any)["name"].(string))
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		b.t.Fatalf("bindings %v, want %v", got, names)
	}
}

// expectLast gets a token and checks which Action set the "last" claim
// and the tier the deployed add-tier set.
func (b *browser) expectLast(in *instance, id, secret, audience, last, tier string) {
	b.t.Helper()
	waitFor(b.t, 10*time.Second, "a token whose last Action is "+last, func() bool {
		r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
		if r.status != 200 {
			b.t.Fatalf("token: %d %s", r.status, r.body)
		}
		c := claims(b.t, r.json(b.t)["access_token"].(string))
		return c["https://example.com/last"] == last && c["https://example.com/tier"] == tier
	})
}

// TestDashboardActionBuildFailure adds a dependency the server cannot
// install (its npm registry does not answer): the Dependencies tab lists
// it, the header shows the failed build with npm's reason, and Deploy is
// refused until the build succeeds.
func TestDashboardActionBuildFailure(t *testing.T) {
	in := dashboardServerWith(t, options{
		args: []string{"--npm-registry", "http://127.0.0.1:1/"},
		env:  []string{"npm_config_cache=" + t.TempDir(), "npm_config_fetch_retries=0"},
	})
	r := in.api("POST", "actions/actions", map[string]any{"name": "needs-a-package",
		"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}},
		"code":               "exports.onExecutePostLogin = async (event, api) => {};"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)

	b := newBrowser(t, in)
	b.signIn(operatorEmail, operatorPassword)
	b.run("editor", chromedp.WaitVisible(chromedp.CSS("#create-hook")), chromedp.Navigate(b.base+"#/actions/"+id),
		chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	b.waitText("#action-status", "built")
	// Completion follows the Action's trigger: post-login's api.user.
	b.typeCode("api.user.")
	b.run("complete", chromedp.KeyEvent(" ", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText(".cm-tooltip-autocomplete", "setAppMetadata")
	b.run("close completion", chromedp.KeyEvent("\u001b"))
	b.typeCode("exports.onExecutePostLogin = async (event, api) => {};")

	b.run("dependencies", chromedp.Click(chromedp.CSS("#tab-dependencies")), chromedp.WaitVisible(chromedp.CSS("#action-dep-name")),
		chromedp.SendKeys(chromedp.CSS("#action-dep-name"), "left-pad"), chromedp.SendKeys(chromedp.CSS("#action-dep-version"), "1.3.0"),
		chromedp.Click(chromedp.CSS("#action-dep-add")))
	b.waitText(`#action-deps [data-dependency="left-pad"]`, "left-pad@1.3.0")
	b.waitText("#action-status", "failed")
	b.waitText("#action-build-error", "could not be installed")
	b.screenshot("action-editor-build-failed")
	deps := in.api("GET", "actions/actions/"+id, nil).json(t)["dependencies"].([]any)
	if len(deps) != 1 || deps[0].(map[string]any)["name"] != "left-pad" || deps[0].(map[string]any)["version"] != "1.3.0" {
		t.Fatalf("dependencies: %v", deps)
	}

	// Deploy is refused while the build has failed; nothing is deployed.
	b.run("deploy", chromedp.Click(chromedp.CSS("#action-deploy")))
	b.waitText("main .error[role=alert]", "build failed")
	if v := in.api("GET", "actions/actions/"+id+"/versions", nil).json(t)["versions"].([]any); len(v) != 0 {
		t.Fatalf("a version was deployed from a failed build: %v", v)
	}
}
