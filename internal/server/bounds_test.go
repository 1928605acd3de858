package server_test

import (
	"fmt"
	"net/http"
	"testing"
)

// listRoutes is every Management API list that pages.
var listRoutes = []string{"/clients", "/resource-servers", "/client-grants", "/hooks", "/users", "/logs"}

// TestListPagingBounds (issue 12 item 8): page × per_page that overflows,
// or passes Auth0's bounds, is a 400 in Auth0's shape on every list and
// both backends (it was a panic on SQLite and "OFFSET must not be
// negative" on PostgreSQL, or "start": -2).
func TestListPagingBounds(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, in *instance) {
		for _, path := range listRoutes {
			for _, q := range []string{
				"page=9223372036854775807&per_page=2",
				"page=9223372036854775807&per_page=100&include_totals=true",
				"page=4611686018427387904&per_page=2",
				"page=1073741824&per_page=2",
				"per_page=101",
				"per_page=0",
				"page=-1",
				"page=99999999999999999999999",
			} {
				auth0Error(t, in.api("GET", path+"?"+q, ""), http.StatusBadRequest, "invalid_query_string")
			}
			if w := in.api("GET", path+"?page=2&per_page=100&include_totals=true", ""); w.Code != http.StatusOK {
				t.Fatalf("GET %s page 2: %d %s", path, w.Code, w.Body)
			}
		}
		// Logs: only the first 1000 events can be paged through, as on Auth0.
		for _, q := range []string{"page=10&per_page=100", "page=1000&per_page=1", "page=20&per_page=50&sort=date:1"} {
			auth0Error(t, in.api("GET", "/logs?"+q, ""), http.StatusBadRequest, "invalid_query_string")
		}
		for _, q := range []string{"page=9&per_page=100", "page=999&per_page=1", "page=19&per_page=50&sort=date:1"} {
			if w := in.api("GET", "/logs?"+q, ""); w.Code != http.StatusOK {
				t.Fatalf("GET /logs?%s: %d %s", q, w.Code, w.Body)
			}
		}
	})
}

// TestNotTextIsRefusedAlike (issue 12 item 9): a path, query or body that
// decodes to invalid UTF-8 or NUL gets the same 404 / 400 on both
// backends (PostgreSQL answered 500: its text refuses those bytes).
func TestNotTextIsRefusedAlike(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, in *instance) {
		for _, res := range []string{"clients", "resource-servers", "client-grants", "hooks", "users", "logs", "keys/signing", "user-blocks"} {
			for _, bad := range []string{"%ff", "%00", "a%00b", "%c3%28", "%ed%a0%80"} {
				for _, m := range []string{"GET", "PATCH", "DELETE"} {
					w := in.api(m, fmt.Sprintf("/%s/%s", res, bad), "{}")
					if w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
						t.Fatalf("%s /%s/%s: %d %s", m, res, bad, w.Code, w.Body)
					}
				}
			}
		}
		for _, q := range []string{"q=type:%00", "q=client_id:%ff", "fields=%00", "include_fields=%ff"} {
			auth0Error(t, in.api("GET", "/logs?"+q, ""), http.StatusBadRequest, "invalid_query_string")
		}
		auth0Error(t, in.api("GET", "/users-by-email?email=a%00@b.c", ""), http.StatusBadRequest, "invalid_query_string")
		for _, body := range []string{`{"name":"a\u0000b"}`, "{\"name\":\"\xff\"}", `{"name":"ok","description":"\u0000"}`} {
			auth0Error(t, in.api("POST", "/clients", body), http.StatusBadRequest, "invalid_body")
		}
		w := in.do("POST", "/api/v2/users", "application/x-www-form-urlencoded", "connection=Username-Password-Authentication&email=a%00@b.c&password=xxxxxxxx1A!",
			http.Header{"Authorization": {"Bearer " + in.token}})
		auth0Error(t, w, http.StatusBadRequest, "invalid_body")
		// An escaped backslash before u0000 is text, not NUL.
		if w := in.api("POST", "/clients", `{"name":"a\\u0000b"}`); w.Code != http.StatusCreated {
			t.Fatalf("a literal \\u0000: %d %s", w.Code, w.Body)
		}
	})
}
