package server_test

import (
	"testing"
)

// TestConnectionEnabledClients: the password grants follow the database
// connection's enabled_clients (PATCH /api/v2/connections/{id}); every
// client may use it until a list is set.
func TestConnectionEnabledClients(t *testing.T) {
	t.Parallel()
	tn := newTenant(t)
	conns := tn.MustAPI(200, "GET", "connections?include_totals=true", nil)["connections"].([]any)
	id := conns[0].(map[string]any)["id"].(string)
	for _, grant := range []string{"password", realmGrant} {
		if r := tn.Token(tn.pw("grant_type", grant, "realm", dbConn)); r.Status != 200 {
			t.Fatalf("%s before: %d %s", grant, r.Status, r.Body)
		}
	}
	tn.MustAPI(200, "PATCH", "connections/"+id, map[string]any{"enabled_clients": []string{tn.publicID}})
	for _, grant := range []string{"password", realmGrant} {
		wantError(t, tn.Token(tn.pw("grant_type", grant, "realm", dbConn)), 400, "invalid_request",
			"The connection Username-Password-Authentication is not enabled for this client")
	}
	if r := tn.Token(tn.pw("client_id", tn.publicID, "client_secret", "")); r.Status != 200 {
		t.Fatalf("enabled client: %d %s", r.Status, r.Body)
	}
	tn.MustAPI(200, "PATCH", "connections/"+id, map[string]any{"enabled_clients": []string{tn.publicID, tn.pwID}})
	if r := tn.Token(tn.pw()); r.Status != 200 {
		t.Fatalf("re-enabled: %d %s", r.Status, r.Body)
	}
}
