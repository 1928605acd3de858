package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
