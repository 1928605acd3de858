package mgmt_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var grantIDRe = regexp.MustCompile(`^cgr_[A-Za-z0-9]{16}$`)

func TestClientGrants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c1 := e.req("POST", "/clients", all, `{"name":"one","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	c2 := e.req("POST", "/clients", all, `{"name":"two","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	expect(t, e.req("POST", "/resource-servers", all, `{"identifier":"https://api.test/","scopes":[{"value":"read:data"},{"value":"write:data"}]}`), 201, "", "")
	rsID := e.req("POST", "/resource-servers", all, `{"identifier":"urn:other","scopes":[{"value":"x"}]}`).json(t)["id"].(string)

	r := e.req("POST", "/client-grants", "create:client_grants", map[string]any{"client_id": c1, "audience": "https://api.test/", "scope": []string{"read:data"}})
	expect(t, r, 201, "", "")
	g := r.json(t)
	id := g["id"].(string)
	if !grantIDRe.MatchString(id) || g["client_id"] != c1 || g["audience"] != "https://api.test/" || !slices.Equal(strs(g["scope"]), []string{"read:data"}) ||
		g["subject_type"] != "client" || len(g) != 5 {
		t.Fatalf("got %s", r.body)
	}
	expect(t, e.req("POST", "/client-grants", all, map[string]any{"client_id": c2, "audience": "https://api.test/", "scope": []string{}}), 201, "", "")
	expect(t, e.req("POST", "/client-grants", all, map[string]any{"client_id": c1, "audience": "urn:other", "scope": []string{"x"}}), 201, "", "")

	t.Run("create rejects", func(t *testing.T) {
		tests := []struct {
			name   string
			body   map[string]any
			status int
			code   string
			msg    string
		}{
			{"no client_id", map[string]any{"audience": "https://api.test/", "scope": []string{}}, 400, "invalid_body", "Payload validation error: 'Missing required property: client_id'."},
			{"no audience", map[string]any{"client_id": c1, "scope": []string{}}, 400, "invalid_body", "Payload validation error: 'Missing required property: audience'."},
			{"scope not array", map[string]any{"client_id": c1, "audience": "https://api.test/", "scope": "read:data"}, 400, "invalid_body", ""},
			{"unknown client", map[string]any{"client_id": "nope", "audience": "https://api.test/", "scope": []string{}}, 404, "inexistent_client", "The client does not exist"},
			{"unknown audience", map[string]any{"client_id": c1, "audience": "https://nope/", "scope": []string{}}, 404, "inexistent_resource_server", "The resource server does not exist"},
			{"audience given as id", map[string]any{"client_id": c2, "audience": rsID, "scope": []string{}}, 404, "inexistent_resource_server", ""},
			{"undefined scope", map[string]any{"client_id": c2, "audience": "urn:other", "scope": []string{"x", "admin"}}, 400, "invalid_body", ""},
			{"duplicate", map[string]any{"client_id": c1, "audience": "https://api.test/", "scope": []string{"write:data"}}, 409, "conflict", "A client grant for this client and audience already exists"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				expect(t, e.req("POST", "/client-grants", all, tt.body), tt.status, tt.code, tt.msg)
			})
		}
	})
	t.Run("list and filters", func(t *testing.T) {
		tests := []struct {
			query string
			n     int
		}{
			{"", 3},
			{"?client_id=" + c1, 2},
			{"?audience=" + url.QueryEscape("https://api.test/"), 2},
			{"?audience=urn:other&client_id=" + c1, 1},
			{"?client_id=nope", 0},
			{"?per_page=1", 1},
		}
		for _, tt := range tests {
			r := e.req("GET", "/client-grants"+tt.query, "read:client_grants", nil)
			expect(t, r, 200, "", "")
			if got := len(r.list(t)); got != tt.n {
				t.Errorf("%s: %d grants, want %d", tt.query, got, tt.n)
			}
		}
		got := e.req("GET", "/client-grants?include_totals=true&per_page=2&client_id="+c1, all, nil).json(t)
		if got["total"] != float64(2) || len(got["client_grants"].([]any)) != 2 {
			t.Errorf("got %v", got)
		}
		expect(t, e.req("GET", "/client-grants?scope=x", all, nil), 400, "invalid_query_string", "")
	})
	t.Run("get", func(t *testing.T) {
		r := e.req("GET", "/client-grants/"+id, "read:client_grants", nil)
		expect(t, r, 200, "", "")
		if r.json(t)["subject_type"] != "client" {
			t.Errorf("got %s", r.body)
		}
		for _, g := range e.req("GET", "/client-grants", all, nil).list(t) {
			if g["subject_type"] != "client" {
				t.Errorf("listed %v", g)
			}
		}
		expect(t, e.req("GET", "/client-grants/cgr_nope", all, nil), 404, "inexistent_client_grant", "The grant does not exist")
	})
	t.Run("patch", func(t *testing.T) {
		r := e.req("PATCH", "/client-grants/"+id, "update:client_grants", `{"scope":["read:data","write:data"]}`)
		expect(t, r, 200, "", "")
		if got := r.json(t); !slices.Equal(strs(got["scope"]), []string{"read:data", "write:data"}) || got["client_id"] != c1 {
			t.Errorf("got %s", r.body)
		}
		expect(t, e.req("PATCH", "/client-grants/"+id, all, `{"scope":["nope"]}`), 400, "invalid_body", "")
		expect(t, e.req("PATCH", "/client-grants/"+id, all, `{"audience":"urn:other"}`), 400, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: audience'.")
		expect(t, e.req("PATCH", "/client-grants/cgr_nope", all, `{"scope":[]}`), 404, "inexistent_client_grant", "")
	})
	t.Run("delete", func(t *testing.T) {
		expect(t, e.req("DELETE", "/client-grants/"+id, "delete:client_grants", nil), 204, "", "")
		expect(t, e.req("DELETE", "/client-grants/"+id, all, nil), 404, "inexistent_client_grant", "")
	})
	t.Run("deleting a client deletes its grants", func(t *testing.T) {
		expect(t, e.req("DELETE", "/clients/"+c1, all, nil), 204, "", "")
		if n := len(e.req("GET", "/client-grants?client_id="+c1, all, nil).list(t)); n != 0 {
			t.Errorf("%d grants left", n)
		}
	})
}

// TestClientGrantOrganizationSettings: organization_usage and
// allow_any_organization are taken, stored and returned as Auth0 does (a
// deploy-cli export of a tenant with organizations carries them), PATCH
// null removes them, and the list filter reads the stored value.
func TestClientGrantOrganizationSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c1 := e.req("POST", "/clients", all, `{"name":"one","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	c2 := e.req("POST", "/clients", all, `{"name":"two","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	expect(t, e.req("POST", "/resource-servers", all, `{"identifier":"https://api.test/","scopes":[{"value":"read:data"}]}`), 201, "", "")

	r := e.req("POST", "/client-grants", all, `{"client_id":"`+c1+`","audience":"https://api.test/","scope":["read:data"],"organization_usage":"require","allow_any_organization":true}`)
	expect(t, r, 201, "", "")
	g := r.json(t)
	id := g["id"].(string)
	if g["organization_usage"] != "require" || g["allow_any_organization"] != true {
		t.Fatalf("created %s", r.body)
	}
	plain := e.req("POST", "/client-grants", all, `{"client_id":"`+c2+`","audience":"https://api.test/","scope":[]}`).json(t)
	if _, ok := plain["organization_usage"]; ok || plain["allow_any_organization"] != nil {
		t.Fatalf("a grant without organization settings shows %v", plain)
	}
	read := e.req("GET", "/client-grants/"+id, all, nil).json(t)
	if read["organization_usage"] != "require" || read["allow_any_organization"] != true {
		t.Fatalf("read back %v", read)
	}
	audiences := func(query string) []string {
		var out []string
		for _, g := range e.req("GET", "/client-grants"+query, all, nil).list(t) {
			out = append(out, g["client_id"].(string))
		}
		return out
	}
	if got := audiences("?allow_any_organization=true"); !slices.Equal(got, []string{c1}) {
		t.Errorf("allow_any_organization=true: %v", got)
	}
	if got := audiences("?allow_any_organization=false"); !slices.Equal(got, []string{c2}) {
		t.Errorf("allow_any_organization=false: %v", got)
	}

	r = e.req("PATCH", "/client-grants/"+id, all, `{"organization_usage":"allow","allow_any_organization":false}`)
	expect(t, r, 200, "", "")
	if got := r.json(t); got["organization_usage"] != "allow" || got["allow_any_organization"] != false || !slices.Equal(strs(got["scope"]), []string{"read:data"}) {
		t.Fatalf("patched %s", r.body)
	}
	r = e.req("PATCH", "/client-grants/"+id, all, `{"scope":[]}`)
	if got := r.json(t); got["organization_usage"] != "allow" || got["allow_any_organization"] != false {
		t.Fatalf("a scope patch dropped them: %s", r.body)
	}
	r = e.req("PATCH", "/client-grants/"+id, all, `{"organization_usage":null,"allow_any_organization":null}`)
	expect(t, r, 200, "", "")
	if got := r.json(t); got["organization_usage"] != nil || got["allow_any_organization"] != nil {
		t.Fatalf("null did not remove them: %s", r.body)
	}
	r = e.req("PATCH", "/client-grants/"+id, all, "organization_usage=deny&allow_any_organization=true", "application/x-www-form-urlencoded")
	if got := r.json(t); r.status != 200 || got["organization_usage"] != "deny" || got["allow_any_organization"] != true {
		t.Fatalf("form patch: %d %s", r.status, r.body)
	}

	// subject_type client, what every grant here is, is taken (an export of
	// a tenant with user grants names it for every grant); user is not.
	c3 := e.req("POST", "/clients", all, `{"name":"three","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	expect(t, e.req("POST", "/client-grants", all, `{"client_id":"`+c3+`","audience":"https://api.test/","scope":[],"subject_type":"user"}`),
		400, "operation_not_supported", "")
	expect(t, e.req("POST", "/client-grants", all, `{"client_id":"`+c3+`","audience":"https://api.test/","scope":[],"subject_type":"robot"}`),
		400, "invalid_body", "")
	expect(t, e.req("POST", "/client-grants", all, `{"client_id":"`+c3+`","audience":"https://api.test/","scope":[],"subject_type":"client"}`), 201, "", "")

	for _, bad := range []string{
		`{"client_id":"` + c1 + `","audience":"https://api.test/","scope":[],"organization_usage":"sometimes"}`,
		`{"client_id":"` + c1 + `","audience":"https://api.test/","scope":[],"allow_any_organization":"yes"}`,
	} {
		expect(t, e.req("POST", "/client-grants", all, bad), 400, "invalid_body", "")
	}
	for _, bad := range []string{`{"organization_usage":"sometimes"}`, `{"organization_usage":5}`, `{"allow_any_organization":"yes"}`} {
		expect(t, e.req("PATCH", "/client-grants/"+id, all, bad), 400, "invalid_body", "")
	}
	if got := e.req("GET", "/client-grants/"+id, all, nil).json(t); got["organization_usage"] != "deny" {
		t.Fatalf("a refused patch changed it: %v", got)
	}
}

// TestClientGrantAllScopesAndAuthorizationDetails: allow_all_scopes and
// authorization_details_types are taken on create and PATCH, stored and
// returned only once set, as on Auth0 (Auth0's schema: scope optional,
// each type 1 to 255 characters); a grant never both lists scopes and
// allows all, which deploy-cli would refuse to import.
func TestClientGrantAllScopesAndAuthorizationDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c1 := e.req("POST", "/clients", all, `{"name":"one","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	c2 := e.req("POST", "/clients", all, `{"name":"two","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	expect(t, e.req("POST", "/resource-servers", all, `{"identifier":"https://api.test/","scopes":[{"value":"read:data"}]}`), 201, "", "")

	r := e.req("POST", "/client-grants", all, `{"client_id":"`+c1+`","audience":"https://api.test/","allow_all_scopes":true,"authorization_details_types":["payment","shipping"]}`)
	expect(t, r, 201, "", "")
	g := r.json(t)
	id := g["id"].(string)
	if g["allow_all_scopes"] != true || !slices.Equal(strs(g["authorization_details_types"]), []string{"payment", "shipping"}) ||
		!slices.Equal(strs(g["scope"]), []string{}) || g["subject_type"] != "client" {
		t.Fatalf("created %s", r.body)
	}
	if read := e.req("GET", "/client-grants/"+id, all, nil).json(t); read["allow_all_scopes"] != true || len(strs(read["authorization_details_types"])) != 2 {
		t.Fatalf("read back %v", read)
	}
	plain := e.req("POST", "/client-grants", all, `{"client_id":"`+c2+`","audience":"https://api.test/"}`)
	expect(t, plain, 201, "", "")
	for _, k := range []string{"allow_all_scopes", "authorization_details_types"} {
		if _, ok := plain.json(t)[k]; ok {
			t.Errorf("a grant without %s shows it: %s", k, plain.body)
		}
	}

	expect(t, e.req("PATCH", "/client-grants/"+id, all, `{"scope":["read:data"]}`), 400, "invalid_body", "")
	r = e.req("PATCH", "/client-grants/"+id, all, `{"allow_all_scopes":false,"scope":["read:data"],"authorization_details_types":["payment"]}`)
	expect(t, r, 200, "", "")
	if got := r.json(t); got["allow_all_scopes"] != false || !slices.Equal(strs(got["authorization_details_types"]), []string{"payment"}) ||
		!slices.Equal(strs(got["scope"]), []string{"read:data"}) {
		t.Fatalf("patched %s", r.body)
	}
	expect(t, e.req("PATCH", "/client-grants/"+id, all, `{"allow_all_scopes":true}`), 400, "invalid_body", "")
	r = e.req("PATCH", "/client-grants/"+id, all, `{"allow_all_scopes":null,"authorization_details_types":[]}`)
	expect(t, r, 200, "", "")
	if got := r.json(t); got["allow_all_scopes"] != nil || got["authorization_details_types"] != nil {
		t.Fatalf("null and [] did not remove them: %s", r.body)
	}

	c3 := e.req("POST", "/clients", all, `{"name":"three","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	for _, bad := range []string{
		`{"client_id":"` + c3 + `","audience":"https://api.test/","scope":["read:data"],"allow_all_scopes":true}`,
		`{"client_id":"` + c3 + `","audience":"https://api.test/","allow_all_scopes":"yes"}`,
		`{"client_id":"` + c3 + `","audience":"https://api.test/","authorization_details_types":"payment"}`,
		`{"client_id":"` + c3 + `","audience":"https://api.test/","authorization_details_types":[""]}`,
		`{"client_id":"` + c3 + `","audience":"https://api.test/","authorization_details_types":["` + strings.Repeat("x", 256) + `"]}`,
		`{"client_id":"` + c3 + `","audience":"https://api.test/","authorization_details_types":[5]}`,
	} {
		expect(t, e.req("POST", "/client-grants", all, bad), 400, "invalid_body", "")
	}
	for _, bad := range []string{`{"allow_all_scopes":"yes"}`, `{"authorization_details_types":[""]}`, `{"authorization_details_types":{}}`} {
		expect(t, e.req("PATCH", "/client-grants/"+id, all, bad), 400, "invalid_body", "")
	}
	if got := e.req("GET", "/client-grants?client_id="+c3, all, nil).list(t); len(got) != 0 {
		t.Fatalf("a refused create stored %v", got)
	}
}
