package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestActionsAfterHookInBindingOrder: a Hook and two Actions on one
// trigger. The Hook runs first and its claims and scopes are where the
// Actions start; the Actions run in binding order, each seeing the scope
// changes of the ones before it, and for one claim name the last
// setCustomClaim wins. Reordering the bindings takes effect on the next
// token. The token request's tenant log event names the execution, which
// GET /api/v2/actions/executions/{id} returns (issue 17).
func TestActionsAfterHookInBindingOrder(t *testing.T) {
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	hooks := newHookAdmin(in)
	hooks.createHook(t, "legacy-hook", "credentials-exchange", `module.exports = function (client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;
  access_token.scope.push('write:orders');
  access_token['https://example.com/who'] = 'hook';
  access_token['https://example.com/hook'] = true;
  cb(null, access_token);
};`, true)

	a := admin.createDeployed(t, "first-action", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/a_saw', {
    hook_claim: event.accessToken.customClaims['https://example.com/hook'] === true,
    hook_scope: event.accessToken.scope.includes('write:orders'),
  });
  api.accessToken.setCustomClaim('https://example.com/who', 'a');
  api.accessToken.setCustomClaim('https://example.com/order', 'a');
  api.transaction.addTargetScope('delete:orders');
};`, nil)
	b := admin.createDeployed(t, "second-action", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  const scopes = [].concat(event.accessToken.scope || [], event.transaction.target_scopes || []);
  api.accessToken.setCustomClaim('https://example.com/b_saw_delete', scopes.includes('delete:orders'));
  api.accessToken.setCustomClaim('https://example.com/who', 'b');
  api.accessToken.setCustomClaim('https://example.com/order', 'b');
};`, nil)

	bindings := admin.bind(t, "credentials-exchange", a, b)
	first, _ := bindings[0].(map[string]any)
	if act, _ := first["action"].(map[string]any); act["id"] != a || first["trigger_id"] != "credentials-exchange" || first["display_name"] != "step A" {
		t.Fatalf("first binding %v", first)
	}
	listed := admin.must(t, 200, "GET", "triggers/credentials-exchange/bindings", nil)
	if l, _ := listed["bindings"].([]any); len(l) != 2 || l[0].(map[string]any)["action"].(map[string]any)["id"] != a {
		t.Fatalf("GET bindings %v", listed)
	}

	_, tok := app.ok(t, "scope", "read:orders")
	if tok["https://example.com/hook"] != true || tok["https://example.com/who"] != "b" ||
		mustJSONs(tok["https://example.com/a_saw"]) != `{"hook_claim":true,"hook_scope":true}` || tok["https://example.com/b_saw_delete"] != true {
		t.Fatalf("hook then A then B: %v", tok)
	}
	if scopeSet(tok["scope"]) != "delete:orders read:orders write:orders" {
		t.Fatalf("scope %v", tok["scope"])
	}

	// The execution record of that request.
	ev := admin.logEventWith(t, "type:seccft AND client_id:"+app.id, func(ev map[string]any) bool { return len(executionIDs(ev)) > 0 })
	exe := admin.must(t, 200, "GET", "executions/"+executionIDs(ev)[0], nil)
	if exe["id"] != executionIDs(ev)[0] || exe["trigger_id"] != "credentials-exchange" || exe["status"] != "final" ||
		exe["created_at"] == nil || exe["updated_at"] == nil {
		t.Fatalf("execution %v", exe)
	}
	results, _ := exe["results"].([]any)
	if len(results) != 2 {
		t.Fatalf("execution results %v", exe["results"])
	}
	for i, name := range []string{"first-action", "second-action"} {
		r, _ := results[i].(map[string]any)
		if r["action_name"] != name || r["started_at"] == nil || r["ended_at"] == nil {
			t.Fatalf("result %d: %v", i, r)
		}
		if e, ok := r["error"]; ok && e != nil {
			t.Fatalf("result %d has an error: %v", i, r)
		}
	}
	if r := admin.api("GET", "executions/01ARZ3NDEKTSV4RRFFQ69G5FAV", nil); r.status != 404 {
		t.Fatalf("unknown execution: %d %s", r.status, r.body)
	}

	// Reordered: B then A, on the very next token.
	admin.bind(t, "credentials-exchange", b, a)
	_, tok = app.ok(t, "scope", "read:orders")
	if tok["https://example.com/who"] != "a" || tok["https://example.com/order"] != "a" || tok["https://example.com/b_saw_delete"] != false {
		t.Fatalf("B then A: %v", tok)
	}

	// A failing Action stops the flow: the ones after it do not run, and
	// its execution records the error.
	admin.redeploy(t, b, `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.access.deny('invalid_request', 'stopped by the first binding');
};`)
	admin.redeploy(t, a, `exports.onExecuteCredentialsExchange = async (event, api) => {
  throw new Error('must not run after a deny');
};`)
	oauthError(t, app.token(), 400, "invalid_request", "stopped by the first binding")
	ev = admin.logEventWith(t, "type:feccft AND client_id:"+app.id, func(ev map[string]any) bool { return len(executionIDs(ev)) > 0 })
	exe = admin.must(t, 200, "GET", "executions/"+executionIDs(ev)[0], nil)
	if results, _ := exe["results"].([]any); len(results) < 1 || results[0].(map[string]any)["action_name"] != "second-action" {
		t.Fatalf("execution of the denied request %v", exe)
	}
	if len(exe["results"].([]any)) > 1 {
		t.Fatalf("the Action after the deny ran: %v", exe)
	}

	// The Hook disabled: the Actions still run.
	hookList := hooks.api("GET", "hooks", nil).list(t)
	hooks.patchHook(t, hookList[0]["id"].(string), map[string]any{"enabled": false})
	admin.bind(t, "credentials-exchange", a)
	admin.redeploy(t, a, `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/who', 'a alone');
};`)
	if _, tok = app.ok(t); tok["https://example.com/who"] != "a alone" || tok["https://example.com/hook"] != nil {
		t.Fatalf("Action without the Hook: %v", tok)
	}
}

// TestActionsDeployVersionsRollback: only deployed versions run; a draft
// changes nothing until deployed; versions are immutable and listed
// newest first; rolling back deploys a new version with the old code; the
// test endpoint runs the draft; a bound Action is deleted only with force
// (issue 17).
func TestActionsDeployVersionsRollback(t *testing.T) {
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	code := func(v string) string {
		return `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/version', '` + v + `');
};`
	}
	version := func() any {
		t.Helper()
		_, tok := app.ok(t)
		return tok["https://example.com/version"]
	}

	act := admin.create(t, "versioned", "credentials-exchange", code("one"), nil)
	id := act["id"].(string)
	if act["runtime"] != "node22" || act["all_changes_deployed"] != false {
		t.Fatalf("new Action %v", act)
	}
	if st := act["supported_triggers"].([]any)[0].(map[string]any); st["id"] != "credentials-exchange" || st["version"] != "v2" {
		t.Fatalf("supported_triggers %v", act["supported_triggers"])
	}
	// Not deployed: it cannot be bound (Auth0 binds deployed Actions), or
	// if bound it must not run.
	if r := admin.api("PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]string{"type": "action_id", "value": id}, "display_name": "versioned"}}}); r.status == 200 {
		if got := version(); got != nil {
			t.Fatalf("an undeployed Action ran: %v", got)
		}
	} else if r.status >= 500 {
		t.Fatalf("binding an undeployed Action: %d %s", r.status, r.body)
	}

	v1 := admin.deploy(t, id)
	if v1["number"] != 1.0 || v1["deployed"] != true || v1["action_id"] != id || !strings.Contains(v1["code"].(string), "'one'") {
		t.Fatalf("version 1 %v", v1)
	}
	admin.bind(t, "credentials-exchange", id)
	if got := version(); got != "one" {
		t.Fatalf("deployed version 1 gives %v", got)
	}
	if a := admin.must(t, 200, "GET", "actions/"+id, nil); a["all_changes_deployed"] != true ||
		a["deployed_version"].(map[string]any)["id"] != v1["id"] {
		t.Fatalf("after deploy %v", a)
	}

	// A draft change runs only in the test endpoint until deployed.
	admin.update(t, id, map[string]any{"code": code("two")})
	if got := version(); got != "one" {
		t.Fatalf("an undeployed draft ran: %v", got)
	}
	if a := admin.must(t, 200, "GET", "actions/"+id, nil); a["all_changes_deployed"] != false {
		t.Fatalf("draft differs from the deployed version but all_changes_deployed is %v", a["all_changes_deployed"])
	}
	admin.waitBuilt(t, id)
	res := admin.must(t, 200, "POST", "actions/"+id+"/test", map[string]any{"payload": map[string]any{
		"client":          map[string]any{"client_id": "test-client", "name": "Test", "metadata": map[string]any{}},
		"resource_server": map[string]any{"identifier": "https://orders.example/"},
		"accessToken":     map[string]any{"scope": []string{}, "customClaims": map[string]any{}},
		"transaction":     map[string]any{"requested_scopes": []string{}},
		"request":         map[string]any{"ip": "203.0.113.7", "method": "POST", "body": map[string]any{}},
		"tenant":          map[string]any{"id": "default"},
		"secrets":         map[string]any{},
	}})
	if p, ok := res["payload"]; !ok || !strings.Contains(mustJSONs(p), "two") || strings.Contains(mustJSONs(p), `"one"`) {
		t.Fatalf("test of the draft: %s", mustJSONs(res))
	}

	v2 := admin.deploy(t, id)
	if v2["number"] != 2.0 {
		t.Fatalf("version 2 %v", v2)
	}
	if got := version(); got != "two" {
		t.Fatalf("deployed version 2 gives %v", got)
	}

	list := admin.must(t, 200, "GET", "actions/"+id+"/versions", nil)
	vs, _ := list["versions"].([]any)
	if list["total"] != 2.0 || len(vs) != 2 || vs[0].(map[string]any)["id"] != v2["id"] || vs[1].(map[string]any)["id"] != v1["id"] {
		t.Fatalf("versions %v", list)
	}
	if vs[1].(map[string]any)["deployed"] != false || vs[0].(map[string]any)["deployed"] != true {
		t.Fatalf("deployed flags %v", vs)
	}
	old := admin.must(t, 200, "GET", "actions/"+id+"/versions/"+v1["id"].(string), nil)
	if !strings.Contains(old["code"].(string), "'one'") || old["number"] != 1.0 {
		t.Fatalf("version 1 read back %v", old)
	}

	// Roll back: a new version (3) that runs version 1's code.
	r := admin.api("POST", "actions/"+id+"/versions/"+v1["id"].(string)+"/deploy", map[string]any{})
	if r.status != 202 {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	v3 := r.json(t)
	if v3["number"] != 3.0 || v3["id"] == v1["id"] || !strings.Contains(v3["code"].(string), "'one'") || v3["deployed"] != true {
		t.Fatalf("rollback version %v", v3)
	}
	if got := version(); got != "one" {
		t.Fatalf("after the rollback %v", got)
	}
	if list := admin.must(t, 200, "GET", "actions/"+id+"/versions", nil); list["total"] != 3.0 {
		t.Fatalf("versions after the rollback %v", list)
	}

	// Deleting a bound Action needs force; force also unbinds it.
	if r := admin.api("DELETE", "actions/"+id, nil); r.status < 400 || r.status >= 500 {
		t.Fatalf("delete of a bound Action without force: %d %s", r.status, r.body)
	}
	if got := version(); got != "one" {
		t.Fatalf("a refused delete changed the token: %v", got)
	}
	if r := admin.api("DELETE", "actions/"+id+"?force=true", nil); r.status != 204 {
		t.Fatalf("delete with force: %d %s", r.status, r.body)
	}
	if got := version(); got != nil {
		t.Fatalf("a deleted Action still runs: %v", got)
	}
	if l := admin.must(t, 200, "GET", "triggers/credentials-exchange/bindings", nil); len(l["bindings"].([]any)) != 0 {
		t.Fatalf("bindings after the forced delete %v", l)
	}
	if r := admin.api("GET", "actions/"+id, nil); r.status != 404 {
		t.Fatalf("deleted Action: %d", r.status)
	}
}

// TestActionsBadInput: malformed requests to every new route answer 4xx
// in Auth0's error shape, never a 5xx; code that does not compile is
// refused with its line and column (issue 17).
func TestActionsBadInput(t *testing.T) {
	in := start(t, options{})
	admin := newActionsAdmin(in)
	good := admin.createDeployed(t, "good", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {};`, nil)
	ver := admin.must(t, 200, "GET", "actions/"+good+"/versions", nil)["versions"].([]any)[0].(map[string]any)["id"].(string)
	cx := []map[string]string{{"id": "credentials-exchange", "version": "v2"}}
	long := strings.Repeat("x", 101*1024)
	many := func(n int, f func(i int) any) []any {
		out := []any{}
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	const nobody = "00000000-0000-4000-8000-000000000000"

	for _, c := range []struct {
		name, method, path string
		body               any
		raw                string // sent as is when set
	}{
		{"create: not JSON", "POST", "actions", nil, "{"},
		{"create: array", "POST", "actions", []any{1}, ""},
		{"create: empty", "POST", "actions", map[string]any{}, ""},
		{"create: no name", "POST", "actions", map[string]any{"code": "x", "supported_triggers": cx}, ""},
		{"create: name of another type", "POST", "actions", map[string]any{"name": 5, "supported_triggers": cx}, ""},
		{"create: no trigger", "POST", "actions", map[string]any{"name": "n"}, ""},
		{"create: unknown trigger", "POST", "actions", map[string]any{"name": "n", "supported_triggers": []map[string]string{{"id": "send-phone-message", "version": "v2"}}}, ""},
		{"create: wrong trigger version", "POST", "actions", map[string]any{"name": "n", "supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v9"}}}, ""},
		{"create: triggers not an array", "POST", "actions", map[string]any{"name": "n", "supported_triggers": "credentials-exchange"}, ""},
		{"create: unknown runtime", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx, "runtime": "python3"}, ""},
		{"create: code over 100 kB", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx, "code": "// " + long}, ""},
		{"create: 31 secrets", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx,
			"secrets": many(31, func(i int) any {
				return map[string]string{"name": "S" + string(rune('A'+i%26)) + strings.Repeat("x", i), "value": "v"}
			})}, ""},
		{"create: secret value over 4096", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx,
			"secrets": []map[string]string{{"name": "BIG", "value": strings.Repeat("v", 4097)}}}, ""},
		{"create: secret name over 128", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx,
			"secrets": []map[string]string{{"name": strings.Repeat("K", 129), "value": "v"}}}, ""},
		{"create: 11 dependencies", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx,
			"dependencies": many(11, func(i int) any { return map[string]string{"name": "pkg" + strings.Repeat("x", i), "version": "1.0.0"} })}, ""},
		{"create: dependency without a name", "POST", "actions", map[string]any{"name": "n", "supported_triggers": cx,
			"dependencies": []map[string]string{{"version": "1.0.0"}}}, ""},
		{"create: duplicate name", "POST", "actions", map[string]any{"name": "good", "supported_triggers": cx, "code": "exports.onExecuteCredentialsExchange = async () => {};"}, ""},
		{"list: bad page", "GET", "actions?page=-1", nil, ""},
		{"list: bad per_page", "GET", "actions?per_page=abc", nil, ""},
		{"get: unknown", "GET", "actions/" + nobody, nil, ""},
		{"get: not an id", "GET", "actions/..%2f..", nil, ""},
		{"patch: unknown", "PATCH", "actions/" + nobody, map[string]any{"code": "x"}, ""},
		{"patch: not JSON", "PATCH", "actions/" + good, nil, "nope"},
		{"patch: code of another type", "PATCH", "actions/" + good, map[string]any{"code": 42}, ""},
		{"patch: unknown runtime", "PATCH", "actions/" + good, map[string]any{"runtime": "node4"}, ""},
		{"delete: unknown", "DELETE", "actions/" + nobody, nil, ""},
		{"deploy: unknown", "POST", "actions/" + nobody + "/deploy", nil, ""},
		{"versions: unknown action", "GET", "actions/" + nobody + "/versions", nil, ""},
		{"version: unknown", "GET", "actions/" + good + "/versions/" + nobody, nil, ""},
		{"version: of another action", "GET", "actions/" + nobody + "/versions/" + ver, nil, ""},
		{"rollback: unknown version", "POST", "actions/" + good + "/versions/" + nobody + "/deploy", map[string]any{}, ""},
		{"test: unknown", "POST", "actions/" + nobody + "/test", map[string]any{"payload": map[string]any{}}, ""},
		{"test: no payload", "POST", "actions/" + good + "/test", map[string]any{}, ""},
		{"test: payload a string", "POST", "actions/" + good + "/test", map[string]any{"payload": "x"}, ""},
		{"test: not JSON", "POST", "actions/" + good + "/test", nil, "]"},
		{"bindings: unknown trigger", "GET", "triggers/nope/bindings", nil, ""},
		{"bindings patch: unknown trigger", "PATCH", "triggers/nope/bindings", map[string]any{"bindings": []any{}}, ""},
		{"bindings patch: not an array", "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": "x"}, ""},
		{"bindings patch: no ref", "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{map[string]any{"display_name": "x"}}}, ""},
		{"bindings patch: unknown ref type", "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
			map[string]any{"ref": map[string]string{"type": "action_color", "value": good}}}}, ""},
		{"bindings patch: unknown action", "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
			map[string]any{"ref": map[string]string{"type": "action_id", "value": nobody}}}}, ""},
		{"bindings patch: unknown action name", "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
			map[string]any{"ref": map[string]string{"type": "action_name", "value": "no such action"}}}}, ""},
		{"bindings patch: action of another trigger", "PATCH", "triggers/post-login/bindings", map[string]any{"bindings": []any{
			map[string]any{"ref": map[string]string{"type": "action_id", "value": good}}}}, ""},
		{"bindings patch: 21 bindings", "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": many(21, func(int) any {
			return map[string]any{"ref": map[string]string{"type": "action_id", "value": good}}
		})}, ""},
		{"executions: unknown", "GET", "executions/" + nobody, nil, ""},
		{"executions: not an id", "GET", "executions/%00", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r response
			if c.raw != "" {
				r = in.do(c.method, "api/v2/actions/"+c.path, "application/json", strings.NewReader(c.raw), map[string][]string{"Authorization": {"Bearer " + admin.token}})
			} else {
				r = admin.api(c.method, c.path, c.body)
			}
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if b := r.json(t); b["statusCode"] != float64(r.status) || b["error"] == nil || b["message"] == nil {
				t.Fatalf("not Auth0's error shape: %s", r.body)
			}
		})
	}

	t.Run("no token, wrong scope", func(t *testing.T) {
		if r := in.do("GET", "api/v2/actions/actions", "", nil, nil); r.status != 401 {
			t.Fatalf("without a token: %d", r.status)
		}
		id, secret := in.m2m("https://other.example/", []string{"x"}, []string{"x"}, nil)
		if r := in.api("POST", "client-grants", map[string]any{"client_id": id, "audience": in.base + "api/v2/", "scope": []string{"read:actions"}}); r.status != 201 {
			t.Fatalf("grant: %d %s", r.status, r.body)
		}
		tok := tokenAt(t, in, id, secret, in.base+"api/v2/")
		if r := in.apiWith(tok, "GET", "actions/actions", nil); r.status != 200 {
			t.Fatalf("read:actions may list: %d %s", r.status, r.body)
		}
		if r := in.apiWith(tok, "POST", "actions/actions", map[string]any{"name": "x", "supported_triggers": cx,
			"code": "exports.onExecuteCredentialsExchange = async () => {};"}); r.status != 403 {
			t.Fatalf("read:actions may not create: %d %s", r.status, r.body)
		}
		if r := in.apiWith(tok, "DELETE", "actions/actions/"+good, nil); r.status != 403 {
			t.Fatalf("read:actions may not delete: %d %s", r.status, r.body)
		}
	})

	t.Run("code that does not compile: line and column", func(t *testing.T) {
		broken := "exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('a', 1;\n};"
		r := admin.api("POST", "actions", map[string]any{"name": "broken", "supported_triggers": cx, "code": broken})
		if r.status == 201 {
			// Saved as a draft: the deploy must refuse it.
			bid := r.json(t)["id"].(string)
			waitFor(t, time.Minute, "the broken draft's build to finish", func() bool {
				st := admin.must(t, 200, "GET", "actions/"+bid, nil)["status"]
				return st == "built" || st == "failed"
			})
			r = admin.api("POST", "actions/"+bid+"/deploy", nil)
		}
		// The server has Node, whose compiler has the last word on code
		// the embedded parser refuses: the position is Node's (its caret
		// under the 1, where the embedded parser would say column 40).
		if msg, _ := r.json(t)["message"].(string); r.status != 400 || !strings.Contains(msg, "line 2, column 39") {
			t.Fatalf("broken code: %d %s", r.status, r.body)
		}
	})

	t.Run("the server still serves", func(t *testing.T) {
		admin.must(t, 200, "GET", "actions", nil)
		tr := admin.must(t, 200, "GET", "triggers", nil)
		found := map[string]bool{}
		for _, x := range tr["triggers"].([]any) {
			m := x.(map[string]any)
			found[m["id"].(string)+"/"+m["version"].(string)] = true
		}
		if !found["credentials-exchange/v2"] || !found["post-login/v3"] {
			t.Fatalf("triggers %v", tr)
		}
	})
}
