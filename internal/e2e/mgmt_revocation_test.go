package e2e

import (
	"net/url"
	"testing"
)

// TestManagementTokensFollowTheirGrant: a Management API token is refused
// as soon as its client is deleted or loses the Management API grant, and
// loses a scope as soon as the grant does, instead of living on for its
// 24 hours.
func TestManagementTokensFollowTheirGrant(t *testing.T) {
	in := start(t, options{})
	mgmtAPI := in.base + "api/v2/"
	newOperator := func() (id, tok, grantID string) {
		r := in.api("POST", "clients", map[string]any{"name": "ops", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
		c := r.json(t)
		id = c["client_id"].(string)
		r = in.api("POST", "client-grants", map[string]any{"client_id": id, "audience": mgmtAPI, "scope": []string{"read:clients", "read:client_grants"}})
		if r.status != 201 {
			t.Fatalf("grant: %d %s", r.status, r.body)
		}
		grantID = r.json(t)["id"].(string)
		tr := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {c["client_secret"].(string)}, "audience": {mgmtAPI}})
		if tr.status != 200 {
			t.Fatalf("token: %d %s", tr.status, tr.body)
		}
		return id, tr.json(t)["access_token"].(string), grantID
	}

	// Deleting the client.
	id, tok, _ := newOperator()
	if r := in.apiWith(tok, "GET", "clients", nil); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	if r := in.api("DELETE", "clients/"+id, nil); r.status != 204 {
		t.Fatalf("delete client: %d %s", r.status, r.body)
	}
	if r := in.apiWith(tok, "GET", "clients", nil); r.status != 401 || r.json(t)["errorCode"] != "invalid_token" {
		t.Fatalf("token of a deleted client: %d %s", r.status, r.body)
	}

	// Taking a scope off the grant, then deleting the grant.
	_, tok, grantID := newOperator()
	if r := in.api("PATCH", "client-grants/"+grantID, map[string]any{"scope": []string{"read:client_grants"}}); r.status != 200 {
		t.Fatalf("patch grant: %d %s", r.status, r.body)
	}
	if r := in.apiWith(tok, "GET", "clients", nil); r.status != 403 {
		t.Fatalf("scope taken off the grant still works: %d %s", r.status, r.body)
	}
	if r := in.apiWith(tok, "GET", "client-grants", nil); r.status != 200 {
		t.Fatalf("scope still granted refused: %d %s", r.status, r.body)
	}
	if r := in.api("DELETE", "client-grants/"+grantID, nil); r.status != 204 {
		t.Fatalf("delete grant: %d %s", r.status, r.body)
	}
	if r := in.apiWith(tok, "GET", "client-grants", nil); r.status != 401 {
		t.Fatalf("token after its grant was deleted: %d %s", r.status, r.body)
	}
}
