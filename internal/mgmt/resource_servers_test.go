package mgmt_test

import (
	"net/url"
	"regexp"
	"slices"
	"testing"
)

var rsIDRe = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestResourceServers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.req("POST", "/resource-servers", "create:resource_servers",
		`{"identifier":"https://api.test/","name":"Data","scopes":[{"value":"read:data","description":"Read"},{"value":"write:data"}],"allow_offline_access":true}`)
	expect(t, r, 201, "", "")
	rs := r.json(t)
	id := rs["id"].(string)
	if !rsIDRe.MatchString(id) || rs["identifier"] != "https://api.test/" || rs["name"] != "Data" || rs["token_lifetime"] != float64(86400) ||
		rs["signing_alg"] != "RS256" || rs["allow_offline_access"] != true || rs["skip_consent_for_verifiable_first_party_clients"] != false {
		t.Fatalf("got %s", r.body)
	}
	if _, ok := rs["is_system"]; ok {
		t.Errorf("is_system on a user API: %s", r.body)
	}
	if len(rs["scopes"].([]any)) != 2 {
		t.Errorf("scopes %v", rs["scopes"])
	}

	t.Run("unnamed API is named after its identifier", func(t *testing.T) {
		r := e.req("POST", "/resource-servers", all, `{"identifier":"urn:plain"}`)
		expect(t, r, 201, "", "")
		if r.json(t)["name"] != "urn:plain" {
			t.Errorf("got %s", r.body)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, body := range []string{
			`{}`,
			`{"identifier":""}`,
			`{"identifier":"x","token_lifetime":2592001}`,
			`{"identifier":"x","token_lifetime":0}`,
			`{"identifier":"x","signing_alg":"ES512"}`,
			`{"identifier":"x","signing_alg":"none"}`,
			`{"identifier":"x","signing_secret":"too-short"}`,
			`{"identifier":"x","scopes":[{"value":"two words"}]}`,
			`{"identifier":"x","scopes":[{"value":"a"},{"value":"a"}]}`,
			`{"identifier":"x","scopes":[{"value":"a","extra":1}]}`,
			`{"identifier":"x","is_system":true}`,
		} {
			expect(t, e.req("POST", "/resource-servers", all, body), 400, "invalid_body", "")
		}
	})
	t.Run("duplicate identifier", func(t *testing.T) {
		expect(t, e.req("POST", "/resource-servers", all, `{"identifier":"https://api.test/"}`), 409, "conflict",
			"A resource server with the same identifier already exists")
		expect(t, e.req("POST", "/resource-servers", all, `{"identifier":"`+issuer+`api/v2/"}`), 409, "conflict", "")
	})
	t.Run("get by id and by identifier", func(t *testing.T) {
		for _, key := range []string{id, url.PathEscape("https://api.test/")} {
			r := e.req("GET", "/resource-servers/"+key, "read:resource_servers", nil)
			expect(t, r, 200, "", "")
			if r.json(t)["id"] != id {
				t.Errorf("got %s", r.body)
			}
		}
		expect(t, e.req("GET", "/resource-servers/nope", all, nil), 404, "inexistent_resource_server", "The resource server does not exist")
	})
	t.Run("patch", func(t *testing.T) {
		r := e.req("PATCH", "/resource-servers/"+id, "update:resource_servers", `{"token_lifetime":3600,"scopes":[{"value":"read:data"}]}`)
		expect(t, r, 200, "", "")
		got := r.json(t)
		if got["token_lifetime"] != float64(3600) || len(got["scopes"].([]any)) != 1 || got["name"] != "Data" || got["allow_offline_access"] != true {
			t.Errorf("got %s", r.body)
		}
		expect(t, e.req("PATCH", "/resource-servers/"+id, all, `{"identifier":"https://other/"}`), 400, "invalid_body",
			"Payload validation error: 'Additional properties not allowed: identifier'.")
		expect(t, e.req("PATCH", "/resource-servers/nope", all, `{"name":"x"}`), 404, "inexistent_resource_server", "")
	})
	t.Run("system API is listed and immutable", func(t *testing.T) {
		r := e.req("GET", "/resource-servers/"+e.sysID, all, nil)
		expect(t, r, 200, "", "")
		sys := r.json(t)
		if sys["is_system"] != true || sys["identifier"] != issuer+"api/v2/" || sys["name"] != "Auth0 Management API" {
			t.Errorf("got %s", r.body)
		}
		expect(t, e.req("PATCH", "/resource-servers/"+e.sysID, all, `{"name":"mine"}`), 403, "operation_not_supported", "The system resource server cannot be updated")
		expect(t, e.req("DELETE", "/resource-servers/"+url.PathEscape(issuer+"api/v2/"), all, nil), 403, "operation_not_supported", "The system resource server cannot be deleted")
	})
	t.Run("delete", func(t *testing.T) {
		expect(t, e.req("DELETE", "/resource-servers/"+id, "delete:resource_servers", nil), 204, "", "")
		expect(t, e.req("GET", "/resource-servers/"+id, all, nil), 404, "inexistent_resource_server", "")
		expect(t, e.req("DELETE", "/resource-servers/"+id, all, nil), 404, "inexistent_resource_server", "")
	})
}

func TestPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, ident := range []string{"urn:a", "urn:b", "urn:c", "urn:d", "urn:e"} {
		expect(t, e.req("POST", "/resource-servers", all, map[string]string{"identifier": ident}), 201, "", "")
	}
	// Six APIs with the system one.
	tests := []struct {
		query               string
		n                   int
		start, limit, total int // with include_totals
	}{
		{"", 6, -1, 0, 0},
		{"?per_page=2", 2, -1, 0, 0},
		{"?per_page=2&page=2", 2, -1, 0, 0},
		{"?per_page=4&page=1", 2, -1, 0, 0},
		{"?per_page=4&page=9", 0, -1, 0, 0},
		{"?include_totals=true", 6, 0, 50, 6},
		{"?include_totals=true&per_page=2&page=1", 2, 2, 2, 6},
		{"?include_totals=false&per_page=100", 6, -1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.req("GET", "/resource-servers"+tt.query, "read:resource_servers", nil)
			expect(t, r, 200, "", "")
			if tt.start < 0 {
				if got := len(r.list(t)); got != tt.n {
					t.Errorf("%d items, want %d", got, tt.n)
				}
				return
			}
			got := r.json(t)
			if got["start"] != float64(tt.start) || got["limit"] != float64(tt.limit) || got["total"] != float64(tt.total) ||
				len(got["resource_servers"].([]any)) != tt.n {
				t.Errorf("got %s", r.body)
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		for _, it := range e.req("GET", "/resource-servers?fields=identifier,id", all, nil).list(t) {
			keys := make([]string, 0)
			for k := range it {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"id", "identifier"}) {
				t.Errorf("keys %v", keys)
			}
		}
		for _, it := range e.req("GET", "/resource-servers?fields=scopes&include_fields=false", all, nil).list(t) {
			if _, ok := it["scopes"]; ok || it["identifier"] == nil {
				t.Errorf("item %v", it)
			}
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, q := range []string{"per_page=101", "per_page=0", "per_page=x", "page=-1", "page=1.5", "include_totals=yes", "include_fields=1", "sort=name:1", "page=1&page=2"} {
			expect(t, e.req("GET", "/resource-servers?"+q, all, nil), 400, "invalid_query_string", "")
		}
	})
}
