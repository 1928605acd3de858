package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Hostile hooks seen through the real binary (issue 12 items 6 and 7), on
// both runtimes: the test runner and live tokens share no module state,
// and a hook's huge error message is capped everywhere it goes.

// hookRuntimes is the first line that makes the save choose each runtime:
// a require of a module the embedded engine lacks, even in a comment,
// chooses Node.js.
var hookRuntimes = map[string]string{
	"embedded": "",
	"node":     "// runs on Node.js: require('https')\n",
}

// TestRunnerSharesNoModuleStateWithLiveTokens (item 6): a hook caching
// context.webtask.secrets.API_KEY in module scope. The runner, asked with
// the same source and no secrets, does not see the stored secret a live
// token cached; a runner call with an attacker's API_KEY does not reach
// the next live tokens; nor does it reach the next runner call. Runtimes
// were reused by exact source: the runner saw the live secret and five
// live tokens carried the attacker's value.
func TestRunnerSharesNoModuleStateWithLiveTokens(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	const claim = "https://example.com/key"
	for _, runtime := range []string{"embedded", "node"} {
		t.Run(runtime, func(t *testing.T) {
			script := hookRuntimes[runtime] + `let cached;
module.exports = function (client, scope, audience, context, cb) {
  cached = cached || context.webtask.secrets.API_KEY || 'none';
  cb(null, {scope: scope, 'https://example.com/key': cached});
};`
			r := admin.api("POST", "hooks", map[string]any{"name": "cache-" + runtime, "script": script, "triggerId": "credentials-exchange", "enabled": true})
			if r.status != 201 || r.json(t)["runtime"] != runtime {
				t.Fatalf("create hook: %d %s, want runtime %s", r.status, r.body, runtime)
			}
			id := r.json(t)["id"].(string)
			defer admin.api("DELETE", "hooks/"+id, nil)
			if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API_KEY": "STORED-VAL"}); r.status != 201 {
				t.Fatalf("secrets: %d %s", r.status, r.body)
			}
			live := func(what string) {
				t.Helper()
				r := app.token()
				if r.status != 200 {
					t.Fatalf("%s: token %d %s", what, r.status, r.body)
				}
				if got := claims(t, r.json(t)["access_token"].(string))[claim]; got != "STORED-VAL" {
					t.Fatalf("%s: live token carries %v, want STORED-VAL", what, got)
				}
			}
			run := func(path string, secrets map[string]string) any {
				t.Helper()
				body := map[string]any{"script": script, "secrets": secrets}
				if path == "hooks/run" { // code of no saved hook names its point
					body["triggerId"] = "credentials-exchange"
				}
				r := admin.api("POST", path, body)
				rep := r.json(t)
				res, _ := rep["result"].(map[string]any)
				if r.status != 200 || res == nil {
					t.Fatalf("run %s: %d %s", path, r.status, r.body)
				}
				return res[claim]
			}

			// Runner first, with the attacker's value, on the saved hook
			// and as unsaved code: the runner's module state must not
			// reach live tokens.
			if got := run("hooks/"+id+"/run", map[string]string{"API_KEY": "ATTACKER-VAL"}); got != "ATTACKER-VAL" {
				t.Fatalf("saved hook's runner with the attacker's secret: %v", got)
			}
			if got := run("hooks/run", map[string]string{"API_KEY": "ATTACKER-VAL"}); got != "ATTACKER-VAL" {
				t.Fatalf("runner with the attacker's secret: %v", got)
			}
			for i := range 5 {
				live(fmt.Sprintf("live token %d after the runner", i+1))
			}
			// Then the runner after live tokens cached the stored secret:
			// neither the live state nor an earlier runner call's reaches it.
			if got := run("hooks/run", map[string]string{}); got != "none" {
				t.Fatalf("the runner without secrets saw %v (a live or an earlier runner's cached secret)", got)
			}
			if got := run("hooks/"+id+"/run", map[string]string{"API_KEY": "OTHER-VAL"}); got != "OTHER-VAL" {
				t.Fatalf("saved hook's runner saw %v, want its own OTHER-VAL", got)
			}
		})
	}
}

// stringsOver walks a decoded JSON value and returns the strings longer
// than limit bytes, with their path.
func stringsOver(v any, path string, limit int) []string {
	var out []string
	switch v := v.(type) {
	case string:
		if len(v) > limit {
			out = append(out, path)
		}
	case map[string]any:
		for k, e := range v {
			out = append(out, stringsOver(e, path+"."+k, limit)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, stringsOver(e, path+"[]", limit)...)
		}
	}
	return out
}

// TestHookErrorMessagesAreCapped (item 7): a hook answering with a 20 MB
// error description. It was sent whole in the token answer (20 MB), stored
// whole in the log (105 MB for 5 requests) and took the server from 47 to
// 620 MB of RSS; now the description is cut to a few hundred bytes before
// it leaves the worker: in the token answer, in the log event and in the
// runner's report.
func TestHookErrorMessagesAreCapped(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	const limit = 512 // the cap is 400 bytes and a marker
	for _, runtime := range []string{"embedded", "node"} {
		t.Run(runtime, func(t *testing.T) {
			script := hookRuntimes[runtime] + `module.exports = function (client, scope, audience, context, cb) {
  cb(new InvalidRequestError('E'.repeat(20 << 20)));
};`
			r := admin.api("POST", "hooks", map[string]any{"name": "bomb-" + runtime, "script": script, "triggerId": "credentials-exchange", "enabled": true})
			if r.status != 201 || r.json(t)["runtime"] != runtime {
				t.Fatalf("create hook: %d %s, want runtime %s", r.status, r.body, runtime)
			}
			id := r.json(t)["id"].(string)
			defer admin.api("DELETE", "hooks/"+id, nil)
			rssBefore := in.rssBytes()

			for range 5 {
				r := app.token()
				var body map[string]any
				if err := json.Unmarshal(r.body, &body); err != nil || r.status != 400 || body["error"] != "invalid_request" {
					t.Fatalf("token: %d, %d bytes: %.200s", r.status, len(r.body), r.body)
				}
				desc, _ := body["error_description"].(string)
				if len(r.body) > 1024 || !strings.HasPrefix(desc, "EEEE") {
					t.Fatalf("token answer of %d bytes, error_description %.80q…", len(r.body), desc)
				}
			}

			r = admin.api("POST", "hooks/"+id+"/run", nil)
			e, _ := r.json(t)["error"].(map[string]any)
			if desc, _ := e["error_description"].(string); r.status != 200 || len(r.body) > 4096 || !strings.HasPrefix(desc, "EEEE") || len(desc) > limit {
				t.Fatalf("runner report: %d, %d bytes: %.200s", r.status, len(r.body), r.body)
			}

			var events []any
			waitFor(t, 30*time.Second, "the five failure events", func() bool {
				events = events[:0]
				for _, ev := range admin.api("GET", "logs?per_page=100&q="+url.QueryEscape("type:feccft AND client_id:"+app.id), nil).list(t) {
					if ev["hook"] == "bomb-"+runtime {
						events = append(events, ev)
					}
				}
				return len(events) == 5
			})
			if long := stringsOver(events, "events", limit); len(long) != 0 {
				t.Fatalf("log event fields over %d bytes: %v", limit, long)
			}
			grown := in.rssBytes() - rssBefore
			t.Logf("%s: server RSS grew by %.1f MB over 5 tokens, a runner call and listing the log", runtime, float64(grown)/1e6)
			if grown > 100<<20 {
				t.Fatalf("server RSS grew by %d MB", grown>>20)
			}
		})
	}
}

// TestMemoryKillSparesInnocentTokens (item 11): one hook, on both runtimes;
// the hook blows its memory for one client while another client's token is
// in flight on the same worker, waiting for an API. The worker is killed
// for the bomb; the bomb's token is a 500, and the innocent token runs
// again and gets its 200: on the embedded engine, which knows the bomb,
// on the fresh worker (a 500 too while blame went by script); on Node.js,
// which cannot tell which execution filled the process, each of them runs
// once more alone on a fresh worker, where the bomb kills only itself (a
// 500 for every execution in flight on the dead worker before).
func TestMemoryKillSparesInnocentTokens(t *testing.T) {
	for _, runtime := range []string{"embedded", "node"} {
		t.Run(runtime, func(t *testing.T) {
			api := newMockAPI(t)
			limit := map[string]string{"embedded": "268435456", "node": "134217728"}[runtime]
			in := start(t, options{args: []string{"--hook-workers", "1", "--hook-memory-limit", limit, "--hook-egress-allow", "127.0.0.1/32"}})
			app := newHookApp(t, in) // app.id has metadata mode=normal, app.otherID mode=fast
			admin := newHookAdmin(in)
			r := admin.api("POST", "hooks", map[string]any{"name": "blamed", "triggerId": "credentials-exchange", "enabled": true,
				"script": hookRuntimes[runtime] + `module.exports = async function (client, scope, audience, context, cb) {
  if (client.metadata.mode === 'fast') { const a = []; for (;;) a.push('x'.repeat(1 << 20) + a.length); }
  await fetch(context.webtask.secrets.API + '/barrier');
  cb(null, {scope: scope, 'https://example.com/innocent': true});
};`})
			if r.status != 201 || r.json(t)["runtime"] != runtime {
				t.Fatalf("create hook: %d %s, want runtime %s", r.status, r.body, runtime)
			}
			id := r.json(t)["id"].(string)
			if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API": api.url}); r.status != 201 {
				t.Fatalf("secrets: %d %s", r.status, r.body)
			}
			innocent := make(chan response, 1)
			go func() { innocent <- app.token() }()
			select {
			case <-api.barrierReached: // in flight on the worker, waiting for the API
			case <-time.After(30 * time.Second):
				t.Fatal("the innocent token's hook never reached the API")
			}
			bomb := make(chan response, 1)
			go func() { bomb <- app.tokenFor(app.otherID, app.otherSc) }()
			// The innocent token's hook runs again (its first fetch was
			// cut by the worker's death) and reaches the API a second time.
			select {
			case <-api.barrierReached:
			case <-time.After(60 * time.Second):
				t.Fatal("the innocent token's hook never ran again")
			}
			close(api.barrierRelease)
			oauthError(t, <-bomb, 500, "server_error", "")
			r = <-innocent
			if r.status != 200 {
				t.Fatalf("the innocent token: %d %s", r.status, r.body)
			}
			if c := claims(t, r.json(t)["access_token"].(string)); c["https://example.com/innocent"] != true {
				t.Fatalf("the innocent token's claims %v", c)
			}
		})
	}
}
