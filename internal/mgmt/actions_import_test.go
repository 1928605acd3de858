package mgmt_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// TestActionSecretsFromAnImport: what a0deploy's import sends for Action
// secrets. Its export holds names only ([{name}]), and an export written
// by hand the way hook exports look holds Auth0's placeholder
// _VALUE_NOT_SHOWN_. Either creates the secret without a value: undefined
// to the code, a warning in the tenant log; neither overwrites a value
// set since, when the same directory is imported again (a PATCH).
func TestActionSecretsFromAnImport(t *testing.T) {
	t.Parallel()
	rec := &events{}
	e := newEnvWith(t, func(d *mgmt.Deps) {
		d.Events = rec
		d.Actions = actions.NewRunner(d.Hooks.(*hooks.Runner), d.Now)
	})
	code := "exports.onExecuteCredentialsExchange = async (event, api) => {\n" +
		"  api.accessToken.setCustomClaim('https://x.test/s', Object.keys(event.secrets).sort().join(',') + '|' + typeof event.secrets.PLACEHOLDER + '|' + event.secrets.SET);\n};\n"
	secrets := []any{
		map[string]any{"name": "NAME_ONLY"},
		map[string]any{"name": "PLACEHOLDER", "value": "_VALUE_NOT_SHOWN_"},
		map[string]any{"name": "SET", "value": "real"},
	}
	id := e.createAction("imported", map[string]any{"code": code, "secrets": secrets})["id"].(string)
	stored := func() map[string]string {
		t.Helper()
		a, err := e.store.GetAction(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range a.Secrets {
			out[s.Name] = s.Value
		}
		return out
	}
	if s := stored(); !reflect.DeepEqual(s, map[string]string{"NAME_ONLY": storage.SecretUnset, "PLACEHOLDER": storage.SecretUnset, "SET": "real"}) {
		t.Fatalf("stored %v", s)
	}
	claim := func() any {
		t.Helper()
		r := e.req("POST", "/actions/actions/"+id+"/test", "create:actions", map[string]any{"payload": map[string]any{}})
		expect(t, r, 200, "", "")
		var out struct {
			Payload struct {
				Result struct {
					AccessToken struct {
						CustomClaims map[string]any `json:"customClaims"`
					} `json:"accessToken"`
				} `json:"result"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatal(err)
		}
		return out.Payload.Result.AccessToken.CustomClaims["https://x.test/s"]
	}
	if got := claim(); got != "SET|undefined|real" {
		t.Fatalf("the code saw %v", got)
	}
	evs := rec.all()
	if len(evs) != 1 || evs[0].Type != "w" || evs[0].Details["action_id"] != id ||
		!reflect.DeepEqual(evs[0].Details["unset_secrets"], []string{"NAME_ONLY", "PLACEHOLDER"}) {
		t.Fatalf("tenant log %+v", evs)
	}

	// The operator sets the values; importing the same directory again
	// (deploy-cli PATCHes the whole file) keeps them.
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"secrets": []any{
		map[string]any{"name": "NAME_ONLY", "value": "n"}, map[string]any{"name": "PLACEHOLDER", "value": "p"}, map[string]any{"name": "SET"},
	}}), 200, "", "")
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"code": code, "secrets": secrets}), 200, "", "")
	if s := stored(); !reflect.DeepEqual(s, map[string]string{"NAME_ONLY": "n", "PLACEHOLDER": "p", "SET": "real"}) {
		t.Fatalf("stored after the second import %v", s)
	}
	if got := claim(); got != "NAME_ONLY,PLACEHOLDER,SET|string|real" {
		t.Fatalf("the code saw %v", got)
	}
	if n := len(rec.all()); n != 1 {
		t.Fatalf("%d tenant log events, want the first only", n)
	}
}

// TestActionModulesInAnImport: exports from tenants that have Auth0's
// Actions Modules carry "modules"; an empty list imports, a used module
// is refused by name.
func TestActionModulesInAnImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.createAction("no-modules", map[string]any{"modules": []any{}})["id"].(string)
	expect(t, e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"modules": []any{}}), 200, "", "")
	mod := []any{map[string]any{"module_name": "shared", "module_version_number": 1}}
	trig := []any{map[string]any{"id": "credentials-exchange", "version": "v2"}}
	for _, r := range []resp{
		e.req("POST", "/actions/actions", "create:actions", map[string]any{"name": "x", "supported_triggers": trig, "modules": mod}),
		e.req("PATCH", "/actions/actions/"+id, "update:actions", map[string]any{"modules": mod}),
	} {
		expect(t, r, 400, "invalid_body", "")
		if !strings.Contains(string(r.body), "Actions Modules are not supported") {
			t.Fatalf("modules refused with %s", r.body)
		}
	}
}

// TestEmptyBindingsOfATriggerNotRunHere: a deploy-cli triggers.json from
// Auth0 whose Actions of other triggers were removed keeps those triggers
// as empty lists; emptying them is accepted (they are empty here), binding
// anything to them is not.
func TestEmptyBindingsOfATriggerNotRunHere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.req("PATCH", "/actions/triggers/post-user-registration/bindings", "update:actions", map[string]any{"bindings": []any{}})
	expect(t, r, 200, "", "")
	if string(r.body) != `{"bindings":[]}` {
		t.Fatalf("emptied: %s", r.body)
	}
	id := e.createAction("ce", nil)["id"].(string)
	e.deployAction(id)
	r = e.req("PATCH", "/actions/triggers/post-user-registration/bindings", "update:actions", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_id", "value": id}}}})
	expect(t, r, 400, "invalid_uri", "")
}
