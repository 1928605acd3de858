package mgmt_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// events records what the API logs to the tenant log.
type events struct {
	mu   sync.Mutex
	list []storage.LogEvent
}

func (e *events) Record(ev storage.LogEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) all() []storage.LogEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]storage.LogEvent(nil), e.list...)
}

// TestHookSecretPlaceholderImport: deploy-cli's import POSTs the
// placeholder its export holds. It creates the secret without a value:
// listed by name, flagged by /secrets/unset, undefined to the hook, a
// warning in the tenant log; the placeholder never becomes a value.
func TestHookSecretPlaceholderImport(t *testing.T) {
	t.Parallel()
	rec := &events{}
	e := newEnvWith(t, func(d *mgmt.Deps) { d.Events = rec })
	script := `module.exports = function(client, scope, audience, context, cb) {
  var s = context.webtask.secrets;
  cb(null, {scope: scope, "https://x/keys": Object.keys(s).sort().join(","), "https://x/imported": typeof s.IMPORTED, "https://x/set": s.SET});
};`
	h := e.createHook(map[string]any{"name": "imported", "script": script, "triggerId": "credentials-exchange"})
	id := h["id"].(string)
	path := "/hooks/" + id + "/secrets"
	stored := func() map[string]string {
		t.Helper()
		got, err := e.store.GetHook(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return got.Secrets
	}
	run := func() map[string]any {
		t.Helper()
		rep := decodeReport(t, e.req("POST", "/hooks/"+id+"/run", all, nil))
		if rep.Error != nil {
			t.Fatalf("run: %v", rep.Error)
		}
		return rep.Result
	}

	expect(t, e.req("GET", path+"/unset", all, nil), 200, "", "")
	if b := string(e.req("GET", path+"/unset", all, nil).body); b != "[]" {
		t.Fatalf("no secrets: unset %s", b)
	}
	expect(t, e.req("POST", path, all, map[string]string{"IMPORTED": "_VALUE_NOT_SHOWN_", "SET": "real"}), 201, "", "")
	if got := e.req("GET", path, all, nil).json(t); !reflect.DeepEqual(got, map[string]any{"IMPORTED": "_VALUE_NOT_SHOWN_", "SET": "_VALUE_NOT_SHOWN_"}) {
		t.Fatalf("GET secrets %v", got)
	}
	if got := e.req("GET", path+"/unset", all, nil).body; string(got) != `["IMPORTED"]` {
		t.Fatalf("unset %s", got)
	}
	if s := stored(); s["IMPORTED"] != storage.SecretUnset || s["SET"] != "real" {
		t.Fatalf("stored %v", s)
	}
	if res := run(); res["https://x/keys"] != "SET" || res["https://x/imported"] != "undefined" || res["https://x/set"] != "real" {
		t.Fatalf("the hook saw %v", res)
	}
	// A placeholder given to the runner is no value either.
	rep := decodeReport(t, e.req("POST", "/hooks/"+id+"/run", all, map[string]any{"secrets": map[string]string{"IMPORTED": "_VALUE_NOT_SHOWN_", "SET": "_VALUE_NOT_SHOWN_"}}))
	if rep.Result["https://x/imported"] != "undefined" || rep.Result["https://x/set"] != "real" {
		t.Fatalf("runner with placeholders: %v", rep.Result)
	}
	evs := rec.all()
	if len(evs) != 1 || evs[0].Type != "w" || evs[0].Tenant != tenant ||
		!reflect.DeepEqual(evs[0].Details["unset_secrets"], []string{"IMPORTED"}) || evs[0].Details["hook_id"] != id {
		t.Fatalf("tenant log %+v", evs)
	}

	// Writing the placeholder back keeps whatever is there, set or not.
	expect(t, e.req("PATCH", path, all, map[string]string{"IMPORTED": "_VALUE_NOT_SHOWN_", "SET": "_VALUE_NOT_SHOWN_"}), 201, "", "")
	if s := stored(); s["IMPORTED"] != storage.SecretUnset || s["SET"] != "real" {
		t.Fatalf("stored after placeholder PATCH %v", s)
	}
	// An existing name is still a conflict, placeholder or not.
	expect(t, e.req("POST", path, all, map[string]string{"SET": "_VALUE_NOT_SHOWN_"}), 409, "conflict", "")
	// Setting the value clears the flag; the hook sees it.
	expect(t, e.req("PATCH", path, all, map[string]string{"IMPORTED": "now-set"}), 201, "", "")
	if got := e.req("GET", path+"/unset", all, nil).body; string(got) != "[]" {
		t.Fatalf("unset after PATCH %s", got)
	}
	if res := run(); res["https://x/keys"] != "IMPORTED,SET" || res["https://x/imported"] != "string" {
		t.Fatalf("the hook saw %v", res)
	}
	expect(t, e.req("GET", "/hooks/01HZZZZZZZZZZZZZZZZZZZZZZZ/secrets/unset", all, nil), 404, "not_found", "Hook not found.")
	expect(t, e.req("GET", path+"/unset", "create:hooks", nil), 403, "insufficient_scope", "")
}

// TestHookRuntimeWrittenBack: the read-only runtime property a read shows
// (and deploy-cli's export keeps) is accepted back with a known value.
func TestHookRuntimeWrittenBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := hookBody("rt", false)
	body["runtime"] = "embedded"
	h := e.createHook(body)
	if h["runtime"] != "embedded" {
		t.Fatalf("runtime %v", h["runtime"])
	}
	id := h["id"].(string)
	expect(t, e.req("PATCH", "/hooks/"+id, all, map[string]any{"runtime": "node", "enabled": true}), 200, "", "")
	if got := e.req("GET", "/hooks/"+id, all, nil).json(t); got["runtime"] != "embedded" || got["enabled"] != true {
		t.Fatalf("after PATCH %v", got)
	}
	body = hookBody("rt2", false)
	body["runtime"] = "python"
	expect(t, e.req("POST", "/hooks", all, body), 400, "invalid_body", "")
	expect(t, e.req("PATCH", "/hooks/"+id, all, map[string]any{"runtime": 1}), 400, "invalid_body", "")
}
