package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestActionsOnPostgresReplicas: two servers on one PostgreSQL. An Action
// created, deployed and bound through replica A runs on replica B; a new
// deployed version, a reordered binding list and an unbind made on A reach
// B without a restart; a restarted A still runs what is bound (issue 17:
// the catalog change kind "actions").
func TestActionsOnPostgresReplicas(t *testing.T) {
	db := postgresURL(t)
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	env := []string{"TOKENHOOK_MASTER_KEY=" + key}
	issuer := "https://auth.actions-replicas.example/"
	args := []string{"--issuer", issuer}
	a := start(t, options{db: db, env: env, args: args})
	b := start(t, options{db: db, env: env, args: args})
	token := tokenAt(t, a, adminID, adminSecret, issuer+"api/v2/")
	admin := &actionsAdmin{in: a, token: token}
	id, secret := createM2M(t, a, token, "https://shared.example/")
	onB := &m2mApp{in: b, id: id, secret: secret, aud: "https://shared.example/"}
	onA := &m2mApp{in: a, id: id, secret: secret, aud: "https://shared.example/"}
	claimOn := func(app *m2mApp) any {
		r := app.token()
		if r.status != 200 {
			return r.status
		}
		return claims(t, r.json(t)["access_token"].(string))["https://example.com/who"]
	}
	code := func(who string) string {
		return `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/who', '` + who + `');
};`
	}

	first := admin.createDeployed(t, "first", "credentials-exchange", code("first v1"), nil)
	second := admin.createDeployed(t, "second", "credentials-exchange", code("second"), nil)
	admin.bind(t, "credentials-exchange", first)
	if got := claimOn(onA); got != "first v1" {
		t.Fatalf("on A: %v", got)
	}
	waitFor(t, 30*time.Second, "B to run the Action bound on A", func() bool { return claimOn(onB) == "first v1" })

	admin.redeploy(t, first, code("first v2"))
	waitFor(t, 30*time.Second, "B to run the new version", func() bool { return claimOn(onB) == "first v2" })

	admin.bind(t, "credentials-exchange", first, second)
	waitFor(t, 30*time.Second, "B to run both in order", func() bool { return claimOn(onB) == "second" })
	admin.bind(t, "credentials-exchange", second, first)
	waitFor(t, 30*time.Second, "B to run the new order", func() bool { return claimOn(onB) == "first v2" })

	// The Management API of B sees the same bindings.
	bAdmin := &actionsAdmin{in: b, token: token}
	if l := bAdmin.must(t, 200, "GET", "triggers/credentials-exchange/bindings", nil)["bindings"].([]any); len(l) != 2 ||
		l[0].(map[string]any)["action"].(map[string]any)["id"] != second {
		t.Fatalf("bindings on B %v", l)
	}

	// A restarted runs what is bound, from storage.
	a.stop()
	a2 := start(t, options{db: db, env: env, args: args, dataDir: a.dataDir})
	if got := claimOn(&m2mApp{in: a2, id: id, secret: secret, aud: onA.aud}); got != "first v2" {
		t.Fatalf("after the restart: %v", got)
	}

	admin = &actionsAdmin{in: a2, token: token}
	admin.must(t, 200, "PATCH", "triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{}})
	waitFor(t, 30*time.Second, "B to stop running the unbound Actions", func() bool { return claimOn(onB) == nil })
}

// TestActionsRunaway: an Action that never ends is stopped at the
// trigger's 20 s limit with Auth0's timeout error while the server keeps
// issuing other clients' tokens; one that overflows its stack fails at
// once. The runaway does not stop the next requests from running the
// Action (issue 17: the isolation of hooks).
func TestActionsRunaway(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the 20 s execution limit")
	}
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	r := in.api("POST", "clients", map[string]any{"name": "fast app", "app_type": "non_interactive", "grant_types": []string{"client_credentials"},
		"client_metadata": map[string]string{"mode": "fast"}})
	if r.status != 201 {
		t.Fatalf("client: %d %s", r.status, r.body)
	}
	fast := &m2mApp{in: in, id: r.json(t)["client_id"].(string), secret: r.json(t)["client_secret"].(string), aud: app.aud}
	if r := in.api("POST", "client-grants", map[string]any{"client_id": fast.id, "audience": app.aud, "scope": []string{"read:orders"}}); r.status != 201 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	id := admin.createDeployed(t, "runaway", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata.mode === 'fast') {
    api.accessToken.setCustomClaim('https://example.com/fast', true);
    return;
  }
  if (event.request.body.op === 'recurse') {
    const f = (n) => f(n + 1) + 1;
    f(0);
  }
  while (true) {}
};`, nil)
	admin.bind(t, "credentials-exchange", id)

	var wg sync.WaitGroup
	var slow response
	var took time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		slow = app.token()
		took = time.Since(start)
	}()
	for i := 0; i < 5; i++ {
		if _, tok := fast.ok(t); tok["https://example.com/fast"] != true {
			t.Fatalf("other client's token while an Action runs away: %v", tok)
		}
		if r := in.do("GET", ".well-known/jwks.json", "", nil, nil); r.status != 200 {
			t.Fatalf("JWKS: %d", r.status)
		}
	}
	wg.Wait()
	oauthError(t, slow, 500, "server_error", "Request to Webtask exceeded allowed execution time")
	if took < 19*time.Second || took > 90*time.Second {
		t.Errorf("the runaway was answered after %v, want about 20 s", took)
	}

	oauthError(t, app.token("op", "recurse"), 500, "server_error", "")
	if _, tok := fast.ok(t); tok["https://example.com/fast"] != true {
		t.Fatalf("after the runaways: %v", tok)
	}
}

// TestActionsNPMOnReplicas: an Action with an npm dependency built and
// deployed through replica A runs on replica B (its own data directory),
// which installs the same tree from the stored lockfile in the background
// instead of failing for good (issue 17: dependencies install as issue
// 10's do).
func TestActionsNPMOnReplicas(t *testing.T) {
	needNodeAndNPM(t)
	db := postgresURL(t)
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	env := append([]string{"TOKENHOOK_MASTER_KEY=" + key}, npmEnv(t)...)
	issuer := "https://auth.actions-npm-replicas.example/"
	args := []string{"--issuer", issuer}
	a := start(t, options{db: db, env: env, args: args})
	b := start(t, options{db: db, env: env, args: args})
	token := tokenAt(t, a, adminID, adminSecret, issuer+"api/v2/")
	admin := &actionsAdmin{in: a, token: token}
	id, secret := createM2M(t, a, token, "https://shared.example/")
	act := admin.createDeployed(t, "with-lodash", "credentials-exchange", `const _ = require('lodash');
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/lodash', _.VERSION);
};`, map[string]any{"dependencies": []map[string]string{{"name": "lodash", "version": "4.17.21"}}})
	admin.bind(t, "credentials-exchange", act)
	lodashOn := func(in *instance) (int, any) {
		r := (&m2mApp{in: in, id: id, secret: secret, aud: "https://shared.example/"}).token()
		if r.status != 200 {
			return r.status, string(r.body)
		}
		return 200, claims(t, r.json(t)["access_token"].(string))["https://example.com/lodash"]
	}
	if status, v := lodashOn(a); status != 200 || v != "4.17.21" {
		t.Fatalf("on A: %d %v", status, v)
	}
	var before any
	waitFor(t, 3*time.Minute, "replica B to run the Action with its dependency", func() bool {
		status, v := lodashOn(b)
		if status != 200 && before == nil {
			before = v
		}
		return status == 200 && v == "4.17.21"
	})
	if before != nil && !strings.Contains(before.(string), "The Action's dependencies are not installed on this server yet") {
		t.Fatalf("B before its install finished: %v", before)
	}
	t.Logf("B before its install finished: %v", before)
}
