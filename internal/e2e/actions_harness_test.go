package e2e

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers of the Actions tests (issue 17): an /api/v2/actions client
// holding one Management API token, and the steps every test repeats
// (create, wait for the build, deploy, bind).

// triggerVersion is the version of each trigger Auth0 documents and this
// server runs (issue 17's decisions).
var triggerVersion = map[string]string{"credentials-exchange": "v2", "post-login": "v3"}

type actionsAdmin struct {
	in    *instance
	token string
}

func newActionsAdmin(in *instance) *actionsAdmin {
	return &actionsAdmin{in: in, token: in.adminToken()}
}

// api calls /api/v2/actions/<path>; saves that install npm dependencies
// may take long, so every call gets the slow client's timeout.
func (a *actionsAdmin) api(method, path string, body any) response {
	a.in.t.Helper()
	return slowAPI(a.in, a.token, method, "actions/"+strings.TrimPrefix(path, "/"), body)
}

// must calls the API and fails the test unless the status is want.
func (a *actionsAdmin) must(t *testing.T, want int, method, path string, body any) map[string]any {
	t.Helper()
	r := a.api(method, path, body)
	if r.status != want {
		t.Fatalf("%s actions/%s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	return r.json(t)
}

// create saves an Action for one trigger; extra adds or overrides fields
// of the body (dependencies, secrets, runtime).
func (a *actionsAdmin) create(t *testing.T, name, trigger, code string, extra map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"name": name, "code": code, "runtime": "node22",
		"supported_triggers": []map[string]string{{"id": trigger, "version": triggerVersion[trigger]}}}
	for k, v := range extra {
		body[k] = v
	}
	act := a.must(t, 201, "POST", "actions", body)
	if id, _ := act["id"].(string); id == "" || act["name"] != name {
		t.Fatalf("created Action %v", act)
	}
	return act
}

// waitBuilt waits for the draft's build (npm dependencies install in the
// background) and returns the Action.
func (a *actionsAdmin) waitBuilt(t *testing.T, id string) map[string]any {
	t.Helper()
	var act map[string]any
	waitFor(t, 4*time.Minute, "the Action's build", func() bool {
		act = a.must(t, 200, "GET", "actions/"+id, nil)
		switch act["status"] {
		case "built":
			return true
		case "failed":
			t.Fatalf("build failed: %v", act)
		case "pending", "building":
		default:
			t.Fatalf("status %v is none of Auth0's", act["status"])
		}
		return false
	})
	return act
}

// deploy deploys the draft (once built) and returns the new version.
func (a *actionsAdmin) deploy(t *testing.T, id string) map[string]any {
	t.Helper()
	a.waitBuilt(t, id)
	v := a.must(t, 202, "POST", "actions/"+id+"/deploy", nil)
	if vid, _ := v["id"].(string); vid == "" {
		t.Fatalf("deployed version %v", v)
	}
	return v
}

// update patches the draft.
func (a *actionsAdmin) update(t *testing.T, id string, body map[string]any) map[string]any {
	t.Helper()
	return a.must(t, 200, "PATCH", "actions/"+id, body)
}

// createDeployed creates and deploys an Action, returning its id.
func (a *actionsAdmin) createDeployed(t *testing.T, name, trigger, code string, extra map[string]any) string {
	t.Helper()
	id := a.create(t, name, trigger, code, extra)["id"].(string)
	a.deploy(t, id)
	return id
}

// redeploy replaces the draft's code and deploys it.
func (a *actionsAdmin) redeploy(t *testing.T, id, code string) map[string]any {
	t.Helper()
	a.update(t, id, map[string]any{"code": code})
	return a.deploy(t, id)
}

// bind makes ids the trigger's bindings, in that order (PATCH with refs by
// action_id), and returns the bindings the answer lists.
func (a *actionsAdmin) bind(t *testing.T, trigger string, ids ...string) []any {
	t.Helper()
	list := []map[string]any{}
	for i, id := range ids {
		list = append(list, map[string]any{"ref": map[string]string{"type": "action_id", "value": id}, "display_name": "step " + string(rune('A'+i))})
	}
	out := a.must(t, 200, "PATCH", "triggers/"+trigger+"/bindings", map[string]any{"bindings": list})
	b, _ := out["bindings"].([]any)
	if len(b) != len(ids) {
		t.Fatalf("bindings answer %v, want %d", out, len(ids))
	}
	return b
}

// customClaims returns a token's claims under https://example.com/ (by
// their short name) and the non-namespaced ones the test names.
func customClaims(t *testing.T, jwt string, plain ...string) map[string]any {
	t.Helper()
	c := claims(t, jwt)
	out := map[string]any{}
	for k, v := range c {
		if name, ok := strings.CutPrefix(k, "https://example.com/"); ok {
			out[name] = v
		}
	}
	for _, k := range plain {
		if v, ok := c[k]; ok {
			out[k] = v
		}
	}
	return out
}

// scopeSet is a space-separated scope list, sorted, for comparisons that
// do not depend on order.
func scopeSet(s any) string {
	str, _ := s.(string)
	f := strings.Fields(str)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// m2mApp is an API with four scopes and an application granted three of
// them, with client metadata, as the credentials-exchange tests use.
type m2mApp struct {
	in              *instance
	id, secret, aud string
}

const ordersAPI = "https://orders.example/"

func newM2MApp(t *testing.T, in *instance) *m2mApp {
	t.Helper()
	id, secret := in.m2m(ordersAPI, []string{"read:orders", "write:orders", "delete:orders", "admin:orders"},
		[]string{"read:orders", "write:orders", "delete:orders"}, map[string]string{"plan": "gold"})
	return &m2mApp{in: in, id: id, secret: secret, aud: ordersAPI}
}

// token asks for a client-credentials token; kv are extra parameters.
func (m *m2mApp) token(kv ...string) response {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {m.id}, "client_secret": {m.secret}, "audience": {m.aud}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return m.in.tokenForm(v)
}

// ok asks for a token that must be issued and returns the response body
// and the access token's claims.
func (m *m2mApp) ok(t *testing.T, kv ...string) (body, tok map[string]any) {
	t.Helper()
	r := m.token(kv...)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	body = r.json(t)
	return body, claims(t, body["access_token"].(string))
}

// problems reads the claim in which an Action's own checks list what
// did not match (the Actions test the event they are given themselves).
func problems(t *testing.T, tok map[string]any, claim string) {
	t.Helper()
	p, ok := tok[claim]
	if !ok {
		t.Fatalf("the Action did not report its checks (no %s claim): %v", claim, tok)
	}
	if l, _ := p.([]any); len(l) != 0 {
		b, _ := json.MarshalIndent(p, "", "  ")
		t.Fatalf("the Action found differences in its event:\n%s", b)
	}
}

// logEventWith waits for the tenant log event of a token request matched
// by pred among the events of the query q.
func (a *actionsAdmin) logEventWith(t *testing.T, q string, pred func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, 15*time.Second, "the tenant log event", func() bool {
		r := a.in.apiWith(a.token, "GET", "logs?q="+url.QueryEscape(q), nil)
		if r.status != 200 {
			t.Fatalf("logs: %d %s", r.status, r.body)
		}
		for _, ev := range r.list(t) {
			if pred(ev) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

// executionIDs reads details.actions.executions of a tenant log event.
func executionIDs(ev map[string]any) []string {
	d, _ := ev["details"].(map[string]any)
	acts, _ := d["actions"].(map[string]any)
	l, _ := acts["executions"].([]any)
	var out []string
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
