package mgmt_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// TestExtensibilityPoints reads the point table over HTTP and runs each
// point's starter code on its default payload through the runner: what the
// dashboard and the CLI get from this endpoint must work as served.
func TestExtensibilityPoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.req("GET", "/hooks/extensibility-points", "read:hooks", nil)
	expect(t, r, 200, "", "")
	var points []struct {
		ID             string          `json:"id"`
		Label          string          `json:"label"`
		Arguments      []string        `json:"arguments"`
		Sync           *bool           `json:"sync"`
		StarterCode    string          `json:"starter_code"`
		DefaultPayload json.RawMessage `json:"default_payload"`
	}
	if err := json.Unmarshal(r.body, &points); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	var ids []string
	for _, p := range points {
		ids = append(ids, p.ID)
	}
	if !reflect.DeepEqual(ids, hooks.Triggers) {
		t.Fatalf("ids %v, want the display order %v", ids, hooks.Triggers)
	}
	for i, raw := range r.list(t) {
		for _, k := range []string{"id", "label", "arguments", "sync", "starter_code", "default_payload"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("point %d lacks %q: %v", i, k, raw)
			}
		}
	}
	want := map[string][]string{
		"credentials-exchange":   {"client", "scope", "audience", "context"},
		"password-exchange":      {"user", "client", "scope", "audience", "context"},
		"pre-user-registration":  {"user", "context"},
		"post-user-registration": {"user", "context"},
		"post-change-password":   {"user", "context"},
	}
	for _, p := range points {
		if !reflect.DeepEqual(p.Arguments, want[p.ID]) || p.Label == "" || p.Sync == nil || *p.Sync != !strings.HasPrefix(p.ID, "post-") {
			t.Errorf("point %+v", p)
		}
		var payload map[string]any
		if err := json.Unmarshal(p.DefaultPayload, &payload); err != nil {
			t.Fatalf("%s default_payload is not an object: %s", p.ID, p.DefaultPayload)
		}
		run := e.req("POST", "/hooks/run", "create:hooks", map[string]any{
			"triggerId": p.ID, "script": p.StarterCode, "payload": p.DefaultPayload})
		rep := decodeReport(t, run)
		if rep.Error != nil {
			t.Fatalf("%s starter on its default payload: %+v", p.ID, rep.Error)
		}
		// The runner's own default is the same payload.
		again := decodeReport(t, e.req("POST", "/hooks/run", "create:hooks", map[string]any{
			"triggerId": p.ID, "script": p.StarterCode}))
		if !reflect.DeepEqual(again.Result, rep.Result) {
			t.Errorf("%s: default run %v, with the served payload %v", p.ID, again.Result, rep.Result)
		}
	}
	if !slices.Contains(ids, "password-exchange") {
		t.Fatal("password-exchange missing")
	}

	expect(t, e.req("GET", "/hooks/extensibility-points", "create:hooks", nil), 403, "insufficient_scope",
		"Insufficient scope, expected any of: read:hooks")
	expect(t, e.req("GET", "/hooks/extensibility-points", "-", nil), 401, "missing_authentication", "")
	expect(t, e.req("GET", "/hooks/extensibility-points?page=1", "read:hooks", nil), 400, "invalid_query_string", "")
	expect(t, e.req("POST", "/hooks/extensibility-points", all, map[string]any{}), 405, "method_not_allowed", "")
}
