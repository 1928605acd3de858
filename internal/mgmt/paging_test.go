package mgmt_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// walk follows Auth0's checkpoint pagination from the first page to the
// last and returns the value of field of every item, in order.
func (e *env) walk(t *testing.T, path, key, field, query string) []string {
	t.Helper()
	var out []string
	from := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("checkpoint pagination does not end")
		}
		u := path + "?" + query
		if from != "" {
			u += "&from=" + url.QueryEscape(from)
		}
		r := e.req("GET", u, all, nil)
		expect(t, r, 200, "", "")
		m := r.json(t)
		items, ok := m[key].([]any)
		if !ok {
			t.Fatalf("%s: no %q array: %s", u, key, r.body)
		}
		for _, it := range items {
			out = append(out, fmt.Sprint(it.(map[string]any)[field]))
		}
		next, has := m["next"].(string)
		if !has {
			return out
		}
		if next == "" || len(items) == 0 {
			t.Fatalf("%s: next %q after %d items", u, next, len(items))
		}
		from = next
	}
}

func TestCheckpointPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var names []string
	for i := range 7 {
		name := fmt.Sprintf("app%d", i)
		names = append(names, name)
		c := e.req("POST", "/clients", all, fmt.Sprintf(`{"name":%q,"app_type":"non_interactive"}`, name)).json(t)
		expect(t, e.req("POST", "/resource-servers", all, fmt.Sprintf(`{"identifier":"urn:api%d","scopes":[{"value":"x"}]}`, i)), 201, "", "")
		expect(t, e.req("POST", "/client-grants", all, fmt.Sprintf(`{"client_id":%q,"audience":"urn:api%d","scope":["x"]}`, c["client_id"], i)), 201, "", "")
		expect(t, e.req("POST", "/hooks", all, fmt.Sprintf(`{"name":"h%d","script":"module.exports = function (c, x, cb) { cb(null, x) }","triggerId":"credentials-exchange"}`, i)), 201, "", "")
	}
	// Every take walks the whole list once, in the order of a plain read,
	// whether take divides the count or not; include_totals (which
	// deploy-cli sends with take) does not change the shape.
	for _, tc := range []struct{ path, key, field string }{
		{"/clients", "clients", "client_id"},
		{"/client-grants", "client_grants", "id"},
		{"/resource-servers", "resource_servers", "id"},
		{"/hooks", "hooks", "id"},
	} {
		var want []string
		for _, it := range e.req("GET", tc.path+"?per_page=100", all, nil).list(t) {
			want = append(want, fmt.Sprint(it[tc.field]))
		}
		if len(want) < 7 {
			t.Fatalf("%s: only %d items", tc.path, len(want))
		}
		for _, take := range []int{1, 2, 3, len(want), 50} {
			for _, extra := range []string{"", "&include_totals=true"} {
				got := e.walk(t, tc.path, tc.key, tc.field, fmt.Sprintf("take=%d%s", take, extra))
				if !slices.Equal(got, want) {
					t.Errorf("%s take=%d%s: got %v, want %v", tc.path, take, extra, got, want)
				}
			}
		}
		// from alone takes Auth0's default of 50.
		if got := e.walk(t, tc.path, tc.key, tc.field, "from="); !slices.Equal(got, want) {
			t.Errorf("%s from=: got %v, want %v", tc.path, got, want)
		}
	}
	// A filter applies before the checkpoint (clients filtered in memory).
	got := e.walk(t, "/clients", "clients", "name", "take=2&app_type=non_interactive")
	slices.Sort(got)
	if !slices.Equal(got, names) {
		t.Errorf("filtered clients: got %v, want %v", got, names)
	}
	for _, bad := range []string{
		"take=0", "take=101", "take=x", "from=garbage", "from=" + url.QueryEscape("not base64!"),
		"take=2&page=1", "take=2&per_page=5",
	} {
		expect(t, e.req("GET", "/clients?"+bad, all, nil), 400, "invalid_query_string", "")
	}
	// Auth0 offers no checkpoint on /users: from is an unknown parameter.
	expect(t, e.req("GET", "/users?take=2", all, nil), 400, "invalid_query_string", "")
}

func TestLogsCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var events []storage.LogEvent
	for i := range 5 {
		typ := "seccft"
		if i == 2 {
			typ = "feccft"
		}
		events = append(events, storage.LogEvent{Tenant: tenant, LogID: fmt.Sprintf("9000%02d", i),
			Date: testNow.Add(time.Duration(i) * time.Second), Type: typ, ClientID: "c1"})
	}
	if err := e.store.AppendLogEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	ids := func(query string) []string {
		t.Helper()
		r := e.req("GET", "/logs?"+query, "read:logs", nil)
		expect(t, r, 200, "", "")
		var out []string
		for _, l := range r.list(t) {
			out = append(out, l["log_id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"from=900001&take=2", []string{"900002", "900003"}},
		{"from=900003&take=50", []string{"900004"}},
		{"from=900004", nil},
		{"from=900000&take=10&q=type:seccft", []string{"900001", "900003", "900004"}},
		{"take=2", []string{"900004", "900003"}},
		// Auth0 ignores the other paging parameters, which node-auth0 7
		// sends with every logs.list.
		{"page=0&per_page=50&include_totals=true&from=900001&take=2", []string{"900002", "900003"}},
		{"from=900001&take=1&page=1&sort=date:-1", []string{"900002"}},
	} {
		if got := ids(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, bad := range []string{"take=0", "take=101", "from=900001&page=-1", "from=900001&per_page=0"} {
		expect(t, e.req("GET", "/logs?"+bad, "read:logs", nil), 400, "invalid_query_string", "")
	}
}
