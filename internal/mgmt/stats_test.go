package mgmt_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// TestStats: /stats/active-users counts the users who logged in during the
// last 30 days, /stats/daily the logins (password grants) and signups of
// each day, in Auth0's shapes.
func TestStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	day := 24 * time.Hour
	for i, ago := range []time.Duration{time.Hour, 29 * day, 31 * day, -1} {
		id := fmt.Sprintf("auth0|u%d", i)
		if err := e.store.CreateUser(ctx, storage.User{Tenant: tenant, UserID: id, Connection: storage.DatabaseConnection,
			Email: fmt.Sprintf("u%d@example.com", i), CreatedAt: testNow.Add(-60 * day), UpdatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
		if ago >= 0 {
			if err := e.store.RecordLogin(ctx, tenant, id, "192.0.2.1", testNow.Add(-ago)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := e.req("GET", "/stats/active-users", "read:stats", nil)
	expect(t, r, 200, "", "")
	if string(r.body) != "2" {
		t.Fatalf("active users: %s", r.body)
	}

	var events []storage.LogEvent
	for i, ev := range []struct {
		at  time.Time
		typ string
	}{
		{testNow.Add(-2 * time.Hour), "sepft"}, {testNow.Add(-time.Hour), "sepft"}, {testNow.Add(-3 * time.Hour), "ss"},
		{testNow.Add(-time.Hour), "fepft"}, {testNow.Add(-time.Hour), "seccft"}, {testNow.Add(-2 * day), "ss"},
		{testNow.Add(-40 * day), "sepft"},
	} {
		events = append(events, storage.LogEvent{Tenant: tenant, LogID: fmt.Sprintf("9200%02d", i), Date: ev.at, Type: ev.typ, ClientID: "c1"})
	}
	if err := e.store.AppendLogEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	r = e.req("GET", "/stats/daily?from=20261118&to=20261120", "read:stats", nil)
	expect(t, r, 200, "", "")
	got = r.list(t)
	want := []map[string]any{
		{"date": "2026-11-18T00:00:00.000Z", "logins": 0.0, "signups": 1.0, "leaked_passwords": 0.0,
			"created_at": "2026-11-18T12:00:00.000Z", "updated_at": "2026-11-18T12:00:00.000Z"},
		{"date": "2026-11-19T00:00:00.000Z", "logins": 0.0, "signups": 0.0, "leaked_passwords": 0.0},
		{"date": "2026-11-20T00:00:00.000Z", "logins": 2.0, "signups": 1.0, "leaked_passwords": 0.0,
			"created_at": "2026-11-20T09:00:00.000Z", "updated_at": "2026-11-20T11:00:00.000Z"},
	}
	if len(got) != len(want) {
		t.Fatalf("daily: %s", r.body)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("day %d: %v, want %v", i, got[i], want[i])
		}
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("day %d %s = %v, want %v", i, k, got[i][k], v)
			}
		}
	}
	// By default the last 30 days, today included.
	got = e.req("GET", "/stats/daily", "read:logs", nil).list(t)
	if len(got) != 30 || got[0]["date"] != "2026-10-22T00:00:00.000Z" || got[29]["logins"] != 2.0 {
		t.Errorf("default range: %d days, %v ... %v", len(got), got[0], got[len(got)-1])
	}
	if got := e.req("GET", "/stats/daily?from=20261011", all, nil).list(t); len(got) != 41 || got[0]["logins"] != 1.0 {
		t.Errorf("from alone: %d days, first %v", len(got), got[0])
	}
	for _, bad := range []string{"?from=2026-11-18", "?from=20261121&to=20261120", "?from=20240101&to=20261120", "?to=tomorrow", "?days=3"} {
		expect(t, e.req("GET", "/stats/daily"+bad, all, nil), 400, "invalid_query_string", "")
	}
	expect(t, e.req("GET", "/stats/active-users", "read:users", nil), 403, "insufficient_scope", "")
}

// TestEmailVerificationRefused: Auth0's email verification routes answer a
// 400 operation_not_supported naming them, not a 404 route miss.
func TestEmailVerificationRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ path, scope, names string }{
		{"/tickets/email-verification", "create:user_tickets", "email verification tickets are not supported"},
		{"/jobs/verification-email", "update:users", "verification emails are not supported"},
	} {
		r := e.req("POST", tc.path, tc.scope, `{"user_id":"auth0|1"}`)
		expect(t, r, 400, "operation_not_supported", "")
		if m := r.json(t)["message"].(string); len(m) < len(tc.names) || m[:len(tc.names)] != tc.names {
			t.Errorf("%s: %s", tc.path, m)
		}
		expect(t, e.req("POST", tc.path, "read:users", `{}`), 403, "insufficient_scope", "")
		expect(t, e.req("POST", tc.path, all, `{"user_id":`), 400, "invalid_body", "")
	}
}
