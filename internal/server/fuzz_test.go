package server_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Fuzzing (issue 12 item 9): whatever a client sends, the token endpoint
// and the Management API answer it without a 5xx, on SQLite and on
// PostgreSQL alike. `go test` runs the seed corpus below (and any inputs
// saved under testdata/fuzz); a longer run, on one backend or both:
//
//	go test -run '^$' -fuzz FuzzTokenEndpoint -fuzztime 2m -parallel 2 ./internal/server
//	TOKENHOOK_FUZZ_BACKEND=postgres go test -run '^$' -fuzz FuzzManagementAPI -fuzztime 2m ./internal/server

// fuzzInstances starts the servers a fuzz target runs every input on:
// both backends unless TOKENHOOK_FUZZ_BACKEND names one.
func fuzzInstances(f *testing.F) []*instance {
	var out []*instance
	for _, b := range []string{"sqlite", "postgres"} {
		if want := os.Getenv("TOKENHOOK_FUZZ_BACKEND"); want != "" && want != b {
			continue
		}
		// The seed corpus runs on SQLite alone under -short (make test-unit).
		if b == "postgres" && (os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" || testing.Short()) {
			continue
		}
		out = append(out, start(f, b))
	}
	return out
}

// headerValue keeps a fuzzed header value on one line: a client cannot
// send CR or LF inside a header, and the wire format would make them
// other headers.
func headerValue(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

func FuzzTokenEndpoint(f *testing.F) {
	ins := fuzzInstances(f)
	audience := ins[0].cfg.ResolvedIssuer() + "api/v2/"
	good := "grant_type=client_credentials&client_id=" + adminID + "&client_secret=" + adminSecret + "&audience=" + audience
	form, json := "application/x-www-form-urlencoded", "application/json"
	for _, seed := range []struct{ ctype, body, ua, auth string }{
		{form, good, "curl/8", ""},
		{form, "grant_type=client_credentials&client_id=%ff&client_secret=x", "x", ""},
		{form, "grant_type=client_credentials&client_id=a%00b&client_secret=x", "\xff\xfe", ""},
		{form, "grant_type=password&username=a%00b&password=x&scope=openid&client_id=" + adminID, "", ""},
		{form, "grant_type=http://auth0.com/oauth/grant-type/password-realm&realm=Username-Password-Authentication&username=%ff&password=%00&scope=openid", "", ""},
		{form, "grant_type=client_credentials&audience=" + audience, "", "Basic " + "YWRtaW46eA=="},
		{form, "grant_type=client_credentials", "", "Basic %%%"},
		{form, "grant_type=client_credentials&grant_type=password", "", ""},
		{form, "%zz=1&grant_type", "", ""},
		{json, `{"grant_type":"client_credentials","client_id":"a\u0000","client_secret":"x"}`, "", ""},
		{json, `{"grant_type":"client_credentials","client_id":"` + adminID + `","client_id":"x"}`, "", ""},
		{json, `{"grant_type":["x"],"client_id":{}}`, "", ""},
		{json, "{\"grant_type\":\"\xff\"}", "", ""},
		{json, `[1,2]`, "", ""},
		{"text/plain", "x", "", ""},
		{"multipart/form-data; boundary=x", "--x--", "", ""},
		{"", "", "", ""},
		{form, "grant_type=client_credentials&client_secret=x&client_id=" + strings.Repeat("c", 4000), strings.Repeat("u", 4000), ""},
	} {
		f.Add(seed.ctype, seed.body, seed.ua, seed.auth)
	}
	f.Fuzz(func(t *testing.T, ctype, body, ua, auth string) {
		wire := "POST /oauth/token HTTP/1.1\r\nHost: tokenhook.test\r\n"
		for _, h := range [][2]string{{"Content-Type", ctype}, {"User-Agent", ua}, {"Authorization", auth}} {
			if v := headerValue(h[1]); v != "" {
				wire += h[0] + ": " + v + "\r\n"
			}
		}
		wire += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
		for _, in := range ins {
			w, ok := in.raw(wire)
			if !ok {
				return // net/http refuses it before any handler
			}
			if w.Code >= 500 {
				t.Fatalf("%s: %d %s\nrequest: %q", in.backend, w.Code, w.Body, wire)
			}
		}
	})
}

var fuzzMethods = []string{"GET", "POST", "PATCH", "PUT", "DELETE"}

func FuzzManagementAPI(f *testing.F) {
	ins := fuzzInstances(f)
	for _, seed := range []struct {
		method    uint8
		path, q   string
		body      string
		badHeader bool
	}{
		{0, "clients", "page=9223372036854775807&per_page=2", "", false},
		{0, "logs", "page=9223372036854775807&per_page=2&sort=date:1", "", false},
		{0, "logs", "q=type:%00&include_totals=true", "", false},
		{0, "logs", "q=client_id:\"%ff\" AND type:seccft", "", false},
		{0, "users", "q=%00&page=4611686018427387904&per_page=2", "", false},
		{0, "clients/%ff", "", "", false},
		{0, "clients/%00", "fields=%ff", "", false},
		{2, "resource-servers/%00", "", `{"name":"x"}`, false},
		{4, "client-grants/%ff%fe", "", "", false},
		{0, "users/a%00b", "", "", false},
		{0, "users-by-email", "email=%00", "", false},
		{0, "user-blocks", "identifier=%ff", "", false},
		{0, "hooks/%00/secrets", "", "", false},
		{1, "hooks/%ff/secrets", "", `{"K":"\u0000"}`, false},
		{0, "logs/%00", "", "", false},
		{0, "keys/signing/%ff", "", "", false},
		{1, "clients", "", `{"name":"a\u0000b"}`, false},
		{1, "clients", "", "{\"name\":\"\xff\"}", false},
		{1, "users", "", `{"connection":"Username-Password-Authentication","email":"a@b.c","password":"Passw0rd!x","username":"a\u0000"}`, false},
		{1, "resource-servers", "", `{"identifier":"https://x/\u0000","name":"n"}`, false},
		{2, "tenants/settings", "", `{"friendly_name":"\u0000"}`, false},
		{1, "hooks", "", `{"name":"h","script":"module.exports=function(c,cb){cb(null,{})}","triggerId":"credentials-exchange"}`, false},
		{0, "clients", "", "", true},
	} {
		f.Add(seed.method, seed.path, seed.q, seed.body, seed.badHeader)
	}
	f.Fuzz(func(t *testing.T, method uint8, path, query, body string, badHeader bool) {
		// Requests that would end the test's own access (revoking the
		// signing key, deleting the admin application) or never end (the
		// live log stream) are out of scope.
		if strings.Contains(path, "revoke") || strings.Contains(path, "stream") || strings.Contains(path, adminID) {
			return
		}
		target := "/api/v2/" + path
		if query != "" {
			target += "?" + query
		}
		for _, in := range ins {
			authz := "Bearer " + in.token
			if badHeader {
				authz = "Bearer \xff\x00" + in.token
			}
			wire := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: tokenhook.test\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				fuzzMethods[int(method)%len(fuzzMethods)], target, headerValue(authz), len(body), body)
			w, ok := in.raw(wire)
			if !ok {
				return
			}
			if w.Code >= 500 {
				t.Fatalf("%s: %d %s\nrequest: %q", in.backend, w.Code, w.Body, wire)
			}
		}
	})
}
