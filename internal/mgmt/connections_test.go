package mgmt_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c1 := e.req("POST", "/clients", all, `{"name":"one"}`).json(t)["client_id"].(string)
	c2 := e.req("POST", "/clients", all, `{"name":"two"}`).json(t)["client_id"].(string)

	r := e.req("GET", "/connections", "read:connections", nil)
	expect(t, r, 200, "", "")
	list := r.list(t)
	if len(list) != 1 {
		t.Fatalf("want one connection: %s", r.body)
	}
	conn := list[0]
	id, _ := conn["id"].(string)
	if conn["name"] != "Username-Password-Authentication" || conn["strategy"] != "auth0" || !strings.HasPrefix(id, "con_") || len(id) != 20 {
		t.Fatalf("connection: %s", r.body)
	}
	enabled := func(c map[string]any) []string {
		var out []string
		for _, v := range c["enabled_clients"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	// Default: every client, including the admin client of the harness.
	if got := enabled(conn); !slices.Contains(got, c1) || !slices.Contains(got, c2) {
		t.Errorf("enabled_clients by default: %v", got)
	}
	opts := conn["options"].(map[string]any)
	if opts["password_policy"] != "none" || opts["disable_signup"] != false {
		t.Errorf("options: %v", opts)
	}

	for q, n := range map[string]int{
		"?strategy=auth0": 1, "?strategy=google-oauth2": 0, "?name=Username-Password-Authentication": 1,
		"?name=other": 0, "?take=1": -1, "?include_totals=true": -2,
	} {
		r := e.req("GET", "/connections"+q, "read:connections", nil)
		expect(t, r, 200, "", "")
		switch n {
		case -1:
			if cs := r.json(t)["connections"].([]any); len(cs) != 1 {
				t.Errorf("%s: %s", q, r.body)
			}
		case -2:
			if r.json(t)["total"] != 1.0 {
				t.Errorf("%s: %s", q, r.body)
			}
		default:
			if len(r.list(t)) != n {
				t.Errorf("%s: %s", q, r.body)
			}
		}
	}
	expect(t, e.req("GET", "/connections?strategy=auth0", "read:clients", nil), 403, "insufficient_scope", "")
	expect(t, e.req("GET", "/connections/"+id, "read:connections", nil), 200, "", "")
	expect(t, e.req("GET", "/connections/con_nope", "read:connections", nil), 404, "inexistent_connection", "")

	// What deploy-cli sends back on import: the connection as read, minus
	// the read-only properties. It succeeds and changes nothing.
	back := map[string]any{}
	for k, v := range conn {
		if k != "id" && k != "name" && k != "strategy" && k != "realms" {
			back[k] = v
		}
	}
	r = e.req("PATCH", "/connections/"+id, "update:connections", back)
	expect(t, r, 200, "", "")

	// enabled_clients and options.disable_signup change.
	r = e.req("PATCH", "/connections/"+id, "update:connections", map[string]any{
		"enabled_clients": []string{c1}, "options": map[string]any{"disable_signup": true},
	})
	expect(t, r, 200, "", "")
	got := r.json(t)
	if !slices.Equal(enabled(got), []string{c1}) || got["options"].(map[string]any)["disable_signup"] != true {
		t.Errorf("after PATCH: %s", r.body)
	}
	r = e.req("GET", "/connections/"+id, "read:connections", nil)
	if !slices.Equal(enabled(r.json(t)), []string{c1}) {
		t.Errorf("not stored: %s", r.body)
	}
	for body, status := range map[string]int{
		`{"options":{"password_policy":"excellent"}}`: unsupported,
		`{"options":{"mfa":{"active":true}}}`:         unsupported,
		`{"display_name":"Other"}`:                    unsupported,
		`{"enabled_clients":["nope"]}`:                400,
		`{"enabled_clients":"x"}`:                     400,
		`{"options":{"disable_signup":"yes"}}`:        400,
		`[1]`:                                         400,
		`{"options":{"password_policy":"none"}}`:      200,
		`{"options":{"brute_force_protection":true}}`: 200,
		`{"is_domain_connection":false}`:              200,
	} {
		r := e.req("PATCH", "/connections/"+id, "update:connections", body)
		want := status
		if want == unsupported {
			want = 400
		}
		if r.status != want {
			t.Errorf("PATCH %s: %d %s, want %d", body, r.status, r.body, want)
		}
		if status == unsupported {
			var m map[string]any
			_ = json.Unmarshal(r.body, &m)
			if m["statusCode"] != 400.0 || m["errorCode"] != "operation_not_supported" {
				t.Errorf("PATCH %s: not Auth0's error shape: %s", body, r.body)
			}
		}
	}
}
