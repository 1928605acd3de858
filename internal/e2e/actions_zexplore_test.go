package e2e

import (
	"testing"
	"time"
)

func TestZExplore(t *testing.T) {
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	id := admin.create(t, "chatty", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  console.log('hello from', event.client.name, event.secrets.K);
  api.accessToken.setCustomClaim('https://example.com/k', event.secrets.K);
};`, map[string]any{"secrets": []map[string]string{{"name": "K", "value": "one"}}})["id"].(string)
	v1 := admin.deploy(t, id)
	admin.bind(t, "credentials-exchange", id)
	stream := newHookAdmin(in).logStream(t, "chatty")
	_, tok := app.ok(t)
	t.Logf("claim %v", tok["https://example.com/k"])
	select {
	case ev := <-stream:
		t.Logf("stream event %v", ev)
	case <-time.After(3 * time.Second):
		t.Logf("no stream event")
	}
	r := admin.api("PATCH", "actions/"+id, map[string]any{"secrets": []map[string]string{{"name": "K", "value": "two"}}})
	t.Logf("patch secrets %d %s", r.status, r.body)
	admin.deploy(t, id)
	_, tok = app.ok(t)
	t.Logf("claim after new secret %v", tok["https://example.com/k"])
	r = admin.api("PATCH", "actions/"+id, map[string]any{"secrets": []map[string]string{{"name": "K"}}})
	t.Logf("patch secrets without value %d %s", r.status, r.body)
	r = admin.api("POST", "actions/"+id+"/versions/"+v1["id"].(string)+"/deploy", map[string]any{})
	t.Logf("rollback %d", r.status)
	_, tok = app.ok(t)
	t.Logf("claim after rollback %v", tok["https://example.com/k"])
	for _, p := range []any{map[string]any{}, nil} {
		r = admin.api("POST", "actions/"+id+"/test", map[string]any{"payload": p})
		t.Logf("test %v: %d %s", p, r.status, r.body)
	}
	pl := admin.create(t, "pl", "post-login", `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('x', event.user.email); api.user.setAppMetadata('a', 1); throw new Error('boom') };`, nil)["id"].(string)
	admin.waitBuilt(t, pl)
	r = admin.api("POST", "actions/"+pl+"/test", map[string]any{"payload": map[string]any{}})
	t.Logf("test post-login: %d %s", r.status, r.body)
	r = admin.api("GET", "actions?triggerId=post-login", nil)
	t.Logf("list by trigger: %d %.300s", r.status, r.body)
	r = admin.api("GET", "actions?deployed=true", nil)
	t.Logf("list deployed: %d %.300s", r.status, r.body)
	r = admin.api("GET", "actions?installed=true&per_page=1&page=0", nil)
	t.Logf("list installed: %d %.300s", r.status, r.body)
	r = admin.api("GET", "triggers", nil)
	t.Logf("triggers: %d %s", r.status, r.body)
	r = admin.api("GET", "triggers/credentials-exchange/bindings", nil)
	t.Logf("bindings: %d %s", r.status, r.body)
	for i := 0; i < 52; i++ {
		admin.update(t, id, map[string]any{"code": `exports.onExecuteCredentialsExchange = async (event, api) => { /* ` + string(rune('a'+i%26)) + ` */ };`})
		r = admin.api("POST", "actions/"+id+"/deploy", nil)
		if r.status != 202 {
			t.Logf("deploy %d: %d %s", i, r.status, r.body)
			break
		}
	}
	r = admin.api("GET", "actions/"+id+"/versions?per_page=100", nil)
	m := r.json(t)
	t.Logf("versions total %v, listed %d", m["total"], len(m["versions"].([]any)))
}
