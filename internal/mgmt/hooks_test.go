package mgmt_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

const addScope = `module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;
  access_token.scope.push('read:resource');
  cb(null, access_token);
};`

// createHook creates a hook and returns its JSON.
func (e *env) createHook(body map[string]any) map[string]any {
	e.t.Helper()
	r := e.req("POST", "/hooks", all, body)
	expect(e.t, r, 201, "", "")
	return r.json(e.t)
}

func hookBody(name string, enabled bool) map[string]any {
	return map[string]any{"name": name, "script": addScope, "triggerId": "credentials-exchange", "enabled": enabled}
}

func TestHookCreateShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A dependency is a real npm install: under -short (make test-unit)
	// the hook has none, and the install's fields are checked in make test.
	withDeps := !testing.Short()
	body := map[string]any{"name": "add scope", "script": addScope, "triggerId": "credentials-exchange"}
	if withDeps {
		body["dependencies"] = map[string]string{"lodash": "4.17.21"}
	}
	h := e.createHook(body)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{"dependencies", "enabled", "id", "install", "installed", "name", "runtime", "script", "triggerId"}
	if !withDeps {
		want = []string{"dependencies", "enabled", "id", "name", "runtime", "script", "triggerId"}
	}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("hook properties %v, want %v", keys, want)
	}
	if id := h["id"].(string); len(id) != 26 {
		t.Fatalf("id %q is not a 26-char ULID", id)
	}
	if h["enabled"] != false || h["name"] != "add scope" || h["script"] != addScope || h["triggerId"] != "credentials-exchange" {
		t.Fatalf("hook %v", h)
	}
	if withDeps && !reflect.DeepEqual(h["dependencies"], map[string]any{"lodash": "4.17.21"}) {
		t.Fatalf("dependencies %v", h["dependencies"])
	}
	// Dependencies default to {} rather than null.
	h2 := e.createHook(hookBody("other", false))
	if !reflect.DeepEqual(h2["dependencies"], map[string]any{}) {
		t.Fatalf("default dependencies %v", h2["dependencies"])
	}
	got := e.req("GET", "/hooks/"+h["id"].(string), "read:hooks", nil)
	expect(t, got, 200, "", "")
	if !reflect.DeepEqual(got.json(t), h) {
		t.Fatalf("GET %s, want %v", got.body, h)
	}
}

func TestHookCreateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createHook(hookBody("taken", false))
	pattern := `^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$`
	cases := []struct {
		name   string
		scopes string
		body   any
		status int
		code   string
		msg    string
	}{
		{"no scope", "read:hooks", hookBody("x", false), 403, "insufficient_scope", "Insufficient scope, expected any of: create:hooks"},
		{"missing name", all, map[string]any{"script": addScope, "triggerId": "credentials-exchange"}, 400, "invalid_body",
			"Payload validation error: 'Missing required property: name'."},
		{"missing script", all, map[string]any{"name": "a", "triggerId": "credentials-exchange"}, 400, "invalid_body",
			"Payload validation error: 'Missing required property: script'."},
		{"missing triggerId", all, map[string]any{"name": "a", "script": addScope}, 400, "invalid_body",
			"Payload validation error: 'Missing required property: triggerId'."},
		{"bad name", all, map[string]any{"name": "bad_name!", "script": addScope, "triggerId": "credentials-exchange"}, 400, "invalid_body",
			"Payload validation error: 'String does not match pattern: " + pattern + "' on property name."},
		{"trailing space", all, map[string]any{"name": "a ", "script": addScope, "triggerId": "credentials-exchange"}, 400, "invalid_body", ""},
		{"leading dash", all, map[string]any{"name": "-a", "script": addScope, "triggerId": "credentials-exchange"}, 400, "invalid_body", ""},
		{"unknown trigger", all, map[string]any{"name": "a", "script": addScope, "triggerId": "nope"}, 400, "invalid_body",
			`Payload validation error: 'No enum match for: "nope"' on property triggerId.`},
		{"unsupported Auth0 trigger", all, map[string]any{"name": "a", "script": addScope, "triggerId": "send-phone-message"}, 400, "invalid_body", ""},
		{"empty script", all, map[string]any{"name": "a", "script": "", "triggerId": "credentials-exchange"}, 400, "invalid_body",
			"Payload validation error: 'String is too short (0 chars), minimum 1' on property script."},
		{"unknown property", all, map[string]any{"name": "a", "script": addScope, "triggerId": "credentials-exchange", "secrets": map[string]string{}}, 400, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: secrets'."},
		{"enabled not boolean", all, map[string]any{"name": "a", "script": addScope, "triggerId": "credentials-exchange", "enabled": "yes"}, 400, "invalid_body", ""},
		{"name taken", all, hookBody("taken", false), 409, "conflict", "Hook with the same name already exists."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, e.req("POST", "/hooks", c.scopes, c.body), c.status, c.code, c.msg)
		})
	}
	// Nothing was saved by the failures.
	if l := e.req("GET", "/hooks", all, nil).list(t); len(l) != 1 {
		t.Fatalf("%d hooks after failed creates", len(l))
	}
}

// A script that does not compile is refused at save time with its line and
// column (beyond Auth0, which saved it and failed every token request).
func TestHookCompileErrorAtSave(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	broken := "module.exports = function(client, scope, audience, context, cb) {\n  var x = ;\n  cb(null, {});\n};"
	r := e.req("POST", "/hooks", all, map[string]any{"name": "broken", "script": broken, "triggerId": "credentials-exchange"})
	expect(t, r, 400, "invalid_body", "")
	msg := r.json(t)["message"].(string)
	if !strings.Contains(msg, "line 2, column 11") || !strings.Contains(msg, "on property script") {
		t.Fatalf("message %q does not name line 2, column 11", msg)
	}
	h := e.createHook(hookBody("ok", false))
	r = e.req("PATCH", "/hooks/"+h["id"].(string), all, map[string]any{"script": "function ("})
	expect(t, r, 400, "invalid_body", "")
	if msg := r.json(t)["message"].(string); !strings.Contains(msg, "line 1, column") {
		t.Fatalf("PATCH message %q", msg)
	}
	// The stored script is unchanged.
	if got := e.req("GET", "/hooks/"+h["id"].(string), all, nil).json(t)["script"]; got != addScope {
		t.Fatalf("script changed to %q", got)
	}
}

// TestHookSyntaxErrorPositions: saving (POST, PATCH) and the runner (saved
// hook with edited code, unsaved code) refuse a script with a syntax error
// in Auth0's 400 shape, naming the user's own line and column, also when
// the script ends too early (the module wrapper's "})" is never blamed).
func TestHookSyntaxErrorPositions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.createHook(hookBody("ok", false))
	id := h["id"].(string)
	cases := []struct{ name, script, want string }{
		{"missing brace at the end", "module.exports = function (client, scope, audience, context, cb) {\n  cb(null, {});\n",
			"line 3, column 1: Unexpected end of input"},
		{"one line missing its brace", "module.exports = function (client, scope, audience, context, cb) { cb(null, {}) ",
			"line 1, column 81: Unexpected end of input"},
		{"stray token on line 3", "module.exports = function (client, scope, audience, context, cb) {\n  const a = 1;\n  const b = 2 3;\n  cb(null, {});\n};",
			"line 3, column 15: Unexpected number"},
		{"unterminated string", "module.exports = function (client, scope, audience, context, cb) {\n  const a = 'abc;\n  cb(null, {});\n};",
			"line 2, column 13: Invalid or unexpected token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := "Payload validation error: 'Script does not compile: " + c.want + "' on property script."
			for _, call := range []struct {
				method, path string
				body         map[string]any
			}{
				{"POST", "/hooks", map[string]any{"name": "broken", "script": c.script, "triggerId": "credentials-exchange"}},
				{"PATCH", "/hooks/" + id, map[string]any{"script": c.script}},
				{"POST", "/hooks/" + id + "/run", map[string]any{"script": c.script}},
				{"POST", "/hooks/run", map[string]any{"script": c.script, "triggerId": "credentials-exchange"}},
			} {
				r := e.req(call.method, call.path, all, call.body)
				expect(t, r, 400, "invalid_body", msg)
				if b := r.json(t); b["statusCode"] != float64(400) || b["error"] != "Bad Request" {
					t.Fatalf("%s %s: %s", call.method, call.path, r.body)
				}
			}
		})
	}
}

// TestHookNodeSyntaxAtSave: a hook that runs on Node.js is judged by
// Node's compiler when the embedded parser refuses it: syntax only Node
// knows saves and runs, a real mistake is still a 400 at the user's line
// and column, in Node's words; a hook that needs nothing of Node but
// syntax the embedded parser cannot read runs on Node.
func TestHookNodeSyntaxAtSave(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: needs the real Node.js runtime")
	}
	if err := nodeAvailable(); err != nil {
		t.Skipf("no Node.js: %v", err)
	}
	e := newEnv(t)
	const forAwait = "const https = require('https');\nmodule.exports = async function (client, scope, audience, context, cb) {\n  const seen = [];\n  for await (const s of [Promise.resolve(typeof https.request)]) seen.push(s);\n  cb(null, {'https://example.com/seen': seen.join()});\n};"
	h := e.createHook(map[string]any{"name": "node-await", "script": forAwait, "triggerId": "credentials-exchange"})
	if h["runtime"] != "node" {
		t.Fatalf("runtime %v", h["runtime"])
	}
	rep := decodeReport(t, e.req("POST", "/hooks/"+h["id"].(string)+"/run", all, map[string]any{}))
	if rep.Error != nil || rep.Result["https://example.com/seen"] != "function" {
		t.Fatalf("run: %+v", rep)
	}
	expect(t, e.req("PATCH", "/hooks/"+h["id"].(string), all, map[string]any{"script": forAwait + "\n"}), 200, "", "")
	expect(t, e.req("POST", "/hooks/run", all, map[string]any{"script": forAwait, "triggerId": "credentials-exchange"}), 200, "", "")

	// Without the require the hook needs nothing of Node but its syntax,
	// which the embedded parser cannot read: valid Node code (Auth0's hooks
	// ran on Node) runs on Node rather than being refused.
	embedded := strings.Replace(forAwait, "require('https')", "{request: function () {}}", 1)
	h2 := e.createHook(map[string]any{"name": "embedded-await", "script": embedded, "triggerId": "credentials-exchange"})
	if h2["runtime"] != "node" {
		t.Fatalf("for await without requires: runtime %v", h2["runtime"])
	}
	if rep := decodeReport(t, e.req("POST", "/hooks/run", all, map[string]any{"script": embedded, "triggerId": "credentials-exchange"})); rep.Error != nil || rep.Result["https://example.com/seen"] != "function" {
		t.Fatalf("run: %+v", rep)
	}
	// Intl in a locale the embedded engine's en-US subset cannot format:
	// Node's, when the server has it.
	const german = "module.exports = (c, s, a, x, cb) => cb(null, {'https://example.com/d': new Intl.DateTimeFormat('de-DE', {timeZone: 'UTC'}).format(new Date(0))});"
	if h3 := e.createHook(map[string]any{"name": "intl-de", "script": german, "triggerId": "credentials-exchange"}); h3["runtime"] != "node" {
		t.Fatalf("Intl: runtime %v", h3["runtime"])
	}
	if rep := decodeReport(t, e.req("POST", "/hooks/run", all, map[string]any{"script": german, "triggerId": "credentials-exchange"})); rep.Error != nil || rep.Result["https://example.com/d"] != "1.1.1970" {
		t.Fatalf("run Intl: %+v", rep)
	}

	for _, c := range []struct{ name, script, want string }{
		{"stray token on line 3", "const https = require('https');\nmodule.exports = function (client, scope, audience, context, cb) {\n  const b = 2 3;\n  cb(null, {});\n};",
			"line 3, column 15: Unexpected number"},
		{"missing brace at the end", "const https = require('https');\nmodule.exports = function (client, scope, audience, context, cb) { cb(null, {}) ",
			"line 2, column 81: Unexpected end of input"},
		{"extra brace, in Node's words", "const https = require('https');\nmodule.exports = function (client, scope, audience, context, cb) { cb(null, {}) }}",
			"line 2, column 82: Unexpected token '}'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := "Payload validation error: 'Script does not compile: " + c.want + "' on property script."
			expect(t, e.req("POST", "/hooks", all, map[string]any{"name": "broken", "script": c.script, "triggerId": "credentials-exchange"}), 400, "invalid_body", msg)
			expect(t, e.req("PATCH", "/hooks/"+h["id"].(string), all, map[string]any{"script": c.script}), 400, "invalid_body", msg)
			expect(t, e.req("POST", "/hooks/run", all, map[string]any{"script": c.script, "triggerId": "credentials-exchange"}), 400, "invalid_body", msg)
		})
	}
}

func TestHookList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createHook(hookBody("a", false))
	b := e.createHook(hookBody("b", true))
	e.createHook(map[string]any{"name": "c", "script": addScope, "triggerId": "password-exchange", "enabled": true})
	names := func(l []map[string]any) []string {
		var out []string
		for _, h := range l {
			out = append(out, h["name"].(string))
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		// password-exchange hooks are listed only when asked for: the
		// unfiltered list holds Auth0's trigger ids only (deploy-cli).
		{"", []string{"a", "b"}},
		{"?enabled=true", []string{"b"}},
		{"?triggerId=password-exchange", []string{"c"}},
		{"?enabled=false", []string{"a"}},
		{"?triggerId=credentials-exchange", []string{"a", "b"}},
		{"?triggerId=password-exchange&enabled=true", []string{"c"}},
		{"?triggerId=pre-user-registration", nil},
	}
	for _, tc := range cases {
		r := e.req("GET", "/hooks"+tc.query, "read:hooks", nil)
		expect(t, r, 200, "", "")
		// Hooks created in the same instant (the fixed test clock) come in
		// id order, which is random within one millisecond.
		if got := names(r.list(t)); !reflect.DeepEqual(slices.Sorted(slices.Values(got)), tc.want) {
			t.Errorf("GET /hooks%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	if l := e.req("GET", "/hooks?per_page=1&page=1", "read:hooks", nil).list(t); len(l) != 1 {
		t.Fatalf("second page of 1: %d hooks", len(l))
	}
	r := e.req("GET", "/hooks?include_totals=true&per_page=1&fields=id,name", "read:hooks", nil)
	expect(t, r, 200, "", "")
	var page struct {
		Start, Limit, Total int
		Hooks               []map[string]any
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || page.Limit != 1 || len(page.Hooks) != 1 || len(page.Hooks[0]) != 2 || page.Hooks[0]["name"] == nil {
		t.Fatalf("page %s", r.body)
	}
	r = e.req("GET", "/hooks/"+b["id"].(string)+"?fields=script&include_fields=false", "read:hooks", nil)
	if _, ok := r.json(t)["script"]; ok || r.json(t)["name"] != "b" {
		t.Fatalf("include_fields=false: %s", r.body)
	}
	expect(t, e.req("GET", "/hooks?triggerId=nope", all, nil), 400, "invalid_query_string", "")
	expect(t, e.req("GET", "/hooks?enabled=maybe", all, nil), 400, "invalid_query_string", "")
	expect(t, e.req("GET", "/hooks?name=a", all, nil), 400, "invalid_query_string", "")
	expect(t, e.req("GET", "/hooks", "create:hooks", nil), 403, "insufficient_scope", "Insufficient scope, expected any of: read:hooks")
}

func TestHookGetUpdateDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	missing := "01HZZZZZZZZZZZZZZZZZZZZZZZ"
	expect(t, e.req("GET", "/hooks/"+missing, all, nil), 404, "not_found", "Hook not found.")
	expect(t, e.req("PATCH", "/hooks/"+missing, all, map[string]any{"enabled": true}), 404, "not_found", "Hook not found.")
	expect(t, e.req("DELETE", "/hooks/"+missing, all, nil), 404, "not_found", "Hook not found.")

	a := e.createHook(hookBody("a", true))
	b := e.createHook(hookBody("b", false))
	id := b["id"].(string)

	// Enabling b disables a (one enabled hook per trigger).
	r := e.req("PATCH", "/hooks/"+id, "update:hooks", map[string]any{"enabled": true})
	expect(t, r, 200, "", "")
	if got := r.json(t); got["enabled"] != true || got["name"] != "b" || got["script"] != addScope {
		t.Fatalf("PATCH returned %v", got)
	}
	if got := e.req("GET", "/hooks/"+a["id"].(string), all, nil).json(t)["enabled"]; got != false {
		t.Fatalf("a still enabled: %v", got)
	}

	// A dependency is a real npm install, which -short (make test-unit)
	// leaves to make test.
	patch := map[string]any{"name": "b renamed", "script": "module.exports = (c, s, a, ctx, cb) => cb(null, {});"}
	wantDeps := map[string]any{}
	if !testing.Short() {
		patch["dependencies"] = map[string]string{"is-number": "7.0.0"}
		wantDeps = map[string]any{"is-number": "7.0.0"}
	}
	r = e.req("PATCH", "/hooks/"+id, all, patch)
	expect(t, r, 200, "", "")
	got := r.json(t)
	if got["name"] != "b renamed" || got["enabled"] != true || got["triggerId"] != "credentials-exchange" ||
		!reflect.DeepEqual(got["dependencies"], wantDeps) || got["id"] != id {
		t.Fatalf("PATCH returned %v", got)
	}
	expect(t, e.req("PATCH", "/hooks/"+id, all, map[string]any{"triggerId": "password-exchange"}), 400, "invalid_body",
		"Payload validation error: 'Additional properties not allowed: triggerId'.")
	expect(t, e.req("PATCH", "/hooks/"+id, all, map[string]any{"name": "a"}), 409, "conflict", "Hook with the same name already exists.")
	expect(t, e.req("PATCH", "/hooks/"+id, all, map[string]any{"name": "no_underscores"}), 400, "invalid_body", "")
	expect(t, e.req("PATCH", "/hooks/"+id, "read:hooks", map[string]any{"enabled": false}), 403, "insufficient_scope", "")

	// Deleting forgets the hook's recent log lines.
	run := e.req("POST", "/hooks/"+id+"/run", all, nil)
	expect(t, run, 200, "", "")
	e.createHook(map[string]any{"name": "logger", "script": `module.exports = (c, s, a, ctx, cb) => { console.log('hi'); cb(null, {}); };`, "triggerId": "credentials-exchange"})
	expect(t, e.req("DELETE", "/hooks/"+id, "read:hooks", nil), 403, "insufficient_scope", "")
	expect(t, e.req("DELETE", "/hooks/"+id, "delete:hooks", nil), 204, "", "")
	expect(t, e.req("GET", "/hooks/"+id, all, nil), 404, "not_found", "Hook not found.")
	expect(t, e.req("GET", "/hooks/"+id+"/logs", all, nil), 404, "not_found", "Hook not found.")
	if n := len(e.hookLogs.Recent(id)); n != 0 {
		t.Fatalf("%d log lines kept for a deleted hook", n)
	}
}

func TestHookSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := e.createHook(hookBody("s", false))
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

	r := e.req("GET", path, "read:hooks", nil)
	expect(t, r, 200, "", "")
	if string(r.body) != "{}" {
		t.Fatalf("no secrets: %s", r.body)
	}
	r = e.req("POST", path, "create:hooks", map[string]string{"API_KEY": "k1", "OTHER": "o1"})
	expect(t, r, 201, "", "")
	if string(r.body) != "{}" {
		t.Fatalf("POST body %s, want {}", r.body)
	}
	expect(t, e.req("POST", path, "update:hooks", map[string]string{"THIRD": "t"}), 201, "", "")
	r = e.req("GET", path, "read:hooks", nil)
	if got := r.json(t); !reflect.DeepEqual(got, map[string]any{"API_KEY": "_VALUE_NOT_SHOWN_", "OTHER": "_VALUE_NOT_SHOWN_", "THIRD": "_VALUE_NOT_SHOWN_"}) {
		t.Fatalf("GET secrets %v", got)
	}
	if strings.Contains(string(e.req("GET", "/hooks/"+id, all, nil).body), "k1") {
		t.Fatal("a secret value shows in the hook")
	}
	expect(t, e.req("POST", path, all, map[string]string{"API_KEY": "again"}), 409, "conflict", "Secret with the same name already exists.")
	expect(t, e.req("POST", path, all, map[string]any{"N": 42}), 400, "invalid_body", "Payload validation error: 'Expected type string but found type number' on property N.")
	expect(t, e.req("POST", path, all, map[string]any{}), 400, "invalid_body", "")
	expect(t, e.req("POST", path, all, `["x"]`), 400, "invalid_body", "")
	many := map[string]string{}
	for i := range 18 {
		many[fmt.Sprintf("S%02d", i)] = "v"
	}
	expect(t, e.req("POST", path, all, many), 400, "invalid_body", "") // 3 + 18 > 20
	delete(many, "S00")
	expect(t, e.req("POST", path, all, many), 201, "", "") // exactly 20
	over := map[string]string{}
	for i := range 21 {
		over[fmt.Sprintf("O%02d", i)] = "v"
	}
	expect(t, e.req("POST", path, all, over), 400, "invalid_body", "Payload validation error: 'Too many properties defined (21), must be at most 20'.")
	expect(t, e.req("POST", path, "read:hooks", map[string]string{"X": "x"}), 403, "insufficient_scope", "Insufficient scope, expected any of: create:hooks,update:hooks")

	// PATCH: 201 {}, unknown names 404, and the placeholder written back
	// keeps the real value (the fixed Auth0 foot-gun).
	r = e.req("PATCH", path, "update:hooks", map[string]string{"API_KEY": "k2", "OTHER": "_VALUE_NOT_SHOWN_"})
	expect(t, r, 201, "", "")
	if s := stored(); s["API_KEY"] != "k2" || s["OTHER"] != "o1" {
		t.Fatalf("stored after PATCH %v", s)
	}
	expect(t, e.req("PATCH", path, all, map[string]string{"API_KEY": "k3", "NOPE": "x"}), 404, "not_found", "Hook or secret not found.")
	if s := stored(); s["API_KEY"] != "k2" {
		t.Fatal("a failed PATCH changed a secret")
	}
	expect(t, e.req("PATCH", "/hooks/01HZZZZZZZZZZZZZZZZZZZZZZZ/secrets", all, map[string]string{"API_KEY": "x"}), 404, "not_found", "Hook or secret not found.")
	expect(t, e.req("PATCH", path, all, map[string]any{"API_KEY": true}), 400, "invalid_body", "")
	expect(t, e.req("PATCH", path, "create:hooks", map[string]string{"API_KEY": "x"}), 403, "insufficient_scope", "")

	// DELETE: an array of names; unknown names are ignored.
	expect(t, e.req("DELETE", path, "delete:hooks", []string{"OTHER", "NEVER_EXISTED"}), 204, "", "")
	if s := stored(); len(s) != 19 || s["OTHER"] != "" || s["API_KEY"] != "k2" {
		t.Fatalf("stored after DELETE: %d secrets %v", len(s), s["OTHER"])
	}
	expect(t, e.req("DELETE", path, all, map[string]string{"OTHER": "x"}), 400, "invalid_body", "")
	expect(t, e.req("DELETE", path, all, []string{}), 400, "invalid_body", "")
	expect(t, e.req("DELETE", "/hooks/01HZZZZZZZZZZZZZZZZZZZZZZZ/secrets", all, []string{"X"}), 404, "not_found", "Hook not found.")
	expect(t, e.req("GET", "/hooks/01HZZZZZZZZZZZZZZZZZZZZZZZ/secrets", all, nil), 404, "not_found", "Hook not found.")
}

// report is the runner's answer.
type report struct {
	Result map[string]any `json:"result"`
	Logs   []struct {
		Time, Level, Message string
	} `json:"logs"`
	DurationMS *float64 `json:"duration_ms"`
	Error      *struct {
		Status      int    `json:"status"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	} `json:"error"`
}

func decodeReport(t *testing.T, r resp) report {
	t.Helper()
	expect(t, r, 200, "", "")
	var rep report
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("report %s: %v", r.body, err)
	}
	if rep.DurationMS == nil || rep.Logs == nil {
		t.Fatalf("report without duration or logs: %s", r.body)
	}
	return rep
}

func TestHookRunner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `module.exports = function(client, scope, audience, context, cb) {
  console.log('plan', client.metadata.plan, 'key', context.webtask.secrets.KEY);
  var t = {scope: scope};
  t['https://example.com/key'] = context.webtask.secrets.KEY || null;
  t['https://example.com/aud'] = audience;
  t.plain = 'dropped';
  cb(null, t);
};`
	h := e.createHook(map[string]any{"name": "runner", "script": script, "triggerId": "credentials-exchange"})
	id := h["id"].(string)
	expect(t, e.req("POST", "/hooks/"+id+"/secrets", all, map[string]string{"KEY": "stored"}), 201, "", "")

	// Saved code, default payload (compat-spec §3.6), stored secret.
	rep := decodeReport(t, e.req("POST", "/hooks/"+id+"/run", "update:hooks", nil))
	want := map[string]any{"scope": []any{"read:connections"}, "https://example.com/key": "stored",
		"https://example.com/aud": "https://my-tenant.auth0.com/api/v2/"}
	if rep.Error != nil || !reflect.DeepEqual(rep.Result, want) {
		t.Fatalf("result %v error %v, want %v", rep.Result, rep.Error, want)
	}
	if len(rep.Logs) != 1 || rep.Logs[0].Message != "plan full key stored" || rep.Logs[0].Level != "log" {
		t.Fatalf("logs %+v", rep.Logs)
	}
	// Request secrets override stored ones; a custom payload is used.
	rep = decodeReport(t, e.req("POST", "/hooks/"+id+"/run", all, map[string]any{
		"secrets": map[string]string{"KEY": "override"},
		"payload": map[string]any{"audience": "https://api/", "client": map[string]any{"id": "c", "name": "n", "tenant": "t", "metadata": map[string]string{"plan": "free"}}, "scope": []string{"a"}},
	}))
	if rep.Result["https://example.com/key"] != "override" || rep.Result["https://example.com/aud"] != "https://api/" ||
		rep.Logs[0].Message != "plan free key override" {
		t.Fatalf("override: %+v", rep)
	}
	// Edited code runs with the stored secrets, and is not saved.
	rep = decodeReport(t, e.req("POST", "/hooks/"+id+"/run", all, map[string]any{
		"script": `module.exports = (c, s, a, ctx, cb) => cb(null, {"https://example.com/edited": ctx.webtask.secrets.KEY});`,
	}))
	if rep.Error != nil || rep.Result["https://example.com/edited"] != "stored" {
		t.Fatalf("edited code with stored secrets: %+v", rep)
	}
	r0 := e.req("POST", "/hooks/"+id+"/run", all, map[string]any{"script": "module.exports = function( {"})
	if r0.status != 400 {
		t.Fatalf("edited code that does not compile: %d %s", r0.status, r0.body)
	}
	// The run saved nothing.
	if s, _ := e.store.GetHook(context.Background(), tenant, id); s.Secrets["KEY"] != "stored" || s.Script != script {
		t.Fatalf("run changed stored secrets: %v", s.Secrets)
	}
	// Recent lines of the saved hook.
	r := e.req("GET", "/hooks/"+id+"/logs", "read:hooks", nil)
	expect(t, r, 200, "", "")
	lines := r.list(t)
	if len(lines) != 2 || lines[0]["hook_name"] != "runner" || lines[0]["message"] != "plan full key stored" || lines[1]["message"] != "plan free key override" {
		t.Fatalf("recent logs %s", r.body)
	}

	// Unsaved code, both points, errors as a token request would get them.
	unsaved := []struct {
		name, trigger, script string
		result                map[string]any
		status                int
		code, desc            string
	}{
		{"seed add claim", "credentials-exchange", `module.exports = function(client, scope, audience, context, cb) {
    var access_token = {};
    access_token['https://example.com/foo'] = 'bar';
    cb(null, access_token);
  };`, map[string]any{"https://example.com/foo": "bar", "scope": []any{}}, 0, "", ""}, // no scope line: scopes reset
		{"InvalidScopeError", "credentials-exchange", `module.exports = (c, s, a, ctx, cb) => cb(new InvalidScopeError('nope'));`, nil, 400, "invalid_scope", "nope"},
		{"plain error cc", "credentials-exchange", `module.exports = (c, s, a, ctx, cb) => cb(new Error('boom'));`, nil, 500, "server_error", "boom"},
		{"plain error pw", "password-exchange", `module.exports = (u, c, s, a, ctx, cb) => cb(new Error('denied'));`, nil, 403, "access_denied", "denied"},
		{"password both tokens", "password-exchange", `module.exports = function (user, client, scope, audience, context, cb) {
  cb(null, {accessToken: {scope: ['x'], 'https://a.example/u': user.username}, idToken: {'https://a.example/h': user.user_metadata.hobby}});
};`, map[string]any{"accessToken": map[string]any{"scope": []any{"x"}, "https://a.example/u": "user1"},
			"idToken": map[string]any{"https://a.example/h": "surfing"}}, 0, "", ""},
		{"run-time compile row", "credentials-exchange", `module.exports = 42;`, nil, 500, "server_error", "Unable to compile the extensibility code as javascript"},
	}
	for _, c := range unsaved {
		t.Run(c.name, func(t *testing.T) {
			rep := decodeReport(t, e.req("POST", "/hooks/run", "create:hooks", map[string]any{"triggerId": c.trigger, "script": c.script}))
			if c.status == 0 {
				if rep.Error != nil || !reflect.DeepEqual(rep.Result, c.result) {
					t.Fatalf("result %v error %+v, want %v", rep.Result, rep.Error, c.result)
				}
				return
			}
			if rep.Error == nil || rep.Error.Status != c.status || rep.Error.Error != c.code || rep.Error.Description != c.desc {
				t.Fatalf("error %+v, want %d %s %q", rep.Error, c.status, c.code, c.desc)
			}
		})
	}
	r = e.req("POST", "/hooks/run", all, map[string]any{"triggerId": "credentials-exchange", "script": "module.exports = function( {"})
	expect(t, r, 400, "invalid_body", "")
	if !strings.Contains(r.json(t)["message"].(string), "line 1, column") {
		t.Fatalf("unsaved compile error %s", r.body)
	}
	expect(t, e.req("POST", "/hooks/run", all, map[string]any{"triggerId": "nope", "script": addScope}), 400, "invalid_body", "")
	expect(t, e.req("POST", "/hooks/run", all, map[string]any{"script": addScope}), 400, "invalid_body", "Payload validation error: 'Missing required property: triggerId'.")
	expect(t, e.req("POST", "/hooks/run", all, map[string]any{"triggerId": "credentials-exchange", "script": addScope, "payload": "[1"}), 400, "invalid_body", "")
	expect(t, e.req("POST", "/hooks/run", all, map[string]any{"triggerId": "credentials-exchange", "script": addScope, "payload": []int{1}}), 400, "invalid_body", "")
	expect(t, e.req("POST", "/hooks/run", "read:hooks", map[string]any{"triggerId": "credentials-exchange", "script": addScope}), 403, "insufficient_scope", "")
	expect(t, e.req("POST", "/hooks/"+id+"/run", "read:hooks", nil), 403, "insufficient_scope", "Insufficient scope, expected any of: update:hooks")
	expect(t, e.req("POST", "/hooks/01HZZZZZZZZZZZZZZZZZZZZZZZ/run", all, nil), 404, "not_found", "Hook not found.")
	// Nothing was saved by running unsaved code.
	if l := e.req("GET", "/hooks", all, nil).list(t); len(l) != 1 {
		t.Fatalf("%d hooks after running unsaved code", len(l))
	}
	// Paths next to /hooks/{id} resolve to their own routes.
	expect(t, e.req("GET", "/hooks/run", all, nil), 405, "method_not_allowed", "")
}

// sseEvent is one event read from the stream (comments are reported with
// comment set).
type sseEvent struct {
	event, data, comment string
}

// openStream opens GET /hooks/logs/stream and returns its events.
func (e *env) openStream(ctx context.Context, query, scopes string) (<-chan sseEvent, *http.Response) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v2/hooks/logs/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+e.mint(scopes))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make(chan sseEvent, 64)
	if res.StatusCode != 200 {
		close(out)
		return out, res
	}
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				out <- ev
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out, res
}

func TestHookLogStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	_, res := e.openStream(ctx, "", "create:hooks")
	if r := readResp(t, res); r.status != 403 {
		t.Fatalf("stream without read:hooks: %d", r.status)
	}

	a := e.createHook(map[string]any{"name": "loud", "script": `module.exports = (c, s, a, ctx, cb) => { console.log('from', 'loud'); console.error({n: 1}); cb(null, {}); };`, "triggerId": "credentials-exchange"})
	e.createHook(map[string]any{"name": "other", "script": `module.exports = (c, s, a, ctx, cb) => { console.log('from other'); cb(null, {}); };`, "triggerId": "credentials-exchange"})

	all_, res := e.openStream(ctx, "", "read:hooks")
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", res.Header)
	}
	onlyLoud, _ := e.openStream(ctx, "?hook=loud", "read:hooks")
	byID, _ := e.openStream(ctx, "?hook="+a["id"].(string), "read:hooks")

	expect(t, e.req("POST", "/hooks/run", all, map[string]any{"triggerId": "credentials-exchange", "name": "other", "script": `module.exports = (c, s, a, ctx, cb) => { console.log('from other'); cb(null, {}); };`}), 200, "", "")
	expect(t, e.req("POST", "/hooks/"+a["id"].(string)+"/run", all, nil), 200, "", "")

	next := func(ch <-chan sseEvent) map[string]any {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatal("stream ended")
				}
				if ev.event == "" {
					continue // the opening comment and heartbeats
				}
				if ev.event != "log" {
					t.Fatalf("event %q", ev.event)
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
					t.Fatalf("data %q: %v", ev.data, err)
				}
				return m
			case <-timeout:
				t.Fatal("no event within 5s")
			}
		}
	}
	got := []map[string]any{next(all_), next(all_), next(all_)}
	if got[0]["hook_name"] != "other" || got[0]["message"] != "from other" ||
		got[1]["hook_name"] != "loud" || got[1]["message"] != "from loud" || got[1]["level"] != "log" || got[1]["hook_id"] != a["id"] ||
		got[2]["message"] != "{ n: 1 }" || got[2]["level"] != "error" {
		t.Fatalf("events %v", got)
	}
	if _, err := time.Parse(time.RFC3339Nano, got[1]["time"].(string)); err != nil {
		t.Fatalf("time %v", got[1]["time"])
	}
	for _, ch := range []<-chan sseEvent{onlyLoud, byID} {
		if m := next(ch); m["hook_name"] != "loud" {
			t.Fatalf("filtered stream got %v", m)
		}
	}

	// Heartbeats flow while nothing is logged (15 s in production, 100 ms here).
	deadline := time.After(3 * time.Second)
	for beat := false; !beat; {
		select {
		case ev := <-onlyLoud:
			beat = ev.comment == "heartbeat"
		case <-deadline:
			t.Fatal("no heartbeat")
		}
	}

	expect(t, e.req("GET", "/hooks/logs/stream?bogus=1", all, nil), 400, "invalid_query_string", "")
}

// The token endpoint records a hook run as Details["hook"] = {id, name,
// trigger, duration_ms, outcome}; the log event shows the hook's name and
// keeps the rest in details.
func TestLogEventShowsHookRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := map[string]any{"id": "01J0000000000000000000000A", "name": "add claims", "trigger": "credentials-exchange", "duration_ms": 1.5, "outcome": "success"}
	ev := storage.LogEvent{Tenant: tenant, LogID: "900100", Date: testNow, Type: "seccft", ClientID: "c1", Details: map[string]any{"hook": run}}
	if err := e.store.AppendLogEvents(context.Background(), []storage.LogEvent{ev}); err != nil {
		t.Fatal(err)
	}
	got := e.req("GET", "/logs/900100", "read:logs", nil).json(t)
	if got["hook"] != "add claims" || !reflect.DeepEqual(got["details"], map[string]any{"hook": run}) {
		t.Fatalf("log event %v", got)
	}
}
