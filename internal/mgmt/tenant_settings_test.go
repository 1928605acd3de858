package mgmt_test

import (
	"testing"
)

func TestTenantSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.req("GET", "/tenants/settings", "read:tenant_settings", nil)
	expect(t, r, 200, "", "")
	if string(r.body) != `{"friendly_name":"","default_audience":"","default_directory":""}` {
		t.Errorf("got %s", r.body)
	}
	steps := []struct {
		body string
		want map[string]string
	}{
		{`{"friendly_name":"Acme"}`, map[string]string{"friendly_name": "Acme", "default_audience": ""}},
		{`{"default_audience":"https://api.test/","default_directory":"Username-Password-Authentication"}`,
			map[string]string{"friendly_name": "Acme", "default_audience": "https://api.test/", "default_directory": "Username-Password-Authentication"}},
		{`{"default_audience":""}`, map[string]string{"friendly_name": "Acme", "default_audience": "", "default_directory": "Username-Password-Authentication"}},
	}
	for _, s := range steps {
		r := e.req("PATCH", "/tenants/settings", "update:tenant_settings", s.body)
		expect(t, r, 200, "", "")
		for _, got := range []map[string]any{r.json(t), e.req("GET", "/tenants/settings", all, nil).json(t)} {
			for k, v := range s.want {
				if got[k] != v {
					t.Errorf("after %s: %s = %v, want %q", s.body, k, got[k], v)
				}
			}
		}
	}
	got := e.req("GET", "/tenants/settings?fields=friendly_name", all, nil).json(t)
	if len(got) != 1 || got["friendly_name"] != "Acme" {
		t.Errorf("fields: %v", got)
	}
	expect(t, e.req("PATCH", "/tenants/settings", all, `{"sandbox_version":"18"}`), 400, "invalid_body",
		"Payload validation error: 'Additional properties not allowed: sandbox_version'.")
	expect(t, e.req("PATCH", "/tenants/settings", all, `{"friendly_name":7}`), 400, "invalid_body", "")
	expect(t, e.req("PATCH", "/tenants/settings", all, "friendly_name=Form", "application/x-www-form-urlencoded"), 200, "", "")
	if got := e.req("GET", "/tenants/settings", all, nil).json(t); got["friendly_name"] != "Form" || got["default_directory"] != "Username-Password-Authentication" {
		t.Errorf("form patch: %v", got)
	}
}
