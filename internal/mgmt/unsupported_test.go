package mgmt_test

import (
	"encoding/json"
	"testing"
)

// TestDefaultResources: resource types tokenhook does not implement read
// as an Auth0 tenant that has none (or its defaults); writing the default
// back succeeds, anything else is a 400 operation_not_supported in Auth0's shape
// (not a 5xx, which Auth0's SDKs retry for minutes).
func TestDefaultResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for path, want := range map[string]string{
		"/rules":                     `[]`,
		"/rules?include_totals=true": `{"limit":50,"rules":[],"start":0,"total":0}`,
		"/rules?take=10":             `{"rules":[]}`,
		"/rules-configs":             `[]`,
		"/log-streams":               `[]`,
		"/custom-domains":            `[]`,
		"/roles?per_page=100&page=0": `[]`,
		"/organizations?take=50":     `{"organizations":[]}`,
		"/guardian/policies":         `[]`,
		"/prompts":                   `{"identifier_first":false,"universal_login_experience":"new","webauthn_platform_first_factor":false}`,
		"/branding":                  `{}`,
		"/prompts/rendering?page=0&per_page=100&include_totals=true": `{"configs":[],"limit":100,"start":0,"total":0}`,
		"/connections-directory-provisionings?take=50":               `{"directory_provisionings":[]}`,
		"/risk-assessments/settings":                                 `{"enabled":false}`,
	} {
		r := e.req("GET", path, "read:tenant_settings", nil)
		expect(t, r, 200, "", "")
		var got, w any
		_ = json.Unmarshal(r.body, &got)
		_ = json.Unmarshal([]byte(want), &w)
		g, _ := json.Marshal(got)
		x, _ := json.Marshal(w)
		if string(g) != string(x) {
			t.Errorf("GET %s: %s, want %s", path, g, x)
		}
	}
	if r := e.req("GET", "/guardian/factors", "read:guardian_factors", nil); r.status != 200 || len(r.list(t)) != 8 {
		t.Errorf("guardian factors: %d %s", r.status, r.body)
	}
	expect(t, e.req("GET", "/rules", "read:clients", nil), 403, "insufficient_scope", "")

	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"PUT", "/guardian/policies", `[]`, 200},
		{"PUT", "/guardian/factors/sms", `{"enabled":false}`, 200},
		{"PUT", "/guardian/factors/sms", `{"enabled":true}`, unsupported},
		{"PUT", "/guardian/policies", `["all-applications"]`, unsupported},
		{"PATCH", "/prompts", `{"universal_login_experience":"new"}`, 200},
		{"PATCH", "/prompts", `{"identifier_first":true}`, unsupported},
		{"PATCH", "/branding", `{}`, 200},
		{"PATCH", "/branding", `{"colors":{"primary":"#000000"}}`, unsupported},
		{"PATCH", "/attack-protection/brute-force-protection", `{"enabled":true,"max_attempts":10}`, 200},
		{"PATCH", "/attack-protection/brute-force-protection", `{"max_attempts":3}`, unsupported},
		{"POST", "/rules", `{"name":"r","script":"function (u, c, cb) { cb(null, u, c) }"}`, unsupported},
		{"POST", "/roles", `{"name":"admin"}`, unsupported},
		{"PUT", "/guardian/policies", `not json`, 400},
	} {
		r := e.req(tc.method, tc.path, "update:tenant_settings", tc.body)
		want := tc.status
		if want == unsupported {
			want = 400
		}
		if r.status != want {
			t.Errorf("%s %s %s: %d %s, want %d", tc.method, tc.path, tc.body, r.status, r.body, want)
			continue
		}
		if tc.status == unsupported {
			m := r.json(t)
			if m["statusCode"] != 400.0 || m["errorCode"] != "operation_not_supported" || m["message"] == "" {
				t.Errorf("%s %s: not Auth0's error shape: %s", tc.method, tc.path, r.body)
			}
		}
	}
}

// unsupported marks a write the tables expect refused as unsupported: a
// 400 operation_not_supported naming the resource.
const unsupported = -1
