package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// cacheAction is a credentials-exchange Action driven by the token
// request's op parameter, reporting what api.cache answered in the claim
// https://example.com/out. Results are summarised as "success" or the
// error code, so the test reads Auth0's result shapes as the code does.
const cacheAction = `const summary = (r) => r && r.type === 'success' ? 'success' : (r && r.type === 'error' ? r.code : 'bad result: ' + JSON.stringify(r));

exports.onExecuteCredentialsExchange = async (event, api) => {
  const op = event.request.body.op;
  const out = {};
  if (op === 'token') {
    // The usual pattern: cache an upstream credential across executions.
    const cached = api.cache.get('upstream-token');
    if (cached) {
      out.source = 'cache';
      out.value = cached.value;
      out.expires_at_type = typeof cached.expires_at;
      out.expires_in_future = cached.expires_at > Date.now() - 60000;
    } else {
      const r = api.cache.set('upstream-token', 'token-from-request-' + event.request.body.n, {ttl: 600000});
      out.source = 'fresh';
      out.set = summary(r);
      out.record_value = r.record && r.record.value;
    }
  } else if (op === 'limits') {
    out.key64 = summary(api.cache.set('k'.repeat(64), 'v'));
    out.key65 = summary(api.cache.set('k'.repeat(65), 'v'));
    out.value4k = summary(api.cache.set('big1', 'v'.repeat(4096)));
    out.value4k1 = summary(api.cache.set('big2', 'v'.repeat(4097)));
    out.total8k = summary(api.cache.set('big3', 'v'.repeat(4096)));
    out.expired = summary(api.cache.set('old', 'v', {expires_at: 1}));
  } else if (op === 'after-limits') {
    out.key64 = api.cache.get('k'.repeat(64)) ? 'found' : 'absent';
    out.key65 = api.cache.get('k'.repeat(65)) ? 'found' : 'absent';
    out.big1 = api.cache.get('big1') ? api.cache.get('big1').value.length : 'absent';
    out.big2 = api.cache.get('big2') ? 'found' : 'absent';
    out.big3 = api.cache.get('big3') ? 'found' : 'absent';
    out.delete = summary(api.cache.delete('big1'));
    out.delete_again = summary(api.cache.delete('big1'));
    out.delete_key64 = summary(api.cache.delete('k'.repeat(64)));
    out.delete_token = summary(api.cache.delete('upstream-token'));
  } else if (op === 'fill') {
    out.results = [];
    for (let i = 0; i <= 20; i++) out.results.push(summary(api.cache.set('entry-' + i, String(i))));
  } else if (op === 'count') {
    out.found = [];
    for (let i = 0; i <= 20; i++) if (api.cache.get('entry-' + i)) out.found.push(i);
  } else if (op === 'expiry-set') {
    out.session = summary(api.cache.set('session', 's', {ttl: 60000}));
    out.default = summary(api.cache.set('default', 'd'));
  } else if (op === 'expiry-get') {
    const s = api.cache.get('session'), d = api.cache.get('default');
    out.session = s ? s.expires_at : null;
    out.default = d ? d.expires_at : null;
  }
  api.accessToken.setCustomClaim('https://example.com/out', out);
};`

func cacheOut(t *testing.T, m *m2mApp, op string, kv ...string) map[string]any {
	t.Helper()
	_, tok := m.ok(t, append([]string{"op", op}, kv...)...)
	out, ok := tok["https://example.com/out"].(map[string]any)
	if !ok {
		t.Fatalf("op %s: no result claim: %v", op, tok)
	}
	return out
}

// TestActionsCache: api.cache through the real binary. A value set by one
// execution is found by the next; Auth0's limits answer its error codes
// (key 64 B, value 4 KB, 8 KB in all, 20 entries per trigger, an expiry in
// the past), and refused writes store nothing (issue 17, compat-spec §7).
func TestActionsCache(t *testing.T) {
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	id := admin.createDeployed(t, "cache-user", "credentials-exchange", cacheAction, nil)
	admin.bind(t, "credentials-exchange", id)

	if got := cacheOut(t, app, "token", "n", "1"); mustJSONs(got) != `{"record_value":"token-from-request-1","set":"success","source":"fresh"}` {
		t.Fatalf("first execution %s", mustJSONs(got))
	}
	for range 2 {
		if got := cacheOut(t, app, "token", "n", "2"); mustJSONs(got) != `{"expires_at_type":"number","expires_in_future":true,"source":"cache","value":"token-from-request-1"}` {
			t.Fatalf("next execution %s", mustJSONs(got))
		}
	}

	want := `{"expired":"ItemAlreadyExpired","key64":"success","key65":"CacheKeySizeExceeded","total8k":"CacheSizeExceeded","value4k":"success","value4k1":"CacheValueSizeExceeded"}`
	if got := cacheOut(t, app, "limits"); mustJSONs(got) != want {
		t.Fatalf("limits\n got %s\nwant %s", mustJSONs(got), want)
	}
	want = `{"big1":4096,"big2":"absent","big3":"absent","delete":"success","delete_again":"CacheKeyDoesNotExist","delete_key64":"success","delete_token":"success","key64":"found","key65":"absent"}`
	if got := cacheOut(t, app, "after-limits"); mustJSONs(got) != want {
		t.Fatalf("after the limits\n got %s\nwant %s", mustJSONs(got), want)
	}

	// 20 entries per trigger: the 21st set is refused.
	fill := cacheOut(t, app, "fill")
	results, _ := fill["results"].([]any)
	if len(results) != 21 {
		t.Fatalf("fill %v", fill)
	}
	for i, r := range results[:20] {
		if r != "success" {
			t.Fatalf("set %d of 20: %v", i+1, r)
		}
	}
	if r := results[20]; r != "CacheSizeExceeded" && r != "MaxSideEffectsExceeded" {
		t.Fatalf("the 21st entry: %v", r)
	}
	count := cacheOut(t, app, "count")
	if found, _ := count["found"].([]any); len(found) != 20 || found[19] != 19.0 {
		t.Fatalf("entries found by the next execution: %v", count["found"])
	}

	// The cache is per trigger: post-login does not see credentials-exchange's.
	confID, confSecret, _ := in.passwordApps()
	in.ann()
	pl := admin.createDeployed(t, "login-cache", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/seen', api.cache.get('entry-0') ? 'shared' : 'separate');
};`, nil)
	admin.bind(t, "post-login", pl)
	body := pwStatus(t, in.login(confID, confSecret, "ann", annPassword), 200, "login")
	if got := claims(t, body["access_token"].(string))["https://example.com/seen"]; got != "separate" {
		t.Fatalf("post-login read credentials-exchange's cache: %v", got)
	}
}

// TestActionsCacheExpiry: a server whose clock the test moves (the
// in-process server of servertest, real HTTP and SQLite): a record set
// with a ttl lives exactly that long, one without lives Auth0's default
// 15 minutes, and expires_at is the server's time in epoch milliseconds.
func TestActionsCacheExpiry(t *testing.T) {
	s := servertest.New(t)
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": ordersAPI, "name": "Orders",
		"scopes": []map[string]string{{"value": "read:orders"}}})
	c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "batch", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": ordersAPI, "scope": []string{"read:orders"}})
	act := s.MustAPI(201, "POST", "actions/actions", map[string]any{"name": "cache-expiry", "code": cacheAction, "runtime": "node22",
		"supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}}})
	aid := act["id"].(string)
	waitFor(t, time.Minute, "the Action's build", func() bool { return s.MustAPI(200, "GET", "actions/actions/"+aid, nil)["status"] == "built" })
	s.MustAPI(202, "POST", "actions/actions/"+aid+"/deploy", nil)
	s.MustAPI(200, "PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]string{"type": "action_id", "value": aid}, "display_name": "cache"}}})

	out := func(op string) map[string]any {
		t.Helper()
		r := s.Token(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {ordersAPI}, "op": {op}})
		if r.Status != 200 {
			t.Fatalf("token: %d %s", r.Status, r.Body)
		}
		o, ok := servertest.Claims(t, r.JSON(t)["access_token"].(string))["https://example.com/out"].(map[string]any)
		if !ok {
			t.Fatalf("op %s: no result claim in %s", op, r.Body)
		}
		return o
	}
	t0 := s.Clock.Now()
	if got := out("expiry-set"); mustJSONs(got) != `{"default":"success","session":"success"}` {
		t.Fatalf("set %s", mustJSONs(got))
	}
	got := out("expiry-get")
	if got["session"] != float64(t0.Add(time.Minute).UnixMilli()) || got["default"] != float64(t0.Add(15*time.Minute).UnixMilli()) {
		t.Fatalf("expires_at %v, want the server's time + 60 s and + 15 min (%d, %d)", got, t0.Add(time.Minute).UnixMilli(), t0.Add(15*time.Minute).UnixMilli())
	}
	s.Clock.Advance(59 * time.Second)
	if got := out("expiry-get"); got["session"] == nil {
		t.Fatalf("expired before its ttl: %v", got)
	}
	s.Clock.Advance(2 * time.Second)
	if got := out("expiry-get"); got["session"] != nil || got["default"] == nil {
		t.Fatalf("61 s after the set: %v", got)
	}
	s.Clock.Advance(14*time.Minute - 2*time.Second) // 14 min 59 s
	if got := out("expiry-get"); got["default"] == nil {
		t.Fatalf("the default lifetime ended early: %v", got)
	}
	s.Clock.Advance(2 * time.Second)
	if got := out("expiry-get"); got["default"] != nil {
		t.Fatalf("15 min 1 s after the set the default record is still there: %v", got)
	}
	if !strings.Contains(mustJSONs(out("expiry-set")), "success") {
		t.Fatal("the cache refuses writes after expiries")
	}
}
