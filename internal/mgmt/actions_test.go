package mgmt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/storage"
)

const (
	ceCode = "exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('https://x.test/k', event.secrets.KEY);\n};\n"
	plCode = "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('https://x.test/n', event.user.email);\n};\n"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// createAction creates an Action on credentials-exchange with body's
// properties over the defaults and returns its JSON.
func (e *env) createAction(name string, body map[string]any) map[string]any {
	e.t.Helper()
	in := map[string]any{
		"name":               name,
		"supported_triggers": []any{map[string]any{"id": "credentials-exchange", "version": "v2"}},
		"code":               ceCode,
	}
	for k, v := range body {
		in[k] = v
	}
	r := e.req("POST", "/actions/actions", "create:actions", in)
	expect(e.t, r, http.StatusCreated, "", "")
	return r.json(e.t)
}

func (e *env) deployAction(id string) map[string]any {
	e.t.Helper()
	r := e.req("POST", "/actions/actions/"+id+"/deploy", "create:actions", nil)
	expect(e.t, r, http.StatusAccepted, "", "")
	return r.json(e.t)
}

func TestActionsCreateReadUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.createAction("add-claim", map[string]any{
		"secrets": []any{map[string]any{"name": "KEY", "value": "s3cr3t"}, map[string]any{"name": "OTHER", "value": "o"}},
	})
	id := a["id"].(string)
	if !uuidPattern.MatchString(id) {
		t.Errorf("id %q is not a UUID", id)
	}
	if a["name"] != "add-claim" || a["code"] != ceCode || a["runtime"] != "node22" || a["status"] != "built" ||
		a["all_changes_deployed"] != false || a["built_at"] != "2026-11-20T12:00:00.000Z" ||
		a["created_at"] != "2026-11-20T12:00:00.000Z" || a["updated_at"] != "2026-11-20T12:00:00.000Z" {
		t.Fatalf("created %v", a)
	}
	if _, ok := a["deployed_version"]; ok {
		t.Errorf("an undeployed action has deployed_version: %v", a)
	}
	if got, _ := json.Marshal(a["supported_triggers"]); string(got) != `[{"id":"credentials-exchange","version":"v2"}]` {
		t.Errorf("supported_triggers %s", got)
	}
	if got, _ := json.Marshal(a["secrets"]); string(got) != `[{"name":"KEY","updated_at":"2026-11-20T12:00:00.000Z"},{"name":"OTHER","updated_at":"2026-11-20T12:00:00.000Z"}]` {
		t.Errorf("secrets %s", got)
	}
	if got, _ := json.Marshal(a["dependencies"]); string(got) != `[]` {
		t.Errorf("dependencies %s", got)
	}
	// Secrets are write-only: no read ever carries a value.
	r := e.req("GET", "/actions/actions/"+id, "read:actions", nil)
	expect(t, r, 200, "", "")
	if strings.Contains(string(r.body), "s3cr3t") {
		t.Fatalf("a read shows a secret value: %s", r.body)
	}
	if got := r.json(t); got["id"] != id || got["name"] != "add-claim" {
		t.Fatalf("get %v", got)
	}
	stored, err := e.store.GetAction(context.Background(), tenant, id)
	if err != nil || len(stored.Secrets) != 2 || stored.Secrets[0].Value != "s3cr3t" || stored.Engine != storage.RuntimeEmbedded {
		t.Fatalf("stored %+v %v", stored, err)
	}

	// What deploy-cli writes back from its export: empty modules, no
	// integration, secrets by name only.
	e.createAction("exported", map[string]any{"modules": []any{}, "installed_integration_id": nil, "secrets": []any{map[string]any{"name": "X"}}})
	expect(t, e.req("DELETE", "/actions/actions/"+e.req("GET", "/actions/actions?actionName=exported", "read:actions", nil).json(t)["actions"].([]any)[0].(map[string]any)["id"].(string), "delete:actions", nil), 204, "", "")
	// Auth0's own name of its Node 18 runtime, as its exports carry it.
	if got := e.createAction("from-auth0", map[string]any{"runtime": "node18-actions"}); got["runtime"] != "node18-actions" {
		t.Fatalf("runtime %v", got["runtime"])
	}
	expect(t, e.req("DELETE", "/actions/actions/"+e.req("GET", "/actions/actions?actionName=from-auth0", "read:actions", nil).json(t)["actions"].([]any)[0].(map[string]any)["id"].(string), "delete:actions", nil), 204, "", "")
	e.createAction("other-one", map[string]any{"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}, "code": plCode, "runtime": "node18"})
	list := func(query string) map[string]any {
		t.Helper()
		r := e.req("GET", "/actions/actions"+query, "read:actions", nil)
		expect(t, r, 200, "", "")
		return r.json(t)
	}
	names := func(m map[string]any) []string {
		var out []string
		for _, a := range m["actions"].([]any) {
			out = append(out, a.(map[string]any)["name"].(string))
		}
		return out
	}
	all := list("")
	if all["total"] != 2.0 || all["page"] != 0.0 || all["per_page"] != 50.0 || !slices.Equal(names(all), []string{"add-claim", "other-one"}) {
		t.Fatalf("list %v", all)
	}
	for query, want := range map[string][]string{
		"?triggerId=post-login":            {"other-one"},
		"?triggerId=credentials-exchange":  {"add-claim"},
		"?triggerId=pre-user-registration": nil,
		"?actionName=add-claim":            {"add-claim"},
		"?deployed=true":                   nil,
		"?installed=true":                  nil,
		"?per_page=1&page=1":               {"other-one"},
	} {
		if got := names(list(query)); !slices.Equal(got, want) {
			t.Errorf("list%s: %v, want %v", query, got, want)
		}
	}

	// PATCH: secrets given replace the list; a name without a value keeps
	// its value; a name left out is removed.
	later := testNow
	r = e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{
		"name":    "add-claim-2",
		"secrets": []any{map[string]any{"name": "KEY"}, map[string]any{"name": "NEW", "value": "n"}},
	})
	expect(t, r, 200, "", "")
	u := r.json(t)
	if u["name"] != "add-claim-2" || u["code"] != ceCode || u["status"] != "built" {
		t.Fatalf("update %v", u)
	}
	stored, _ = e.store.GetAction(context.Background(), tenant, id)
	if len(stored.Secrets) != 2 || stored.Secrets[0] != (storage.ActionSecret{Name: "KEY", Value: "s3cr3t", UpdatedAt: later}) || stored.Secrets[1].Name != "NEW" || stored.Secrets[1].Value != "n" {
		t.Fatalf("secrets after update %+v", stored.Secrets)
	}
	// Without secrets, they stay as they are.
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"code": ceCode + "// v2\n"}), 200, "", "")
	stored, _ = e.store.GetAction(context.Background(), tenant, id)
	if len(stored.Secrets) != 2 || stored.Code != ceCode+"// v2\n" {
		t.Fatalf("after code update %+v", stored)
	}
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"name": "other-one"}), 409, "conflict", "")
	expect(t, e.req("POST", "/actions/actions", "create:actions", map[string]any{
		"name": "other-one", "supported_triggers": []any{map[string]any{"id": "post-login"}},
	}), 409, "conflict", "")

	expect(t, e.req("DELETE", "/actions/actions/"+id, "delete:actions", nil), 204, "", "")
	expect(t, e.req("GET", "/actions/actions/"+id, "read:actions", nil), 404, "not_found", "Action not found.")
	expect(t, e.req("DELETE", "/actions/actions/"+id, "delete:actions", nil), 404, "not_found", "")
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"name": "x"}), 404, "not_found", "")
}

func TestActionsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.createAction("target", nil)
	id := a["id"].(string)
	trig := []any{map[string]any{"id": "credentials-exchange", "version": "v2"}}
	secrets := func(n int) []any {
		var out []any
		for i := 0; i < n; i++ {
			out = append(out, map[string]any{"name": fmt.Sprintf("S%d", i), "value": "v"})
		}
		return out
	}
	deps := func(n int) []any {
		var out []any
		for i := 0; i < n; i++ {
			out = append(out, map[string]any{"name": fmt.Sprintf("pkg%d", i), "version": "1.0.0"})
		}
		return out
	}
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
		msg          string // a part of the message
	}{
		{"no name", "POST", "/actions/actions", map[string]any{"supported_triggers": trig}, 400, "invalid_body", "Missing required property: name"},
		{"no triggers", "POST", "/actions/actions", map[string]any{"name": "x"}, 400, "invalid_body", "supported_triggers"},
		{"empty name", "POST", "/actions/actions", map[string]any{"name": "", "supported_triggers": trig}, 400, "invalid_body", "name"},
		{"unknown trigger", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": []any{map[string]any{"id": "pre-user-registration", "version": "v2"}}}, 400, "invalid_body", "pre-user-registration"},
		{"unknown version", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": []any{map[string]any{"id": "post-login", "version": "v1"}}}, 400, "invalid_body", "v1"},
		{"two triggers", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": []any{trig[0], map[string]any{"id": "post-login", "version": "v3"}}}, 400, "invalid_body", "exactly one"},
		{"no triggers listed", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": []any{}}, 400, "invalid_body", "exactly one"},
		{"triggers not an array", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": "post-login"}, 400, "invalid_body", ""},
		{"bad runtime", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "runtime": "node12"}, 400, "invalid_body", "runtime"},
		{"code too large", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "code": "//" + strings.Repeat("a", 100*1024)}, 400, "invalid_body", "too large"},
		{"code does not compile", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "code": "exports.onExecuteCredentialsExchange = async (event, api) => {\n  const x = ;\n};"}, 400, "invalid_body", "line 2, column 13"},
		{"31 secrets", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "secrets": secrets(31)}, 400, "invalid_body", "maximum 30"},
		{"secret name too long", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "secrets": []any{map[string]any{"name": strings.Repeat("k", 129), "value": "v"}}}, 400, "invalid_body", "maximum 128"},
		{"secret value too long", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "secrets": []any{map[string]any{"name": "K", "value": strings.Repeat("v", 4097)}}}, 400, "invalid_body", "maximum 4096"},
		{"secret without name", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "secrets": []any{map[string]any{"value": "v"}}}, 400, "invalid_body", "name"},
		{"secret twice", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "secrets": []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "A", "value": "2"}}}, 400, "invalid_body", "twice"},
		{"11 dependencies", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "dependencies": deps(11)}, 400, "invalid_body", "maximum 10"},
		{"dependency without version", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "dependencies": []any{map[string]any{"name": "lodash"}}}, 400, "invalid_body", "version"},
		{"dependency not from npm", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "dependencies": []any{map[string]any{"name": "lodash", "version": "git+https://example.test/x.git"}}}, 400, "invalid_body", "registry"},
		{"private registry", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "dependencies": []any{map[string]any{"name": "lodash", "version": "4.17.21", "registry_url": "https://npm.example.test"}}}, 400, "invalid_body", "registry"},
		{"action modules", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "modules": []any{map[string]any{"module_name": "m"}}}, 400, "invalid_body", "modules"},
		{"marketplace integration", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "installed_integration_id": "i"}, 400, "invalid_body", "installed_integration_id"},
		{"unknown property", "POST", "/actions/actions", map[string]any{"name": "x", "supported_triggers": trig, "enabled": true}, 400, "invalid_body", "Additional properties not allowed: enabled"},
		{"not JSON", "POST", "/actions/actions", "{", 400, "invalid_body", ""},
		{"array body", "POST", "/actions/actions", "[]", 400, "invalid_body", ""},
		{"patch bad code", "PATCH", "/actions/actions/" + id, map[string]any{"code": "exports.x = ("}, 400, "invalid_body", "line 1"},
		{"patch bad runtime", "PATCH", "/actions/actions/" + id, map[string]any{"runtime": 22}, 400, "invalid_body", ""},
		{"patch 31 secrets", "PATCH", "/actions/actions/" + id, map[string]any{"secrets": secrets(31)}, 400, "invalid_body", "maximum 30"},
		{"patch unknown trigger", "PATCH", "/actions/actions/" + id, map[string]any{"supported_triggers": []any{map[string]any{"id": "nope"}}}, 400, "invalid_body", ""},
		{"list bad filter", "GET", "/actions/actions?triggerId=nope", nil, 400, "invalid_query_string", ""},
		{"list bad deployed", "GET", "/actions/actions?deployed=yes", nil, 400, "invalid_query_string", ""},
		{"list unknown parameter", "GET", "/actions/actions?include_totals=true", nil, 400, "invalid_query_string", "include_totals"},
		{"list bad per_page", "GET", "/actions/actions?per_page=1000", nil, 400, "invalid_query_string", ""},
		{"delete bad force", "DELETE", "/actions/actions/" + id + "?force=maybe", nil, 400, "invalid_query_string", ""},
		{"versions of nothing", "GET", "/actions/actions/nope/versions", nil, 404, "not_found", ""},
		{"version of nothing", "GET", "/actions/actions/" + id + "/versions/nope", nil, 404, "not_found", "Action version not found."},
		{"deploy nothing", "POST", "/actions/actions/nope/deploy", nil, 404, "not_found", ""},
		{"rollback to nothing", "POST", "/actions/actions/" + id + "/versions/nope/deploy", nil, 404, "not_found", ""},
		{"rollback bad body", "POST", "/actions/actions/" + id + "/versions/nope/deploy", map[string]any{"update_draft": "yes"}, 400, "invalid_body", ""},
		{"test nothing", "POST", "/actions/actions/nope/test", map[string]any{"payload": map[string]any{}}, 404, "not_found", ""},
		{"test without payload", "POST", "/actions/actions/" + id + "/test", map[string]any{}, 400, "invalid_body", "payload"},
		{"test payload not an object", "POST", "/actions/actions/" + id + "/test", map[string]any{"payload": "x"}, 400, "invalid_body", "payload"},
		{"bindings of unknown trigger", "GET", "/actions/triggers/nope/bindings", nil, 400, "invalid_uri", "nope"},
		{"bind on unknown trigger", "PATCH", "/actions/triggers/nope/bindings", map[string]any{"bindings": []any{}}, 400, "invalid_uri", ""},
		{"bindings missing", "PATCH", "/actions/triggers/credentials-exchange/bindings", map[string]any{}, 400, "invalid_body", "bindings"},
		{"binding without ref", "PATCH", "/actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{map[string]any{"display_name": "x"}}}, 400, "invalid_body", "ref"},
		{"binding bad ref type", "PATCH", "/actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{map[string]any{"ref": map[string]any{"type": "nope", "value": id}}}}, 400, "invalid_body", "enum"},
		{"binding unknown action", "PATCH", "/actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{map[string]any{"ref": map[string]any{"type": "action_id", "value": "nope"}}}}, 400, "invalid_body", "nope"},
		{"binding not deployed", "PATCH", "/actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{map[string]any{"ref": map[string]any{"type": "action_id", "value": id}}}}, 400, "invalid_body", "not deployed"},
		{"execution unknown", "GET", "/actions/executions/nope", nil, 404, "not_found", ""},
		{"triggers with a query", "GET", "/actions/triggers?x=1", nil, 400, "invalid_query_string", ""},
		{"put on actions", "PUT", "/actions/actions/" + id, map[string]any{}, 405, "method_not_allowed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.req(tc.method, tc.path, all, tc.body)
			expect(t, r, tc.status, tc.code, "")
			if msg, _ := r.json(t)["message"].(string); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q does not mention %q", msg, tc.msg)
			}
		})
	}
	// Nothing above changed the Action.
	if got := e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t); got["code"] != ceCode || got["runtime"] != "node22" || len(got["secrets"].([]any)) != 0 {
		t.Fatalf("the action changed: %v", got)
	}
	// Scopes: each route wants its own.
	for _, tc := range []struct{ method, path, scope string }{
		{"GET", "/actions/actions", "read:hooks"},
		{"POST", "/actions/actions", "read:actions"},
		{"PATCH", "/actions/actions/" + id, "create:actions"},
		{"DELETE", "/actions/actions/" + id, "update:actions"},
		{"POST", "/actions/actions/" + id + "/deploy", "read:actions"},
		{"GET", "/actions/triggers", "update:actions"},
		{"PATCH", "/actions/triggers/post-login/bindings", "read:actions"},
		{"GET", "/actions/executions/x", "update:actions"},
	} {
		expect(t, e.req(tc.method, tc.path, tc.scope, map[string]any{}), 403, "insufficient_scope", "")
	}
	for _, s := range []string{"read:actions", "create:actions", "update:actions", "delete:actions"} {
		if !slices.Contains(mgmt.Scopes(), s) {
			t.Errorf("mgmt.Scopes() lacks %s", s)
		}
	}
}

func TestActionsTenantLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 0; i < 100; i++ {
		if err := e.store.CreateAction(context.Background(), storage.Action{
			Tenant: tenant, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("a%03d", i),
			SupportedTriggers: []storage.ActionTrigger{{ID: "credentials-exchange", Version: "v2"}},
			Runtime:           "node22", Status: storage.ActionBuilt, CreatedAt: testNow, UpdatedAt: testNow,
		}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.req("POST", "/actions/actions", "create:actions", map[string]any{
		"name": "one-too-many", "supported_triggers": []any{map[string]any{"id": "credentials-exchange", "version": "v2"}},
	})
	expect(t, r, 400, "invalid_body", "")
	if !strings.Contains(r.json(t)["message"].(string), "100") {
		t.Errorf("message %s", r.body)
	}
}

func TestActionsDeployVersionsRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.createAction("versioned", map[string]any{"secrets": []any{map[string]any{"name": "KEY", "value": "one"}}})
	id := a["id"].(string)
	v1 := e.deployAction(id)
	if !uuidPattern.MatchString(v1["id"].(string)) || v1["action_id"] != id || v1["number"] != 1.0 || v1["deployed"] != true ||
		v1["status"] != "built" || v1["code"] != ceCode || v1["runtime"] != "node22" {
		t.Fatalf("deploy: %v", v1)
	}
	if got, _ := json.Marshal(v1["secrets"]); string(got) != `[{"name":"KEY","updated_at":"2026-11-20T12:00:00.000Z"}]` {
		t.Errorf("version secrets %s", got)
	}
	if act, _ := v1["action"].(map[string]any); act["id"] != id || act["name"] != "versioned" || act["all_changes_deployed"] != true {
		t.Errorf("version.action %v", v1["action"])
	}
	if errs, _ := v1["errors"].([]any); errs == nil || len(errs) != 0 {
		t.Errorf("errors %v", v1["errors"])
	}
	got := e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t)
	dv, _ := got["deployed_version"].(map[string]any)
	if got["all_changes_deployed"] != true || dv["id"] != v1["id"] || dv["number"] != 1.0 {
		t.Fatalf("after deploy: %v", got)
	}

	// A new draft: not deployed until deployed.
	code2 := strings.Replace(ceCode, "k'", "k2'", 1)
	got = e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"code": code2}).json(t)
	if got["all_changes_deployed"] != false || got["deployed_version"].(map[string]any)["code"] != ceCode {
		t.Fatalf("after edit: %v", got)
	}
	v2 := e.deployAction(id)
	if v2["number"] != 2.0 || v2["code"] != code2 {
		t.Fatalf("second deploy %v", v2)
	}
	r := e.req("GET", "/actions/actions/"+id+"/versions", "read:actions", nil)
	expect(t, r, 200, "", "")
	vs := r.json(t)
	list := vs["versions"].([]any)
	if vs["total"] != 2.0 || vs["page"] != 0.0 || vs["per_page"] != 50.0 || len(list) != 2 ||
		list[0].(map[string]any)["number"] != 2.0 || list[0].(map[string]any)["deployed"] != true ||
		list[1].(map[string]any)["number"] != 1.0 || list[1].(map[string]any)["deployed"] != false {
		t.Fatalf("versions %v", vs)
	}
	if p := e.req("GET", "/actions/actions/"+id+"/versions?per_page=1&page=1", "read:actions", nil).json(t); len(p["versions"].([]any)) != 1 || p["versions"].([]any)[0].(map[string]any)["number"] != 1.0 {
		t.Fatalf("versions page 1: %v", p)
	}
	r = e.req("GET", "/actions/actions/"+id+"/versions/"+v1["id"].(string), "read:actions", nil)
	expect(t, r, 200, "", "")
	if g := r.json(t); g["id"] != v1["id"] || g["code"] != ceCode || g["deployed"] != false {
		t.Fatalf("version 1 %v", g)
	}

	// Rollback to version 1: a new version 3 with version 1's code; the
	// draft stays as it was unless update_draft says otherwise. node-auth0
	// sends the JSON text null as the body when given none.
	r = e.req("POST", "/actions/actions/"+id+"/versions/"+v1["id"].(string)+"/deploy", "create:actions", "null")
	expect(t, r, 202, "", "")
	v3 := r.json(t)
	if v3["number"] != 3.0 || v3["code"] != ceCode || v3["deployed"] != true || v3["id"] == v1["id"] {
		t.Fatalf("rollback %v", v3)
	}
	stored, _ := e.store.GetActionVersion(context.Background(), tenant, id, v3["id"].(string))
	if len(stored.Secrets) != 1 || stored.Secrets[0].Value != "one" {
		t.Fatalf("rolled-back secrets %+v", stored.Secrets)
	}
	got = e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t)
	if got["code"] != code2 || got["all_changes_deployed"] != false || got["deployed_version"].(map[string]any)["number"] != 3.0 {
		t.Fatalf("after rollback %v", got)
	}
	r = e.req("POST", "/actions/actions/"+id+"/versions/"+v1["id"].(string)+"/deploy", "create:actions", map[string]any{"update_draft": true})
	expect(t, r, 202, "", "")
	got = e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t)
	if got["code"] != ceCode || got["all_changes_deployed"] != true || got["deployed_version"].(map[string]any)["number"] != 4.0 {
		t.Fatalf("after rollback with update_draft %v", got)
	}
	if l := e.req("GET", "/actions/actions?deployed=true", "read:actions", nil).json(t); l["total"] != 1.0 {
		t.Fatalf("deployed filter %v", l)
	}
}

func TestActionBindings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.req("GET", "/actions/triggers", "read:actions", nil)
	expect(t, r, 200, "", "")
	var tr struct {
		Triggers []map[string]any `json:"triggers"`
	}
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, x := range tr.Triggers {
		ids[x["id"].(string)] = x["version"].(string)
		if x["status"] != "CURRENT" || x["default_runtime"] != "node22" || x["binding_policy"] != "trigger-bound" || len(x["runtimes"].([]any)) != 2 {
			t.Errorf("trigger %v", x)
		}
		// The trigger table's own extensions, which the dashboard and
		// the CLI start from.
		ev, _ := x["default_event"].(map[string]any)
		if x["label"] == "" || !strings.Contains(x["starter_code"].(string), "exports.onExecute") || ev["client"] == nil {
			t.Errorf("trigger %v lacks its label, starter code or default event", x["id"])
		}
	}
	if len(ids) != 2 || ids["credentials-exchange"] != "v2" || ids["post-login"] != "v3" {
		t.Fatalf("triggers %s", r.body)
	}

	first := e.createAction("first", nil)["id"].(string)
	second := e.createAction("second", nil)["id"].(string)
	login := e.createAction("login", map[string]any{"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}}, "code": plCode})["id"].(string)
	e.deployAction(first)
	e.deployAction(login)
	bind := func(trigger string, refs ...map[string]any) resp {
		var list []any
		for _, ref := range refs {
			list = append(list, ref)
		}
		if list == nil {
			list = []any{}
		}
		return e.req("PATCH", "/actions/triggers/"+trigger+"/bindings", "update:actions", map[string]any{"bindings": list})
	}
	byID := func(id, display string) map[string]any {
		m := map[string]any{"ref": map[string]any{"type": "action_id", "value": id}}
		if display != "" {
			m["display_name"] = display
		}
		return m
	}
	// Not deployed yet, and the wrong trigger: refused, nothing bound.
	expect(t, bind("credentials-exchange", byID(first, ""), byID(second, "")), 400, "invalid_body", "")
	expect(t, bind("credentials-exchange", byID(login, "")), 400, "invalid_body", "")
	expect(t, bind("credentials-exchange", byID(first, ""), byID(first, "")), 400, "invalid_body", "")
	e.deployAction(second)

	r = bind("credentials-exchange", byID(second, "Second"), map[string]any{"ref": map[string]any{"type": "action_name", "value": "first"}})
	expect(t, r, 200, "", "")
	patched := r.json(t)["bindings"].([]any)
	if len(patched) != 2 {
		t.Fatalf("patch answer %s", r.body)
	}
	b0 := patched[0].(map[string]any)
	if !uuidPattern.MatchString(b0["id"].(string)) || b0["trigger_id"] != "credentials-exchange" || b0["display_name"] != "Second" ||
		b0["action"].(map[string]any)["id"] != second || b0["created_at"] != "2026-11-20T12:00:00.000Z" {
		t.Fatalf("binding %v", b0)
	}
	if b1 := patched[1].(map[string]any); b1["display_name"] != "first" || b1["action"].(map[string]any)["name"] != "first" {
		t.Fatalf("binding %v", b1)
	}
	order := func(trigger string) []string {
		t.Helper()
		r := e.req("GET", "/actions/triggers/"+trigger+"/bindings", "read:actions", nil)
		expect(t, r, 200, "", "")
		m := r.json(t)
		var out []string
		for _, b := range m["bindings"].([]any) {
			out = append(out, b.(map[string]any)["action"].(map[string]any)["name"].(string))
		}
		if m["total"] != float64(len(out)) && m["per_page"] == 50.0 {
			t.Errorf("total %v for %v", m["total"], out)
		}
		return out
	}
	if got := order("credentials-exchange"); !slices.Equal(got, []string{"second", "first"}) {
		t.Fatalf("order %v", got)
	}
	// Reordered by binding id: the same bindings, the new order.
	r = bind("credentials-exchange", map[string]any{"ref": map[string]any{"type": "binding_id", "value": patched[1].(map[string]any)["id"]}},
		map[string]any{"ref": map[string]any{"type": "binding_id", "value": b0["id"]}})
	expect(t, r, 200, "", "")
	re := r.json(t)["bindings"].([]any)
	if re[1].(map[string]any)["id"] != b0["id"] || re[1].(map[string]any)["display_name"] != "Second" {
		t.Fatalf("reorder kept neither id nor display name: %s", r.body)
	}
	if got := order("credentials-exchange"); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("order after reorder %v", got)
	}
	if p := e.req("GET", "/actions/triggers/credentials-exchange/bindings?per_page=1&page=1", "read:actions", nil).json(t); p["total"] != 2.0 || len(p["bindings"].([]any)) != 1 {
		t.Fatalf("bindings page %v", p)
	}
	if got := e.req("GET", "/actions/actions?installed=true", "read:actions", nil).json(t); got["total"] != 2.0 {
		t.Fatalf("installed filter %v", got)
	}
	// What the token path will run: the storage's bound view in order.
	bound, err := e.store.ListActionBindings(context.Background(), tenant, "credentials-exchange")
	if err != nil || len(bound) != 2 || bound[0].ActionID != first || bound[1].ActionID != second {
		t.Fatalf("stored bindings %+v %v", bound, err)
	}

	// More than 20 on one trigger is refused.
	var many []map[string]any
	for i := 0; i < 21; i++ {
		many = append(many, byID(first, ""))
	}
	expect(t, bind("credentials-exchange", many...), 400, "invalid_body", "")

	// A bound Action cannot move to another trigger, nor be deleted
	// without force.
	expect(t, e.req("PATCH", "/actions/actions/"+first, "update:actions", map[string]any{
		"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}},
	}), 400, "invalid_body", "")
	expect(t, e.req("DELETE", "/actions/actions/"+first, "delete:actions", nil), 409, "conflict", "Unable to delete an action bound to a trigger.")
	expect(t, e.req("DELETE", "/actions/actions/"+first+"?force=true", "delete:actions", nil), 204, "", "")
	if got := order("credentials-exchange"); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("after forced delete %v", got)
	}
	// Emptying a trigger.
	expect(t, bind("credentials-exchange"), 200, "", "")
	if got := order("credentials-exchange"); len(got) != 0 {
		t.Fatalf("after unbinding %v", got)
	}
	expect(t, e.req("DELETE", "/actions/actions/"+second, "delete:actions", nil), 204, "", "")
	if got := e.req("GET", "/actions/triggers/pre-user-registration/bindings", "read:actions", nil).json(t); got["total"] != 0.0 {
		t.Fatalf("a trigger this server does not run %v", got)
	}
}

func TestActionExecutions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	details := map[string]any{
		"executions": []any{"01JEXEC0000000000000000001"},
		"trigger_id": "credentials-exchange",
		"results": []any{
			map[string]any{"action_id": "a1", "action_name": "first", "version_id": "v1",
				"started_at": "2026-11-20T11:59:00.001234Z", "ended_at": "2026-11-20T11:59:00.005Z"},
			map[string]any{"action_id": "a2", "action_name": "second", "version_id": "v2",
				"started_at": "2026-11-20T11:59:00.006Z", "ended_at": "2026-11-20T11:59:00.009Z",
				"error": map[string]any{"id": "invalid_scope", "msg": "no"}},
		},
	}
	events := []storage.LogEvent{
		{Tenant: tenant, LogID: "01JEXEC0000000000000000001", Date: testNow.Add(-time.Minute), Type: "feccft", Details: map[string]any{"actions": details}},
		{Tenant: tenant, LogID: "01JEXEC0000000000000000002", Date: testNow.Add(-time.Minute), Type: "seccft", Details: map[string]any{"hook": "h"}},
		{Tenant: tenant, LogID: "01JEXEC0000000000000000003", Date: testNow.Add(-11 * 24 * time.Hour), Type: "seccft", Details: map[string]any{"actions": details}},
	}
	if err := e.store.AppendLogEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	r := e.req("GET", "/actions/executions/01JEXEC0000000000000000001", "read:actions", nil)
	expect(t, r, 200, "", "")
	want := `{"id":"01JEXEC0000000000000000001","trigger_id":"credentials-exchange","status":"partial","results":[` +
		`{"action_name":"first","started_at":"2026-11-20T11:59:00.001234Z","ended_at":"2026-11-20T11:59:00.005Z"},` +
		`{"action_name":"second","error":{"id":"invalid_scope","msg":"no"},"started_at":"2026-11-20T11:59:00.006Z","ended_at":"2026-11-20T11:59:00.009Z"}],` +
		`"created_at":"2026-11-20T11:59:00.001Z","updated_at":"2026-11-20T11:59:00.009Z"}`
	if string(r.body) != want {
		t.Fatalf("execution\n%s\nwant\n%s", r.body, want)
	}
	expect(t, e.req("GET", "/actions/executions/01JEXEC0000000000000000002", "read:actions", nil), 404, "not_found", "Execution not found.")
	expect(t, e.req("GET", "/actions/executions/01JEXEC0000000000000000003", "read:actions", nil), 404, "not_found", "Execution not found.")
}

// TestActionTestEndpoint runs the saved draft through the runtime's own
// runner (the one the server wires), on the embedded engine.
func TestActionTestEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(d *mgmt.Deps) { d.Actions = actions.NewRunner(d.Hooks.(*hooks.Runner), d.Now) })
	id := e.createAction("tested", map[string]any{"secrets": []any{map[string]any{"name": "KEY", "value": "from-secret"}}})["id"].(string)
	e.deployAction(id)
	draft := "exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('https://x.test/draft', event.secrets.KEY + ':' + event.client.client_id);\n};\n"
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"code": draft}), 200, "", "")
	r := e.req("POST", "/actions/actions/"+id+"/test", "create:actions", map[string]any{"payload": map[string]any{
		"client":      map[string]any{"client_id": "cid", "name": "app", "metadata": map[string]any{}},
		"accessToken": map[string]any{"scope": []any{}, "customClaims": map[string]any{}},
	}})
	expect(t, r, 200, "", "")
	var out struct {
		Payload struct {
			Result struct {
				AccessToken struct {
					CustomClaims map[string]any `json:"customClaims"`
				} `json:"accessToken"`
			} `json:"result"`
			Error any `json:"error"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	// The saved draft ran (not the deployed version), with its secrets.
	if out.Payload.Error != nil || out.Payload.Result.AccessToken.CustomClaims["https://x.test/draft"] != "from-secret:cid" {
		t.Fatalf("test answer %s", r.body)
	}
	expect(t, e.req("POST", "/actions/actions/"+id+"/test", "create:actions", map[string]any{"payload": []any{}}), 400, "invalid_body", "")

	bare := newEnvWith(t, func(d *mgmt.Deps) { d.Actions = nil })
	id = bare.createAction("tested", nil)["id"].(string)
	r = bare.req("POST", "/actions/actions/"+id+"/test", "create:actions", map[string]any{"payload": map[string]any{}})
	expect(t, r, 400, "operation_not_supported", "")
}

// TestActionBuildWithDependencies: an Action with npm dependencies is
// saved pending, installed in the background (real npm) and becomes
// built; deploying before that is refused with Auth0's wording; a
// dependency npm cannot install ends the build failed, with npm's reason.
func TestActionBuildWithDependencies(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: npm installs from the registry run in make test")
	}
	if err := nodeAvailableForTests(); err != nil {
		t.Skipf("Node.js is not available: %v", err)
	}
	e := newEnv(t)
	code := "const ms = require('ms');\nexports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('https://x.test/ms', ms('1h'));\n};\n"
	a := e.createAction("with-deps", map[string]any{"code": code, "dependencies": []any{map[string]any{"name": "ms", "version": "2.1.3"}}})
	id := a["id"].(string)
	if a["status"] != "pending" && a["status"] != "building" {
		t.Fatalf("status at create %v", a["status"])
	}
	if got, _ := json.Marshal(a["dependencies"]); string(got) != `[{"name":"ms","version":"2.1.3"}]` {
		t.Errorf("dependencies %s", got)
	}
	if r := e.req("POST", "/actions/actions/"+id+"/deploy", "create:actions", nil); r.status != 202 {
		// The build may already be done on a warm npm cache; when it is
		// not, the deploy is refused as Auth0 refuses it.
		expect(t, r, 400, "invalid_body", "")
		if !strings.Contains(string(r.body), "must be in the 'built' state") {
			t.Fatalf("deploy before built: %s", r.body)
		}
	}
	e.api.WaitBuilds()
	got := e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t)
	if got["status"] != "built" || got["built_at"] == nil {
		t.Fatalf("after the build: %v", got)
	}
	stored, _ := e.store.GetAction(context.Background(), tenant, id)
	if stored.Engine != storage.RuntimeNode || stored.Modules == "" {
		t.Fatalf("stored build %+v", stored)
	}
	v := e.deployAction(id)
	if v["status"] != "built" {
		t.Fatalf("deployed %v", v)
	}
	// A build a restart interrupted (the draft left "building", no build
	// running here) is resumed by the next read.
	if _, err := e.store.UpdateAction(context.Background(), tenant, id, func(a storage.Action) (storage.Action, error) {
		a.Status, a.Modules, a.BuiltAt = storage.ActionBuilding, "", time.Time{}
		return a, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t); got["status"] != "building" {
		t.Fatalf("interrupted build reads as %v", got["status"])
	}
	e.api.WaitBuilds()
	if got := e.req("GET", "/actions/actions/"+id, "read:actions", nil).json(t); got["status"] != "built" {
		t.Fatalf("resumed build: %v", got)
	}
	// The same dependencies again: the installed tree is reused, built at
	// once.
	got = e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"code": code + "// edit\n"}).json(t)
	if got["status"] != "built" {
		t.Fatalf("edit with the same dependencies: %v", got)
	}

	bad := e.createAction("bad-deps", map[string]any{"dependencies": []any{map[string]any{"name": "tokenhook-no-such-package-x9q", "version": "1.0.0"}}})
	e.api.WaitBuilds()
	got = e.req("GET", "/actions/actions/"+bad["id"].(string), "read:actions", nil).json(t)
	errs, _ := got["errors"].([]any)
	if got["status"] != "failed" || len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["msg"].(string), "tokenhook-no-such-package-x9q") {
		t.Fatalf("failed build: %v", got)
	}
	r := e.req("POST", "/actions/actions/"+bad["id"].(string)+"/deploy", "create:actions", nil)
	expect(t, r, 400, "invalid_body", "")
	// Not the wording deploy-cli retries on for two minutes: a failed
	// build stays failed.
	if strings.Contains(string(r.body), "'built' state") || !strings.Contains(string(r.body), "tokenhook-no-such-package-x9q") {
		t.Fatalf("deploy of a failed build: %s", r.body)
	}
}

func nodeAvailableForTests() error { return nodeAvailable() }

// TestActionsNoServerErrors sends bodies of every JSON type, and wrong
// types inside objects, to every Actions route: each answer is Auth0's
// error shape or a success, never a 5xx.
func TestActionsNoServerErrors(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(d *mgmt.Deps) { d.Actions = actions.NewRunner(d.Hooks.(*hooks.Runner), d.Now) })
	id := e.createAction("target", nil)["id"].(string)
	v := e.deployAction(id)["id"].(string)
	routes := []struct{ method, path string }{
		{"POST", "/actions/actions"},
		{"PATCH", "/actions/actions/" + id},
		{"POST", "/actions/actions/" + id + "/deploy"},
		{"POST", "/actions/actions/" + id + "/test"},
		{"POST", "/actions/actions/" + id + "/versions/" + v + "/deploy"},
		{"PATCH", "/actions/triggers/credentials-exchange/bindings"},
		{"PATCH", "/actions/triggers/post-login/bindings"},
	}
	bodies := []string{`null`, `[]`, `"x"`, `1`, `true`, `{}`, `{"name":null}`, `{"name":1}`,
		`{"supported_triggers":null}`, `{"supported_triggers":[null]}`, `{"supported_triggers":[{"id":null}]}`,
		`{"supported_triggers":[{"id":"post-login","version":3}]}`, `{"code":null}`, `{"code":{}}`,
		`{"dependencies":[null]}`, `{"dependencies":[{"name":"x","version":null}]}`, `{"dependencies":"x"}`,
		`{"secrets":[null]}`, `{"secrets":[{"name":"A","value":null}]}`, `{"secrets":{"A":"b"}}`,
		`{"runtime":null}`, `{"modules":{}}`, `{"bindings":null}`, `{"bindings":[null]}`, `{"bindings":[{"ref":null}]}`,
		`{"bindings":[{"ref":{"type":"action_id","value":null}}]}`, `{"bindings":[{"ref":{"type":null,"value":"x"}}]}`,
		`{"bindings":[{"ref":{"type":"binding_id","value":"nope"}}]}`, `{"bindings":[{"ref":{"type":"action_name","value":"target"},"display_name":7}]}`,
		`{"bindings":[{"ref":{"type":"action_name","value":"target"},"secrets":[{"name":"A","value":"b"}]}]}`,
		`{"payload":null}`, `{"payload":{"client":1,"accessToken":"x","secrets":[]}}`, `{"update_draft":null}`, `{"update_draft":1}`,
	}
	for _, rt := range routes {
		for _, b := range bodies {
			r := e.req(rt.method, rt.path, all, b)
			if r.status >= 500 {
				t.Errorf("%s %s %s: %d %s", rt.method, rt.path, b, r.status, r.body)
			}
			if r.status >= 400 {
				expect(t, r, r.status, r.json(t)["errorCode"].(string), "")
			}
		}
	}
	for _, path := range []string{"/actions/actions?page=-1", "/actions/actions?actionName=%00", "/actions/actions/%ff",
		"/actions/actions/" + id + "/versions?per_page=x", "/actions/executions/%20", "/actions/triggers/%00/bindings",
		"/actions/triggers/credentials-exchange/bindings?page=99999999999"} {
		if r := e.req("GET", path, all, nil); r.status >= 500 || r.status < 400 {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}
