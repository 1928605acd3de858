package hooks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

func TestNamespaced(t *testing.T) {
	cases := map[string]bool{
		"https://example.com/claim":       true,
		"http://example.com/claim":        true,
		"https://foo.com/":                true,
		"https://example.com:8443/x":      true,
		"https://auth0.com/claim":         false,
		"https://tenant.auth0.com/claim":  false,
		"https://AUTH0.COM/claim":         false,
		"https://webtask.io/x":            false,
		"https://a.b.webtask.run/x":       false,
		"https://notauth0.com/x":          true,
		"https://auth0.com.evil.example/": true,
		"claim":                           false,
		"iss":                             false,
		"urn:example:claim":               false,
		"ftp://example.com/x":             false,
		"https:///nohost":                 false,
		"":                                false,
	}
	for name, want := range cases {
		if got := namespaced(name); got != want {
			t.Errorf("namespaced(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParseResponse(t *testing.T) {
	noScope := Changes{Access: TokenChanges{Scope: []string{}, ScopeSet: true}}
	cases := []struct {
		name    string
		trigger string
		raw     string
		want    Changes
		errCode string
	}{
		{"starter code keeps scope", CredentialsExchange, `{"scope":["read:connections"]}`,
			Changes{Access: TokenChanges{Scope: []string{"read:connections"}, ScopeSet: true}}, ""},
		{"scope as string", CredentialsExchange, `{"scope":"a b  c"}`,
			Changes{Access: TokenChanges{Scope: []string{"a", "b", "c"}, ScopeSet: true}}, ""},
		{"empty scope wipes", CredentialsExchange, `{"scope":[]}`,
			Changes{Access: TokenChanges{Scope: []string{}, ScopeSet: true}}, ""},
		{"absent scope issues no scope", CredentialsExchange, `{"https://example.com/foo":"bar"}`,
			Changes{Access: TokenChanges{Scope: []string{}, ScopeSet: true, Claims: map[string]json.RawMessage{"https://example.com/foo": json.RawMessage(`"bar"`)}}}, ""},
		{"null scope issues no scope", CredentialsExchange, `{"scope":null}`, noScope, ""},
		{"reserved and plain names dropped", CredentialsExchange,
			`{"iss":"x","sub":"y","aud":"z","exp":1,"plain":1,"https://auth0.com/x":1,"https://ok.example/n":{"a":[1,2]}}`,
			Changes{Access: TokenChanges{Scope: []string{}, ScopeSet: true, Claims: map[string]json.RawMessage{"https://ok.example/n": json.RawMessage(`{"a":[1,2]}`)}}}, ""},
		{"scope number refused", CredentialsExchange, `{"scope":42}`, Changes{}, "invalid_scope"},
		{"scope array of numbers refused", CredentialsExchange, `{"scope":[1,2]}`, Changes{}, "invalid_scope"},
		{"not an object", CredentialsExchange, `"hello"`, noScope, ""},
		{"undefined response", CredentialsExchange, `null`, noScope, ""},
		{"empty response", CredentialsExchange, ``, noScope, ""},
		{"password empty object keeps granted", PasswordExchange, `{}`, Changes{}, ""},
		{"password absent accessToken.scope keeps granted", PasswordExchange, `{"accessToken":{"https://a.example/c":1}}`,
			Changes{Access: TokenChanges{Claims: map[string]json.RawMessage{"https://a.example/c": json.RawMessage(`1`)}}}, ""},
		{"password null accessToken.scope keeps granted", PasswordExchange, `{"accessToken":{"scope":null}}`, Changes{}, ""},
		{"password undefined response keeps granted", PasswordExchange, `null`, Changes{}, ""},
		{"leading space", CredentialsExchange, ` {"scope":["x"]}`,
			Changes{Access: TokenChanges{Scope: []string{"x"}, ScopeSet: true}}, ""},
		{"password tokens not objects", PasswordExchange, `{"accessToken":["x"],"idToken":"y"}`, Changes{}, ""},
		{"password both tokens", PasswordExchange,
			`{"accessToken":{"scope":["x"],"https://a.example/c":1,"c":2},"idToken":{"https://a.example/i":"v","scope":"ignored-as-claim"},"other":1}`,
			Changes{Access: TokenChanges{Scope: []string{"x"}, ScopeSet: true, Claims: map[string]json.RawMessage{"https://a.example/c": json.RawMessage(`1`)}},
				ID: TokenChanges{Claims: map[string]json.RawMessage{"https://a.example/i": json.RawMessage(`"v"`)}}}, ""},
		{"password top-level claims ignored", PasswordExchange, `{"https://a.example/c":1,"scope":["x"]}`, Changes{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseResponse(mustPoint(t, c.trigger), json.RawMessage(c.raw))
			if c.errCode != "" {
				if err == nil || err.Code != c.errCode {
					t.Fatalf("err = %v, want %s", err, c.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

func TestClaimsSizeCap(t *testing.T) {
	big := strings.Repeat("x", MaxClaimsBytes)
	cc := mustPoint(t, CredentialsExchange)
	_, err := parseResponse(cc, json.RawMessage(fmt.Sprintf(`{"https://a.example/big":%q}`, big)))
	if err == nil || err.Status != 500 || err.Code != "server_error" {
		t.Fatalf("err = %v", err)
	}
	ok := strings.Repeat("x", MaxClaimsBytes-100)
	if _, err := parseResponse(cc, json.RawMessage(fmt.Sprintf(`{"https://a.example/big":%q}`, ok))); err != nil {
		t.Fatalf("under the cap: %v", err)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		trigger string
		err     *sandbox.HookError
		status  int
		code    string
	}{
		{CredentialsExchange, &sandbox.HookError{Name: "InvalidScopeError", Message: "m"}, 400, "invalid_scope"},
		{CredentialsExchange, &sandbox.HookError{Name: "InvalidRequestError", Message: "m"}, 400, "invalid_request"},
		{CredentialsExchange, &sandbox.HookError{Name: "ServerError", Message: "m"}, 500, "server_error"},
		{CredentialsExchange, &sandbox.HookError{Name: "Error", Message: "m"}, 500, "server_error"},
		{CredentialsExchange, &sandbox.HookError{Name: "TypeError", Message: "m"}, 500, "server_error"},
		{CredentialsExchange, &sandbox.HookError{Message: "m"}, 500, "server_error"},
		{PasswordExchange, &sandbox.HookError{Name: "InvalidScopeError", Message: "m"}, 400, "invalid_scope"},
		{PasswordExchange, &sandbox.HookError{Name: "InvalidRequestError", Message: "m"}, 400, "invalid_request"},
		{PasswordExchange, &sandbox.HookError{Name: "ServerError", Message: "m"}, 500, "server_error"},
		{PasswordExchange, &sandbox.HookError{Name: "Error", Message: "m"}, 403, "access_denied"},
		{PasswordExchange, &sandbox.HookError{Message: "m"}, 403, "access_denied"},
	}
	for _, c := range cases {
		got := scriptError(mustPoint(t, c.trigger), c.err)
		if got.Status != c.status || got.Code != c.code || got.Description != "m" {
			t.Errorf("%s %+v → %d %s %q, want %d %s", c.trigger, c.err, got.Status, got.Code, got.Description, c.status, c.code)
		}
	}
	engine := []struct {
		err  error
		desc string
	}{
		{sandbox.ErrTimeout, "Request to Webtask exceeded allowed execution time"},
		{&sandbox.CompileError{Line: 1, Column: 2, Message: "x"}, "Unable to compile the extensibility code as javascript"},
		{fmt.Errorf("wrapped: %w", sandbox.ErrTimeout), "Request to Webtask exceeded allowed execution time"},
	}
	for _, c := range engine {
		got := engineError(c.err)
		if got.Status != 500 || got.Code != "server_error" || got.Description != c.desc {
			t.Errorf("%v → %+v", c.err, got)
		}
	}
	for _, e := range []error{sandbox.ErrMemory, sandbox.ErrCrashed, sandbox.ErrTooLarge} {
		got := engineError(e)
		if got.Status != 500 || strings.Contains(got.Description, "jsvm") {
			t.Errorf("%v → %+v leaks internals or wrong status", e, got)
		}
	}
}

func TestArgs(t *testing.T) {
	in := Input{
		Client:   Client{ID: "cid", Name: "n", Tenant: "t"},
		Audience: "https://api/",
		Context:  Context{IP: "1.2.3.4", UserAgent: "ua", Secrets: map[string]string{"K": "v"}},
	}
	a, err := args(mustPoint(t, CredentialsExchange), in)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(a))
	for i, r := range a {
		got[i] = string(r)
	}
	want := []string{
		`{"id":"cid","name":"n","tenant":"t","metadata":{}}`,
		``, // no scope: undefined
		`"https://api/"`,
		`{"ip":"1.2.3.4","userAgent":"ua","body":{},"webtask":{"secrets":{"K":"v"},"data":{"K":"v"},"meta":{},"headers":{},"id":""}}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("credentials-exchange args\n got %q\nwant %q", got, want)
	}
	in.Scope = []string{"a"}
	in.User = &User{ID: "auth0|1", Tenant: "t", Email: "e@x", EmailVerified: true}
	a, err = args(mustPoint(t, PasswordExchange), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 5 || string(a[0]) != `{"id":"auth0|1","tenant":"t","email":"e@x","emailVerified":true,"user_metadata":{},"app_metadata":{}}` || string(a[2]) != `["a"]` {
		t.Fatalf("password-exchange args %q", a)
	}
	if _, err := args(mustPoint(t, PasswordExchange), Input{}); err == nil {
		t.Fatal("password-exchange without a user must fail")
	}
}

func mustPoint(t *testing.T, id string) *Point {
	t.Helper()
	p, ok := Lookup(id)
	if !ok {
		t.Fatalf("no point %q", id)
	}
	return p
}
