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
