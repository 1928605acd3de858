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

func TestLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var events []storage.LogEvent
	for i, ev := range []struct{ typ, client string }{
		{"seccft", "c1"}, {"feccft", "c1"}, {"seccft", "c2"}, {"sepft", "c2"}, {"seccft", "c1"},
	} {
		events = append(events, storage.LogEvent{
			Tenant: tenant, LogID: fmt.Sprintf("9000%02d", i), Date: testNow.Add(time.Duration(i) * time.Second),
			Type: ev.typ, ClientID: ev.client, ClientName: "app " + ev.client, Description: "d",
			IP: "127.0.0.1", UserAgent: "test", Audience: "https://api.test/", Scope: "read:data",
			Details: map[string]any{"hook": "add-claims"},
		})
	}
	if err := e.store.AppendLogEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	ids := func(list []map[string]any) []string {
		var out []string
		for _, l := range list {
			out = append(out, l["log_id"].(string))
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"900004", "900003", "900002", "900001", "900000"}},
		{"?sort=date:-1&per_page=2", []string{"900004", "900003"}},
		{"?per_page=2&page=1", []string{"900002", "900001"}},
		{"?sort=date:1", []string{"900000", "900001", "900002", "900003", "900004"}},
		{"?sort=date:1&per_page=2&page=1", []string{"900002", "900003"}},
		{"?q=type:seccft", []string{"900004", "900002", "900000"}},
		{"?q=" + url.QueryEscape(`type:"seccft" AND client_id:c1`), []string{"900004", "900000"}},
		{"?q=" + url.QueryEscape("client_id:c2"), []string{"900003", "900002"}},
		{"?q=type:fepft", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.req("GET", "/logs"+tt.query, "read:logs", nil)
			expect(t, r, 200, "", "")
			if got := ids(r.list(t)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("shape", func(t *testing.T) {
		r := e.req("GET", "/logs/900001", "read:logs", nil)
		expect(t, r, 200, "", "")
		got := r.json(t)
		want := map[string]any{"log_id": "900001", "date": "2026-11-20T12:00:01.000Z", "type": "feccft", "client_id": "c1",
			"client_name": "app c1", "description": "d", "ip": "127.0.0.1", "user_agent": "test", "audience": "https://api.test/",
			"scope": "read:data", "hook": "add-claims"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		if _, ok := got["user_id"]; ok {
			t.Errorf("empty user_id present")
		}
		expect(t, e.req("GET", "/logs/nope", all, nil), 404, "inexistent_log", "The log does not exist")
	})
	t.Run("totals and fields", func(t *testing.T) {
		got := e.req("GET", "/logs?q=type:seccft&include_totals=true&per_page=1&fields=log_id,type", all, nil).json(t)
		logs := got["logs"].([]any)
		if got["total"] != float64(3) || len(logs) != 1 || len(logs[0].(map[string]any)) != 2 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, q := range []string{"q=user_name:bob", "q=seccft", "q=type:", "q=" + url.QueryEscape("type:a AND type:b"), "q=type:sec*", "sort=type:1", "per_page=101"} {
			expect(t, e.req("GET", "/logs?"+q, all, nil), 400, "invalid_query_string", "")
		}
	})
}

// TestLogTotalsStopAtWhatPagesReach: include_totals counts at most the
// 1000 events page/per_page can reach, whatever the log holds.
func TestLogTotalsStopAtWhatPagesReach(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var events []storage.LogEvent
	for i := range storage.MaxLogPage + 30 {
		typ := "seccft"
		if i%100 == 0 {
			typ = "feccft"
		}
		events = append(events, storage.LogEvent{Tenant: tenant, LogID: fmt.Sprintf("8%05d", i), Date: testNow.Add(time.Duration(i) * time.Millisecond),
			Type: typ, ClientID: "c1"})
	}
	if err := e.store.AppendLogEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]float64{
		"include_totals=true&per_page=5&page=3":                float64(storage.MaxLogPage),
		"include_totals=true&q=type:feccft":                    11,
		"include_totals=true&sort=date:1&q=client_id:c1":       float64(storage.MaxLogPage),
		"include_totals=true&q=client_id:c2&per_page=5&page=0": 0,
	} {
		got := e.req("GET", "/logs?"+query, "read:logs", nil).json(t)
		if got["total"] != want {
			t.Errorf("%s: total %v, want %v", query, got["total"], want)
		}
	}
}

// TestUserLogs: GET /users/{id}/logs is the tenant log's events of that
// user, paged, sorted and totalled as Auth0 answers it.
func TestUserLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var events []storage.LogEvent
	for i, user := range []string{"auth0|ann", "", "auth0|bob", "auth0|ann", "auth0|ann", ""} {
		events = append(events, storage.LogEvent{Tenant: tenant, LogID: fmt.Sprintf("9100%02d", i), Date: testNow.Add(time.Duration(i) * time.Second),
			Type: "sepft", ClientID: "c1", UserID: user, UserName: "someone@example.com"})
	}
	// Another tenant's event of the same user id stays out.
	events = append(events, storage.LogEvent{Tenant: "other", LogID: "910099", Date: testNow, Type: "sepft", UserID: "auth0|ann"})
	if err := e.store.AppendLogEvents(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	ids := func(list []any) []string {
		var out []string
		for _, l := range list {
			m := l.(map[string]any)
			if m["user_id"] != "auth0|ann" {
				t.Errorf("an event of %v", m["user_id"])
			}
			out = append(out, m["log_id"].(string))
		}
		return out
	}
	ann := "/users/" + url.PathEscape("auth0|ann") + "/logs"
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"910004", "910003", "910000"}},
		{"?sort=date:1", []string{"910000", "910003", "910004"}},
		{"?sort=date:-1&per_page=2&page=1", []string{"910000"}},
		{"?page=0&per_page=2&include_totals=false", []string{"910004", "910003"}},
	} {
		r := e.req("GET", ann+tt.query, "read:logs_users", nil)
		expect(t, r, 200, "", "")
		var list []any
		for _, m := range r.list(t) {
			list = append(list, m)
		}
		if got := ids(list); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.query, got, tt.want)
		}
	}
	got := e.req("GET", ann+"?include_totals=true&per_page=2&page=1&sort=date:1", "read:logs", nil).json(t)
	if got["start"] != float64(2) || got["limit"] != float64(2) || got["length"] != float64(1) || got["total"] != float64(3) ||
		!slices.Equal(ids(got["logs"].([]any)), []string{"910004"}) || len(got) != 5 {
		t.Errorf("with totals: %v", got)
	}
	r := e.req("GET", "/users/"+url.PathEscape("auth0|nobody")+"/logs?include_totals=true", "read:logs", nil)
	expect(t, r, 200, "", "")
	if got := r.json(t); got["total"] != float64(0) || len(got["logs"].([]any)) != 0 {
		t.Errorf("a user without events: %s", r.body)
	}
	// /logs takes the same filter in q, as Auth0's log search does.
	r = e.req("GET", "/logs?q="+url.QueryEscape(`user_id:"auth0|ann"`), "read:logs", nil)
	expect(t, r, 200, "", "")
	var viaQ []any
	for _, m := range r.list(t) {
		viaQ = append(viaQ, m)
	}
	if got := ids(viaQ); !slices.Equal(got, []string{"910004", "910003", "910000"}) {
		t.Errorf("q=user_id: %v", got)
	}
	expect(t, e.req("GET", ann, "read:users", nil), 403, "insufficient_scope", "")
	expect(t, e.req("GET", ann+"?sort=name:1", all, nil), 400, "invalid_query_string", "")
	expect(t, e.req("GET", ann+"?q=type:sepft", all, nil), 400, "invalid_query_string", "")
	expect(t, e.req("GET", ann+"?per_page=100&page=10", all, nil), 400, "invalid_query_string", "")
}
