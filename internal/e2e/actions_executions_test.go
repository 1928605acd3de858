package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// TestActionsExecutionsKeptTenDays: on a server whose clock the test moves
// (servertest: real HTTP and SQLite in this process), the execution of a
// token request is readable through GET /api/v2/actions/executions/{id}
// with the id from its tenant log event for 10 days and then answers 404;
// an Action that threw is recorded with its error and the flow as partial
// (issue 17).
func TestActionsExecutionsKeptTenDays(t *testing.T) {
	s := servertest.New(t)
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": ordersAPI, "name": "Orders",
		"scopes": []map[string]string{{"value": "read:orders"}}})
	c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "batch", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": ordersAPI, "scope": []string{"read:orders"}})
	deployed := func(name, code string) string {
		t.Helper()
		act := s.MustAPI(201, "POST", "actions/actions", map[string]any{"name": name, "code": code,
			"supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}}})
		aid := act["id"].(string)
		waitFor(t, time.Minute, "the Action's build", func() bool { return s.MustAPI(200, "GET", "actions/actions/"+aid, nil)["status"] == "built" })
		s.MustAPI(202, "POST", "actions/actions/"+aid+"/deploy", nil)
		return aid
	}
	first := deployed("tagger", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/tagged', true);
};`)
	deployed("thrower", `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.request.body.op === 'throw') throw new Error('the policy service is down');
};`)
	s.MustAPI(200, "PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]string{"type": "action_id", "value": first}, "display_name": "tagger"},
		map[string]any{"ref": map[string]string{"type": "action_name", "value": "thrower"}, "display_name": "thrower"}}})

	token := func(op string) servertest.Response {
		return s.Token(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {ordersAPI}, "op": {op}})
	}
	// execution waits for the newest log event of type typ to carry an
	// execution id, and returns the id.
	execution := func(typ string) string {
		t.Helper()
		var exe string
		waitFor(t, 15*time.Second, "the "+typ+" log event", func() bool {
			r := s.API("GET", "logs?q="+url.QueryEscape("type:"+typ), nil)
			var list []map[string]any
			if err := json.Unmarshal(r.Body, &list); err != nil || len(list) == 0 {
				return false
			}
			ids := executionIDs(list[0])
			if len(ids) == 0 {
				return false
			}
			exe = ids[0]
			return true
		})
		return exe
	}

	if r := token("none"); r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	ok := execution("seccft")
	got := s.MustAPI(200, "GET", "actions/executions/"+ok, nil)
	if got["status"] != "final" || got["trigger_id"] != "credentials-exchange" || len(got["results"].([]any)) != 2 {
		t.Fatalf("execution %v", got)
	}

	if r := token("throw"); r.Status != 500 {
		t.Fatalf("a throwing Action: %d %s", r.Status, r.Body)
	}
	failed := execution("feccft")
	got = s.MustAPI(200, "GET", "actions/executions/"+failed, nil)
	results := got["results"].([]any)
	if got["status"] != "partial" || len(results) != 2 {
		t.Fatalf("failed execution %v", got)
	}
	e, _ := results[1].(map[string]any)["error"].(map[string]any)
	if results[1].(map[string]any)["action_name"] != "thrower" || e == nil || e["msg"] != "the policy service is down" {
		t.Fatalf("the thrower's result %v", results[1])
	}

	// The cached admin token expires long before; each read gets its own.
	read := func(exe string) servertest.Response {
		t.Helper()
		r := s.Token(url.Values{"grant_type": {"client_credentials"}, "client_id": {servertest.AdminID},
			"client_secret": {servertest.AdminSecret}, "audience": {s.URL + "api/v2/"}})
		if r.Status != 200 {
			t.Fatalf("admin token: %d %s", r.Status, r.Body)
		}
		return s.Do("GET", "api/v2/actions/executions/"+exe, "", nil, http.Header{"Authorization": {"Bearer " + r.JSON(t)["access_token"].(string)}})
	}
	s.Clock.Advance(10*24*time.Hour - time.Minute)
	if r := read(ok); r.Status != 200 {
		t.Fatalf("an execution 10 days old less a minute: %d %s", r.Status, r.Body)
	}
	s.Clock.Advance(2 * time.Minute)
	if r := read(ok); r.Status != 404 {
		t.Fatalf("an execution older than 10 days: %d %s", r.Status, r.Body)
	}
}
