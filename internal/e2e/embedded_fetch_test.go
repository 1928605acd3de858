package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fetchMock is the loopback API the hooks of these tests call. notified
// receives the body of every POST /notify.
func fetchMock(t *testing.T) (*httptest.Server, chan string) {
	t.Helper()
	notified := make(chan string, 16)
	mux := http.NewServeMux()
	mux.HandleFunc("/plan", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"plan":"platinum","auth":"` + r.Header.Get("Authorization") + `"}`))
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.255.255.1/", http.StatusFound)
	})
	var once sync.Mutex
	mux.HandleFunc("/notify", func(w http.ResponseWriter, r *http.Request) {
		once.Lock()
		defer once.Unlock()
		b := make([]byte, 256)
		n, _ := r.Body.Read(b)
		notified <- string(b[:n])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, notified
}

// fetchHook reports what its fetch calls got as claims, then notifies the
// mock after its answer (fire-and-forget).
const fetchHook = `module.exports = async function (client, scope, audience, context) {
  const out = {scope: scope};
  try {
    const r = await fetch(API + '/plan', {headers: {authorization: 'Bearer ' + context.webtask.secrets.API_KEY}});
    out['https://example.com/plan'] = (await r.json());
  } catch (e) { out['https://example.com/plan'] = {error: e.cause && e.cause.code, message: e.message}; }
  try {
    await fetch(API + '/to-private');
    out['https://example.com/redirect'] = 'followed';
  } catch (e) { out['https://example.com/redirect'] = {error: e.cause && e.cause.code, message: e.message}; }
  setTimeout(() => fetch(API + '/notify', {method: 'POST', body: 'after ' + context.webtask.id}).catch(e => console.log('notify failed ' + e.message)), 10);
  return out;
};`

// TestEmbeddedFetchEgress: a hook on the embedded engine calls an API with
// fetch through the real binary. With --hook-egress-allow 127.0.0.0/8 it
// reaches the loopback mock, a redirect to a private address is still
// refused, and its fire-and-forget notification arrives after the token;
// without the flag, loopback is refused by the default policy.
func TestEmbeddedFetchEgress(t *testing.T) {
	api, notified := fetchMock(t)
	script := "const API = " + strconv.Quote(api.URL) + ";\n" + fetchHook
	claimsOf := func(t *testing.T, in *instance) map[string]any {
		t.Helper()
		app := newHookApp(t, in)
		admin := newHookAdmin(in)
		id := admin.createHook(t, "fetcher", "credentials-exchange", script, true)
		if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API_KEY": "k1"}); r.status != 201 {
			t.Fatalf("secrets: %d %s", r.status, r.body)
		}
		if r := admin.api("GET", "hooks/"+id, nil); !strings.Contains(string(r.body), `"embedded"`) && strings.Contains(string(r.body), `"runtime"`) {
			t.Fatalf("a fetch hook should stay on the embedded engine: %s", r.body)
		}
		r := app.token()
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		return claims(t, r.json(t)["access_token"].(string))
	}

	t.Run("allowed loopback", func(t *testing.T) {
		in := start(t, options{args: []string{"--hook-egress-allow", "127.0.0.0/8"}})
		c := claimsOf(t, in)
		if got := mustJSONs(c["https://example.com/plan"]); got != `{"auth":"Bearer k1","plan":"platinum"}` {
			t.Fatalf("plan claim %s", got)
		}
		red, _ := c["https://example.com/redirect"].(map[string]any)
		if red["error"] != "ECONNREFUSED" || !strings.Contains(red["message"].(string), "egress policy") {
			t.Fatalf("redirect to a private address: %v", c["https://example.com/redirect"])
		}
		select {
		case body := <-notified:
			if !strings.HasPrefix(body, "after ") {
				t.Fatalf("notification %q", body)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("the notification sent after the answer never arrived; logs:\n%s", in.logs())
		}
	})
	t.Run("default policy", func(t *testing.T) {
		in := start(t, options{})
		c := claimsOf(t, in)
		plan, _ := c["https://example.com/plan"].(map[string]any)
		if plan["error"] != "ECONNREFUSED" || !strings.Contains(plan["message"].(string), "loopback") {
			b, _ := json.Marshal(c)
			t.Fatalf("loopback reached without --hook-egress-allow: %s", b)
		}
	})
}
