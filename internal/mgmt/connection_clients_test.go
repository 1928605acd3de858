package mgmt_test

import (
	"slices"
	"strings"
	"testing"
)

// TestConnectionClients: Auth0's GET/PATCH /connections/{id}/clients, which
// deploy-cli reads and writes enabled clients through.
func TestConnectionClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c1 := e.req("POST", "/clients", all, `{"name":"one"}`).json(t)["client_id"].(string)
	c2 := e.req("POST", "/clients", all, `{"name":"two"}`).json(t)["client_id"].(string)
	id := e.req("GET", "/connections", "read:connections", nil).list(t)[0]["id"].(string)
	path := "/connections/" + id + "/clients"
	ids := func(query string) ([]string, any) {
		t.Helper()
		r := e.req("GET", path+query, "read:connections", nil)
		expect(t, r, 200, "", "")
		m := r.json(t)
		var out []string
		for _, c := range m["clients"].([]any) {
			out = append(out, c.(map[string]any)["client_id"].(string))
		}
		return out, m["next"]
	}
	// Default: every client, in the checkpoint shape; paged by take/from.
	got, next := ids("")
	if !slices.Contains(got, c1) || !slices.Contains(got, c2) || next != nil {
		t.Fatalf("default %v next %v", got, next)
	}
	first, next := ids("?take=1")
	if len(first) != 1 || next == nil {
		t.Fatalf("take=1: %v next %v", first, next)
	}
	rest, _ := ids("?take=50&from=" + next.(string))
	if len(rest) != len(got)-1 || slices.Contains(rest, first[0]) {
		t.Fatalf("from next: %v after %v of %v", rest, first, got)
	}

	// Disabling one client sets an explicit list of the others.
	expect(t, e.req("PATCH", path, "update:connections", []map[string]any{{"client_id": c1, "status": false}}), 204, "", "")
	if got, _ := ids(""); slices.Contains(got, c1) || !slices.Contains(got, c2) {
		t.Fatalf("after disabling c1: %v", got)
	}
	conn := e.req("GET", "/connections/"+id, "read:connections", nil).json(t)
	if slices.Contains(conn["enabled_clients"].([]any), any(c1)) {
		t.Fatalf("the connection still lists c1: %v", conn["enabled_clients"])
	}
	expect(t, e.req("PATCH", path, "update:connections", []map[string]any{{"client_id": c1, "status": true}, {"client_id": c2, "status": true}}), 204, "", "")
	if got, _ := ids(""); !slices.Contains(got, c1) || !slices.Contains(got, c2) {
		t.Fatalf("after enabling c1: %v", got)
	}

	expect(t, e.req("PATCH", path, "update:connections", []map[string]any{{"client_id": "nope", "status": true}}), 400, "invalid_body", "")
	expect(t, e.req("PATCH", path, "update:connections", []map[string]any{{"client_id": c1}}), 400, "invalid_body", "")
	expect(t, e.req("PATCH", path, "update:connections", []any{}), 400, "invalid_body", "")
	expect(t, e.req("PATCH", path, "update:connections", `{"client_id":"x"}`), 400, "invalid_body", "")
	expect(t, e.req("PATCH", path, "read:connections", []map[string]any{{"client_id": c1, "status": true}}), 403, "insufficient_scope", "")
	expect(t, e.req("GET", "/connections/con_nope/clients", "read:connections", nil), 404, "inexistent_connection", "")
	expect(t, e.req("GET", path+"?page=1", "read:connections", nil), 400, "invalid_query_string", "")
}

// TestRiskAssessmentDefaults: read as off, the defaults written back.
func TestRiskAssessmentDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if m := e.req("GET", "/risk-assessments/settings", all, nil).json(t); m["enabled"] != false {
		t.Fatalf("settings %v", m)
	}
	if m := e.req("GET", "/risk-assessments/settings/new-device", all, nil).json(t); m["remember_for"] != 0.0 {
		t.Fatalf("new-device %v", m)
	}
	expect(t, e.req("PATCH", "/risk-assessments/settings", all, `{"enabled":false}`), 200, "", "")
	expect(t, e.req("PATCH", "/risk-assessments/settings/new-device", all, `{"remember_for":0}`), 200, "", "")
	expect(t, e.req("PATCH", "/risk-assessments/settings", all, `{"enabled":true}`), 400, "operation_not_supported", "")
}

// TestCreateConnectionRefused: another connection (an imported social
// one) is a 400 naming it.
func TestCreateConnectionRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.req("POST", "/connections", all, `{"name":"google-oauth2","strategy":"google-oauth2"}`)
	expect(t, r, 400, "operation_not_supported", "")
	if m := r.json(t)["message"].(string); !strings.Contains(m, `"google-oauth2"`) {
		t.Fatalf("message %q", m)
	}
	expect(t, e.req("POST", "/connections", all, `nope`), 400, "invalid_body", "")
}
