package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// postMock is a loopback API the post-point hooks post to. A request
// waits for the gate open at its arrival to close (or for its client to go
// away), then is answered 200 and its body handed over.
type postMock struct {
	*httptest.Server
	mu       sync.Mutex
	gate     chan struct{}
	arrived  chan struct{}
	received chan map[string]any
}

func newPostMock(t *testing.T) *postMock {
	t.Helper()
	m := &postMock{gate: closed(), arrived: make(chan struct{}, 16), received: make(chan map[string]any, 16)}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, "<!doctype html><title>done</title><p id=done>back at the app</p>")
			return
		}
		b, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		gate := m.gate
		m.mu.Unlock()
		m.arrived <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		if body == nil {
			body = map[string]any{}
		}
		body["path"] = r.URL.Path
		m.received <- body
	}))
	t.Cleanup(m.Server.Close)
	return m
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// hold makes requests arriving from now on wait for the returned gate.
func (m *postMock) hold() chan struct{} {
	g := make(chan struct{})
	m.mu.Lock()
	m.gate = g
	m.mu.Unlock()
	return g
}

func (m *postMock) release() {
	m.mu.Lock()
	m.gate = closed()
	m.mu.Unlock()
}

func (m *postMock) waitArrived(t *testing.T, in *instance, what string) {
	t.Helper()
	select {
	case <-m.arrived:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: the hook never called the mock; server log:\n%s", what, in.logs())
	}
}

func (m *postMock) next(t *testing.T, in *instance, what string) map[string]any {
	t.Helper()
	select {
	case b := <-m.received:
		return b
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: the hook's post never arrived; server log:\n%s", what, in.logs())
		return nil
	}
}

// postHook posts what the hook got to the mock at path.
func postHook(mock, path string) string {
	return "const URL = " + strconv.Quote(mock+path) + `;
module.exports = function (user, context, cb) {
  fetch(URL, {method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({user: user, connection: context.connection, meta: context.webtask.meta})})
    .then(function (r) { if (r.status !== 200) throw new Error('mock answered ' + r.status); cb(); })
    .catch(function (e) { cb(e); });
};`
}

func (in *instance) signupForm(client, email, password string, extra url.Values) response {
	v := url.Values{"client_id": {client}, "email": {email}, "password": {password}, "connection": {dbConn}}
	for k, x := range extra {
		v[k] = x
	}
	return in.do("POST", "dbconnections/signup", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()), nil)
}

func (in *instance) connectionID(t *testing.T) string {
	t.Helper()
	r := in.api("GET", "connections", nil)
	l := r.list(t)
	if r.status != 200 || len(l) != 1 {
		t.Fatalf("connections: %d %s", r.status, r.body)
	}
	return l[0]["id"].(string)
}

// TestPostUserRegistration: the hook runs after the user is stored, posts
// to a loopback API (--hook-egress-allow), gets the id without "auth0|"
// and the connection's real id, and the signup answer does not wait for
// it: the mock answers the hook only once the test has the signup answer.
func TestPostUserRegistration(t *testing.T) {
	mock := newPostMock(t)
	in := start(t, options{args: append([]string{"--hook-egress-allow", "127.0.0.0/8"}, fastBcrypt...)})
	_, _, public := in.passwordApps()
	if r := in.api("POST", "hooks", map[string]any{"name": "tell-crm", "triggerId": "post-user-registration", "enabled": true,
		"script": postHook(mock.URL, "/users")}); r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	gate := mock.hold()
	r := in.signupForm(public, "ann@example.com", "correct horse", url.Values{"given_name": {"Ann"}, "family_name": {"Lee"}})
	if r.status != 200 {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	id := r.json(t)["_id"].(string)
	close(gate)
	got := mock.next(t, in, "signup")
	user, _ := got["user"].(map[string]any)
	conn, _ := got["connection"].(map[string]any)
	meta, _ := got["meta"].(map[string]any)
	if user["id"] != id || user["email"] != "ann@example.com" || user["emailVerified"] != false || user["tenant"] == "" ||
		conn["id"] != in.connectionID(t) || conn["name"] != dbConn || meta["auth0-extension-name"] != "post-user-registration" {
		t.Fatalf("the hook got %v", got)
	}
	u := in.api("GET", "users/"+url.PathEscape("auth0|"+id), nil).json(t)
	if u["given_name"] != "Ann" || u["family_name"] != "Lee" {
		t.Fatalf("signup profile not stored: %v", u)
	}
	// Exactly once: a second signup brings exactly one more post.
	if r := in.signupForm(public, "bob@example.com", "correct horse", nil); r.status != 200 {
		t.Fatalf("second signup: %d %s", r.status, r.body)
	}
	if got := mock.next(t, in, "second signup"); got["user"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("second post %v", got)
	}
}

// TestPostUserRegistrationAfterKill: the server is killed (SIGKILL) right
// after the signup answer, while the hook's call is held unanswered; the
// pending execution is in the database with the user, so the restarted
// server runs it (once the dead claim's lease, --hook-timeout + 5 s, ends).
func TestPostUserRegistrationAfterKill(t *testing.T) {
	mock := newPostMock(t)
	dir := t.TempDir()
	args := append([]string{"--hook-egress-allow", "127.0.0.0/8", "--hook-timeout", "2s"}, fastBcrypt...)
	in := start(t, options{dataDir: dir, args: args})
	_, _, public := in.passwordApps()
	if r := in.api("POST", "hooks", map[string]any{"name": "tell-crm", "triggerId": "post-user-registration", "enabled": true,
		"script": postHook(mock.URL, "/users")}); r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	gate := mock.hold()
	defer close(gate)
	r := in.signupForm(public, "ann@example.com", "correct horse", nil)
	if r.status != 200 {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	id := r.json(t)["_id"].(string)
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-in.exited
	mock.release()
	in = start(t, options{dataDir: dir, args: args})
	got := mock.next(t, in, "after restart")
	if got["user"].(map[string]any)["id"] != id {
		t.Fatalf("the hook got %v", got)
	}

	// Killed while the hook's call is in flight: the claim's lease ends and
	// the restarted server runs it again.
	gate2 := mock.hold()
	defer close(gate2)
	drain(mock.arrived)
	r = in.signupForm(public, "bob@example.com", "correct horse", nil)
	if r.status != 200 {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	id = r.json(t)["_id"].(string)
	mock.waitArrived(t, in, "second signup")
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-in.exited
	mock.release()
	in = start(t, options{dataDir: dir, args: args})
	got = mock.next(t, in, "after the second restart")
	if got["user"].(map[string]any)["id"] != id {
		t.Fatalf("the hook got %v", got)
	}
}

func drain(c chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// TestPostChangePassword: a password set through PATCH /api/v2/users/{id}
// and one set on a ticket's page both run post-change-password, and the
// new password logs in. The ticket page is driven in headless Chromium.
func TestPostChangePassword(t *testing.T) {
	needChromium(t)
	mock := newPostMock(t)
	in := start(t, options{args: append([]string{"--hook-egress-allow", "127.0.0.0/8"}, fastBcrypt...)})
	confID, confSecret, _ := in.passwordApps()
	ann := in.ann()
	id := ann["user_id"].(string)
	if r := in.api("POST", "hooks", map[string]any{"name": "revoke-elsewhere", "triggerId": "post-change-password", "enabled": true,
		"script": postHook(mock.URL, "/changed")}); r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	check := func(what string) {
		t.Helper()
		got := mock.next(t, in, what)
		user, _ := got["user"].(map[string]any)
		conn, _ := got["connection"].(map[string]any)
		reset, _ := user["last_password_reset"].(string)
		if _, err := time.Parse(time.RFC3339, reset); err != nil || user["id"] != strings.TrimPrefix(id, "auth0|") ||
			user["email"] != "ann@example.com" || user["username"] != "ann" || conn["id"] != in.connectionID(t) ||
			got["path"] != "/changed" {
			t.Fatalf("%s: the hook got %v", what, got)
		}
	}

	// The Management API.
	if r := in.api("PATCH", "users/"+url.PathEscape(id), map[string]any{"password": "patched password 1"}); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	check("PATCH")
	if r := in.login(confID, confSecret, "ann", "patched password 1"); r.status != 200 {
		t.Fatalf("login with the patched password: %d %s", r.status, r.body)
	}
	// A PATCH without a password runs nothing: the next post is the ticket's.
	if r := in.api("PATCH", "users/"+url.PathEscape(id), map[string]any{"name": "Ann E."}); r.status != 200 {
		t.Fatalf("patch name: %d %s", r.status, r.body)
	}

	// A ticket, used in the browser.
	r := in.api("POST", "tickets/password-change", map[string]any{"user_id": id, "result_url": mock.URL + "/done", "ttl_sec": 600})
	ticket, _ := r.json(t)["ticket"].(string)
	if r.status != 201 || !strings.HasPrefix(ticket, in.base+"lo/reset?ticket=") {
		t.Fatalf("ticket: %d %s", r.status, r.body)
	}
	b := newBrowser(t, in)
	b.run("open the ticket", chromedp.Navigate(ticket), chromedp.WaitVisible(chromedp.CSS("#password")))
	b.run("too short", chromedp.SendKeys(chromedp.CSS("#password"), "short"),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), "short"),
		script(`document.querySelector("#password").removeAttribute("minlength")`),
		chromedp.Click(chromedp.CSS("#submit")))
	b.waitText("#error", "too weak")
	b.screenshot("password-ticket-weak")
	b.run("set the password", chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#password"), "ticket password 2"),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), "ticket password 2"),
		chromedp.Click(chromedp.CSS("#submit")))
	b.waitText("#done", "back at the app")
	if loc := evalJS[string](b, "location.href"); loc != mock.URL+"/done" {
		t.Fatalf("sent to %s", loc)
	}
	check("ticket")
	if r := in.login(confID, confSecret, "ann", "ticket password 2"); r.status != 200 {
		t.Fatalf("login with the ticket's password: %d %s", r.status, r.body)
	}
	if r := in.login(confID, confSecret, "ann", "patched password 1"); r.status != 403 {
		t.Fatalf("the old password still logs in: %d %s", r.status, r.body)
	}
	// Single use.
	if r := in.do("GET", strings.TrimPrefix(ticket, in.base), "", nil, nil); r.status != 404 {
		t.Fatalf("used ticket: %d %s", r.status, r.body)
	}
}

// TestPasswordTicketForm: the page without a browser: the CSRF token must
// match its cookie, tickets of unknown users and bad bodies are 4xx, and
// /dbconnections/change_password says no email sender is configured.
func TestPasswordTicketForm(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	ann := in.ann()
	for _, c := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{}, 400},
		{map[string]any{"user_id": "auth0|nobody"}, 404},
		{map[string]any{"email": "ann@example.com"}, 400},
		{map[string]any{"email": "ann@example.com", "connection_id": "con_nope"}, 404},
		{map[string]any{"user_id": ann["user_id"], "result_url": "javascript:alert(1)"}, 400},
		{map[string]any{"user_id": ann["user_id"], "ttl_sec": -1}, 400},
		{map[string]any{"user_id": ann["user_id"], "bogus": 1}, 400},
	} {
		if r := in.api("POST", "tickets/password-change", c.body); r.status != c.status || r.json(t)["statusCode"] != float64(c.status) {
			t.Fatalf("%v: %d %s", c.body, r.status, r.body)
		}
	}
	r := in.api("POST", "tickets/password-change", map[string]any{"email": "ANN@example.com", "connection_id": in.connectionID(t)})
	ticket, _ := r.json(t)["ticket"].(string)
	if r.status != 201 || ticket == "" {
		t.Fatalf("ticket by email: %d %s", r.status, r.body)
	}
	path := strings.TrimPrefix(ticket, in.base)
	g := in.do("GET", path, "", nil, nil)
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(string(g.body))
	var cookie string
	for _, c := range (&http.Response{Header: g.header}).Cookies() {
		if c.Name == "tokenhook_reset_csrf" {
			cookie = c.Value
		}
	}
	if g.status != 200 || csrf == nil || cookie == "" || csrf[1] != cookie || !strings.Contains(string(g.body), "<form") {
		t.Fatalf("page: %d %v %s", g.status, g.header, g.body)
	}
	post := func(cookieValue, csrfValue string) response {
		return in.do("POST", path, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"csrf": {csrfValue},
			"password": {"new password 3"}, "password_confirm": {"new password 3"}}.Encode()),
			http.Header{"Cookie": {"tokenhook_reset_csrf=" + cookieValue}})
	}
	if r := post(cookie, strings.Repeat("0", 64)); r.status != 403 {
		t.Fatalf("wrong CSRF token: %d %s", r.status, r.body)
	}
	if r := post(cookie, cookie); r.status != 200 || !strings.Contains(string(r.body), "Password changed") {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if r := post(cookie, cookie); r.status != 404 {
		t.Fatalf("second use: %d %s", r.status, r.body)
	}
	r = in.do("POST", "dbconnections/change_password", "application/json", strings.NewReader(`{"email":"ann@example.com","connection":"`+dbConn+`"}`), nil)
	if m := r.json(t); r.status != 501 || m["statusCode"] != float64(501) || !strings.Contains(m["description"].(string), "email sender") {
		t.Fatalf("change_password: %d %s", r.status, r.body)
	}
}

func needChromium(t *testing.T) {
	t.Helper()
	if os.Getenv("TOKENHOOK_SKIP_CHROMIUM") == "1" {
		t.Skip("TOKENHOOK_SKIP_CHROMIUM=1")
	}
	if chromiumPath() == "" {
		t.Fatal("no Chromium found: install Debian's chromium package, set TOKENHOOK_CHROMIUM, or TOKENHOOK_SKIP_CHROMIUM=1 to skip")
	}
}

// TestDashboardLifecyclePoints: the dashboard offers the new points with
// their starter code (from the server's point table), its Settings page
// switches sign-up off and on, and the Users page shows the metadata a
// pre-user-registration hook added.
func TestDashboardLifecyclePoints(t *testing.T) {
	in := dashboardServer(t)
	_, _, public := in.passwordApps()
	b := newBrowser(t, in)
	b.signIn(operatorEmail, operatorPassword)
	b.run("hooks page", chromedp.WaitVisible(chromedp.CSS("#create-hook")))
	for _, p := range []struct{ id, name, starter string }{
		{"post-user-registration", "tell-crm", "the sign up does not wait for it"},
		{"post-change-password", "revoke-elsewhere", "the change does not wait for it"},
	} {
		b.run("hooks list", chromedp.Navigate(in.base+"#/hooks"), chromedp.WaitVisible(chromedp.CSS("#create-hook")))
		b.run("open the new hook pop-up", chromedp.Click(chromedp.CSS("#create-hook")), chromedp.WaitVisible(chromedp.CSS("#new-hook-name")))
		b.selectValue("#new-hook-trigger", p.id)
		b.run("name the hook", chromedp.SendKeys(chromedp.CSS("#new-hook-name"), p.name),
			chromedp.Click(chromedp.CSS("#new-hook-create")), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
		b.waitText("#hook-name", p.name)
		b.waitText(".cm-content", p.starter)
		b.run("run the starter", chromedp.Click(chromedp.CSS("#tab-runner")), chromedp.Click(chromedp.CSS("#runner-run")))
		b.waitText("#runner-result", "{}")
		b.screenshot("hook-editor-" + p.id)
	}
	if l := in.api("GET", "hooks?triggerId=post-change-password", nil).list(t); len(l) != 1 || l[0]["name"] != "revoke-elsewhere" {
		t.Fatalf("hooks by trigger: %v", l)
	}
	if r := in.api("POST", "hooks", map[string]any{"name": "add-plan", "triggerId": "pre-user-registration", "enabled": true,
		"script": `module.exports = function (user, context, cb) { cb(null, {user: {app_metadata: {plan: 'trial'}}}); };`}); r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}

	b.run("settings", chromedp.Navigate(in.base+"#/settings"), chromedp.WaitVisible(chromedp.CSS("#signup-enabled")))
	b.waitText("#signup-state", "Sign-up enabled")
	b.run("switch sign-up off", chromedp.Click(chromedp.CSS("#signup-enabled")))
	b.waitText("#signup-state", "Sign-up disabled")
	b.screenshot("settings-signup-disabled")
	if r := in.signupForm(public, "ann@example.com", "correct horse", nil); r.status != 400 || r.json(t)["code"] != "operation_not_supported" {
		t.Fatalf("signup while disabled: %d %s", r.status, r.body)
	}
	b.run("switch sign-up on", chromedp.Click(chromedp.CSS("#signup-enabled")))
	b.waitText("#signup-state", "Sign-up enabled")
	if r := in.signupForm(public, "ann@example.com", "correct horse", nil); r.status != 200 {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	b.run("users", chromedp.Navigate(in.base+"#/users"), chromedp.WaitVisible(chromedp.CSS(`tr[data-user="ann@example.com"]`)))
	b.waitText(`tr[data-user="ann@example.com"] .app_metadata`, `{"plan":"trial"}`)
	b.screenshot("users-metadata")
}

// TestNodeSDKSignUp: the official Auth0 Node SDK's
// AuthenticationClient.database.signUp (auth0@4, unmodified) against the
// server over HTTPS, a duplicate, and changePassword's clear 501.
func TestNodeSDKSignUp(t *testing.T) {
	if os.Getenv("TOKENHOOK_SKIP_NODE") == "1" {
		t.Skip("TOKENHOOK_SKIP_NODE=1")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "node-sdk"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "auth0")); err != nil {
		t.Fatalf("the Auth0 Node SDK is not installed: run `npm ci --prefix internal/e2e/testdata/node-sdk` (or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (install Node.js >= 18 or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	files := selfSignedCert(t)
	in := start(t, options{tls: files, args: fastBcrypt})
	_, _, public := in.passwordApps()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "signup.js"))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NODE_EXTRA_CA_CERTS=" + files.cert,
		"TOKENHOOK_DOMAIN=" + in.addr, "TOKENHOOK_CLIENT_ID=" + public}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node signup.js: %v\n%s\n%s", err, out, stderr.String())
	}
	var res struct {
		Created struct {
			Status int            `json:"status"`
			Data   map[string]any `json:"data"`
		} `json:"created"`
		Duplicate, ChangePassword *struct {
			StatusCode  int    `json:"statusCode"`
			Error       string `json:"error"`
			Description string `json:"description"`
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	d := res.Created.Data
	if res.Created.Status != 200 || d["email"] != "sdk@example.com" || d["email_verified"] != false || d["given_name"] != "Sdk" ||
		d["user_metadata"].(map[string]any)["source"] != "node-auth0" || d["_id"] == "" {
		t.Fatalf("signUp: %s", out)
	}
	u := in.api("GET", "users/"+url.PathEscape("auth0|"+d["_id"].(string)), nil).json(t)
	if u["family_name"] != "User" {
		t.Fatalf("stored user %v", u)
	}
	if res.Duplicate == nil || res.Duplicate.StatusCode != 400 || res.Duplicate.Error != "invalid_signup" {
		t.Fatalf("duplicate: %s", out)
	}
	if res.ChangePassword == nil || res.ChangePassword.StatusCode != 501 || !strings.Contains(res.ChangePassword.Description, "email sender") {
		t.Fatalf("changePassword: %s", out)
	}
}

// TestCLILifecyclePoints: scaffold, create -t and test for the new points.
func TestCLILifecyclePoints(t *testing.T) {
	in := start(t, options{})
	c := newCLI(t, in)
	c.init("-p", "acme")
	p := []string{"-p", "acme"}
	dir := t.TempDir()
	for _, pt := range []struct{ id, starter string }{
		{"post-user-registration", "the sign up does not wait for it"},
		{"post-change-password", "the change does not wait for it"},
		{"pre-user-registration", "PreUserRegistrationError"},
	} {
		out := c.ok(append([]string{"scaffold", "-t", pt.id}, p...)...)
		if !strings.Contains(out, "module.exports = function(user, context, cb)") || !strings.Contains(out, pt.starter) {
			t.Fatalf("scaffold -t %s:\n%s", pt.id, out)
		}
	}
	file := writeFile(t, dir, "notify.js", `module.exports = function (user, context, cb) {
  console.log('new user ' + user.id + ' ' + user.email);
  cb(null, {seen: user.email});
};`)
	c.ok(append([]string{"create", "-t", "post-user-registration", "-n", "notify", file}, p...)...)
	c.ok(append([]string{"create", "-t", "post-change-password", "-n", "changed", file}, p...)...)
	var hs []cliHook
	c.jsonOf(&hs, append([]string{"ls", "-t", "post-user-registration"}, p...)...)
	if len(hs) != 1 || hs[0].Name != "notify" {
		t.Fatalf("ls -t post-user-registration: %+v", hs)
	}
	// The runner on the point's default payload: the user is Auth0's.
	out := c.ok(append([]string{"test", "notify", "-o", "json"}, p...)...)
	if !strings.Contains(out, `"seen":"user1@foo.com"`) && !strings.Contains(out, `"seen": "user1@foo.com"`) || !strings.Contains(out, "new user abc123 user1@foo.com") {
		t.Fatalf("test notify:\n%s", out)
	}
	out = c.ok(append([]string{"test", "changed", "-o", "json"}, p...)...)
	if !strings.Contains(out, "new user abc123 user1@foo.com") {
		t.Fatalf("test changed:\n%s", out)
	}
}
