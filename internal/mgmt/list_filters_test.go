package mgmt_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/password"
)

// TestListFiltersOfTheGeneratedSDKs: the list filters node-auth0 7 (and
// Auth0's other generated SDKs) expose, sent as they send them (arrays
// as repeated parameters), each answered as an Auth0 tenant would.
func TestListFiltersOfTheGeneratedSDKs(t *testing.T) {
	t.Parallel()
	hasher, err := password.NewHasher(password.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, func(d *mgmt.Deps) { d.Passwords = hasher })
	field := func(path, key, name string) []string {
		t.Helper()
		r := e.req("GET", path, all, nil)
		expect(t, r, 200, "", "")
		var out []string
		for _, item := range r.json(t)[key].([]any) {
			out = append(out, item.(map[string]any)[name].(string))
		}
		return out
	}
	for _, id := range []string{"https://a.example/", "https://b.example/", "https://c.example/"} {
		expect(t, e.req("POST", "/resource-servers", all, map[string]any{"identifier": id}), 201, "", "")
	}
	app := e.req("POST", "/clients", all, `{"name":"app","app_type":"non_interactive"}`).json(t)["client_id"].(string)
	expect(t, e.req("POST", "/client-grants", all, map[string]any{"client_id": app, "audience": "https://a.example/", "scope": []string{}}), 201, "", "")
	for i, email := range []string{"carol@example.com", "ann@example.com", "bob@example.com"} {
		expect(t, e.req("POST", "/users", all, map[string]any{"connection": "Username-Password-Authentication",
			"email": email, "password": "correct horse battery", "name": fmt.Sprintf("user %d", i)}), 201, "", "")
	}

	for _, tc := range []struct {
		path, key, field string
		want             []string
	}{
		{"/resource-servers?include_totals=true&identifiers=" + url.QueryEscape("https://b.example/"), "resource_servers", "identifier",
			[]string{"https://b.example/"}},
		{"/resource-servers?include_totals=true&identifiers=" + url.QueryEscape("https://c.example/") + "&identifiers=" + url.QueryEscape("https://a.example/"),
			"resource_servers", "identifier", []string{"https://a.example/", "https://c.example/"}},
		{"/resource-servers?include_totals=true&identifiers=nope", "resource_servers", "identifier", nil},
		{"/connections?take=50&strategy=auth0&strategy=google-oauth2", "connections", "name", []string{"Username-Password-Authentication"}},
		{"/connections?take=50&strategy=google-oauth2&strategy=samlp", "connections", "name", nil},
		{"/client-grants?take=50&client_id=" + app + "&allow_any_organization=false&subject_type=client", "client_grants", "audience", []string{"https://a.example/"}},
		{"/client-grants?take=50&allow_any_organization=true", "client_grants", "audience", nil},
		{"/client-grants?take=50&subject_type=user", "client_grants", "audience", nil},
		{"/client-grants?take=50&default_for=third_party_clients", "client_grants", "audience", nil},
		{"/clients?include_totals=true&external_client_id=x", "clients", "name", nil},
		{"/users?include_totals=true&sort=email:1", "users", "email", []string{"ann@example.com", "bob@example.com", "carol@example.com"}},
		{"/users?include_totals=true&sort=name:-1&per_page=2&page=0", "users", "name", []string{"user 2", "user 1"}},
	} {
		got := field(tc.path, tc.key, tc.field)
		if tc.key == "resource_servers" {
			slices.Sort(got) // listed in the store's order, not the filter's
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.path, got, tc.want)
		}
	}
	oldest := field("/users?include_totals=true&sort=created_at:1", "users", "email")
	newest := field("/users?include_totals=true&sort=created_at:-1&primary_order=true", "users", "email")
	slices.Reverse(newest)
	if len(oldest) != 3 || !slices.Equal(oldest, newest) {
		t.Errorf("sort=created_at: %v ascending, %v reversed descending", oldest, newest)
	}

	eleven := url.Values{}
	for i := range 11 {
		eleven.Add("identifiers", fmt.Sprintf("https://%d.example/", i))
	}

	for _, bad := range []string{
		"/resource-servers?" + eleven.Encode(),
		"/client-grants?subject_type=robot", "/client-grants?default_for=everyone", "/client-grants?allow_any_organization=maybe",
		"/users?sort=password:1", "/users?sort=email", "/users?sort=email:2", "/users?primary_order=sometimes",
		"/clients?app_type=spa&app_type=native",
	} {
		expect(t, e.req("GET", bad, all, nil), 400, "invalid_query_string", "")
	}
}
