package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardPasswordTryRunnerLogs drives the real binary in Chromium
// through what a password-exchange hook's author does: Try it with a
// user's password (the hook's claim comes back highlighted), the runner's
// payload filled from a real application, API and user of the tenant,
// the Logs page paging back (page/per_page) and forward (checkpoint
// from/take), and the server's /favicon.ico.
func TestDashboardPasswordTryRunnerLogs(t *testing.T) {
	in := dashboardServer(t)
	const audience = "https://pw.example.com/"
	const userPassword = "correct horse battery"
	admin := in.adminToken()
	must := func(r response, status int) map[string]any {
		t.Helper()
		if r.status != status {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r.json(t)
	}
	must(in.apiWith(admin, "POST", "resource-servers", map[string]any{"identifier": audience, "name": "Profiles",
		"scopes": []map[string]string{{"value": "read:profile"}}}), 201)
	app := must(in.apiWith(admin, "POST", "clients", map[string]any{"name": "Mobile app", "app_type": "native",
		"grant_types": []string{"password"}, "token_endpoint_auth_method": "none", "client_metadata": map[string]string{"tier": "gold"}}), 201)
	appID := app["client_id"].(string)
	user := must(in.apiWith(admin, "POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "ann@example.com", "password": userPassword, "user_metadata": map[string]any{"hobby": "chess"}}), 201)
	hook := must(in.apiWith(admin, "POST", "hooks", map[string]any{"name": "who", "triggerId": "password-exchange", "enabled": true,
		"script": `module.exports = function (user, client, scope, audience, context, cb) {
  console.log('who: ' + user.email + ' ' + client.metadata.tier + ' ' + (scope || []).join(','));
  cb(null, {accessToken: {'https://example.com/who': user.email + ' on ' + client.name + ' (' + user.user_metadata.hobby + ')'}});
};`}), 201)

	b := newBrowser(t, in)
	b.signIn(operatorEmail, operatorPassword)
	b.run("signed in", chromedp.WaitVisible(chromedp.CSS("#create-hook")))

	// The icon is the server's, not a 404.
	if got := evalJS[string](b, `fetch("/favicon.ico").then(r => r.status + " " + r.headers.get("content-type"))`, chromedp.EvalAwaitPromise); got != "200 image/x-icon" {
		t.Fatalf("/favicon.ico: %s", got)
	}

	// Try it with the password grant: the hook's claim, highlighted.
	b.run("try it", chromedp.Navigate(b.base+"#/try"), chromedp.WaitVisible(chromedp.CSS("#try-grant")))
	b.selectValue("#try-grant", "password")
	b.waitText("#try-client", "Mobile app")
	b.selectValue("#try-audience", audience)
	b.run("credentials", chromedp.SendKeys(chromedp.CSS("#try-username"), "ann@example.com"),
		chromedp.SendKeys(chromedp.CSS("#try-password"), userPassword), chromedp.SendKeys(chromedp.CSS("#try-scope"), "openid email"))
	b.run("get token", chromedp.WaitVisible(chromedp.CSS("#try-get:not([disabled])")), chromedp.Click(chromedp.CSS("#try-get")))
	b.waitText("#try-status", "HTTP 200")
	b.waitText(`#try-payload .hook-claim[data-claim="https://example.com/who"]`, "ann@example.com on Mobile app (chess)")
	b.waitText(`#try-id-payload [data-claim="email"]`, "ann@example.com")
	b.screenshot("try-it-password")
	// A wrong password is the token endpoint's own answer.
	b.run("wrong password", script(`(() => { const e = document.querySelector("#try-password"); e.value = "nope"; e.dispatchEvent(new Event("input", {bubbles: true})); })()`),
		chromedp.Click(chromedp.CSS("#try-get")))
	b.waitText("#try-status", "HTTP 403")
	b.waitText("#try-raw", "invalid_grant")

	// The runner's payload filled from the tenant, then run.
	b.run("hook", chromedp.Navigate(b.base+"#/hooks/"+hook["id"].(string)), chromedp.WaitVisible(chromedp.CSS("#runner-payload")),
		chromedp.Click(chromedp.CSS("#runner-prefill summary")))
	b.waitText("#prefill-client", "Mobile app")
	b.waitText("#prefill-user", "ann@example.com")
	b.selectValue("#prefill-client", appID)
	b.selectValue("#prefill-audience", audience)
	b.selectValue("#prefill-user", user["user_id"].(string))
	b.run("fill", chromedp.Click(chromedp.CSS("#prefill-fill")))
	payload := evalJS[string](b, `document.querySelector("#runner-payload").value`)
	for _, want := range []string{`"id": "` + appID + `"`, `"name": "Mobile app"`, `"tier": "gold"`, `"audience": "` + audience + `"`,
		`"read:profile"`, `"id": "` + user["user_id"].(string) + `"`, `"email": "ann@example.com"`, `"hobby": "chess"`} {
		if !strings.Contains(payload, want) {
			t.Fatalf("the filled payload lacks %s:\n%s", want, payload)
		}
	}
	if strings.Contains(payload, "my-tenant") || strings.Contains(payload, "xxxxxxxx") {
		t.Fatalf("the filled payload kept the default's placeholders:\n%s", payload)
	}
	b.run("run", chromedp.Click(chromedp.CSS("#runner-run")))
	b.waitText("#runner-result", "ann@example.com on Mobile app (chess)")
	b.waitText("#runner-console", "who: ann@example.com gold read:profile")
	b.screenshot("hook-editor-runner-prefilled")

	// Logs: 60 token requests of one application; the page shows the
	// newest 50, pages back to the rest, then reads newer ones by
	// checkpoint.
	id, secret := in.m2m("https://logs.example.com/", []string{"read"}, []string{"read"}, nil)
	token := func(n int) {
		for i := range n {
			if r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
				"audience": {"https://logs.example.com/"}}); r.status != 200 {
				t.Fatalf("token %d: %d %s", i, r.status, r.body)
			}
		}
	}
	logged := func(want int) {
		waitFor(t, 30*time.Second, fmt.Sprintf("%d events of the application", want), func() bool {
			return in.logTotal(admin, "client_id:"+id) >= want
		})
	}
	rows := func() int {
		return evalJS[int](b, `document.querySelectorAll("#logs-table tbody tr[data-log-id]").length`)
	}
	// waitRows waits until the table lists exactly n events, all of the
	// application (the page first lists every application's events).
	waitRows := func(n int) {
		t.Helper()
		waitFor(t, 30*time.Second, fmt.Sprintf("%d rows of the application", n), func() bool {
			return evalJS[bool](b, `(() => { const r = [...document.querySelectorAll("#logs-table tbody tr[data-log-id]")];
				return r.length === `+fmt.Sprint(n)+` && r.every(x => x.textContent.includes("app for https://logs.example.com/")); })()`)
		})
	}
	token(60)
	logged(60)
	b.run("logs", chromedp.Navigate(b.base+"#/logs"), chromedp.WaitVisible(chromedp.CSS("#logs-client")))
	b.waitText("#logs-client", "app for https://logs.example.com/")
	b.selectValue("#logs-client", id)
	waitRows(50)
	b.waitText("#logs-count", "50 events shown")
	b.run("older", chromedp.WaitVisible(chromedp.CSS("#logs-older:not([disabled])")), chromedp.Click(chromedp.CSS("#logs-older")))
	waitRows(60)
	b.waitText("#logs-count", "60 events shown")
	b.waitText("#logs-end", "No older events")
	token(3)
	logged(63)
	b.run("newer", chromedp.Click(chromedp.CSS("#logs-newer")))
	b.waitText("#logs-count", "63 events shown · 3 newer")
	if n := rows(); n != 63 {
		t.Fatalf("%d rows after reading newer events, want 63", n)
	}
	// Newest first, each event once.
	order := evalJS[bool](b, `(() => { const d = [...document.querySelectorAll("#logs-table tbody tr[data-log-id]")].map(r => r.dataset.logId);
		return new Set(d).size === d.length; })()`)
	if !order {
		t.Fatal("an event is listed twice")
	}
	b.run("newer again", chromedp.Click(chromedp.CSS("#logs-newer")))
	b.waitText("#logs-count", "63 events shown · no newer events")
	b.screenshot("logs-paged")
}
