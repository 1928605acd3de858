package e2e

import (
	"strings"
	"testing"
)

// profileAction is a credentials-exchange Action as teams write them: an
// npm dependency (lodash, pinned), a fetch to an internal service with a
// secret, and a deny when the service fails.
const profileAction = `const _ = require('lodash');

exports.onExecuteCredentialsExchange = async (event, api) => {
  const target = event.request.body.target || (event.secrets.PROFILE_API + '/users/' + event.client.client_id);
  let res;
  try {
    res = await fetch(target, {headers: {Authorization: 'Bearer ' + event.secrets.API_KEY}});
  } catch (err) {
    const cause = err.cause || err;
    api.accessToken.setCustomClaim('https://example.com/fetch_error', {code: cause.code || null, message: String(cause.message || err.message)});
    return;
  }
  if (!res.ok) {
    api.access.deny('server_error', 'profile service answered ' + res.status);
    return;
  }
  const profile = await res.json();
  api.accessToken.setCustomClaim('https://example.com/roles', _.sortBy(profile.roles));
  api.accessToken.setCustomClaim('https://example.com/auth', profile.auth);
  api.accessToken.setCustomClaim('https://example.com/id', profile.id);
  api.accessToken.setCustomClaim('https://example.com/lodash', _.VERSION);
};`

// TestActionsNPMAndFetch: an Action with an npm dependency is built in the
// background (pending or building, then built), deployed and run on
// Node.js; its fetch reaches a loopback mock the egress policy allows, and
// still not the metadata address. Secrets are write-only (issue 17).
func TestActionsNPMAndFetch(t *testing.T) {
	needNodeAndNPM(t)
	mock := newMockAPI(t)
	in := start(t, options{args: []string{"--hook-egress-allow", "127.0.0.0/8"}, env: npmEnv(t)})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)

	act := admin.create(t, "profile-enricher", "credentials-exchange", profileAction, map[string]any{
		"dependencies": []map[string]string{{"name": "lodash", "version": "4.17.21"}},
		"secrets":      []map[string]string{{"name": "PROFILE_API", "value": mock.url}, {"name": "API_KEY", "value": "k-123"}},
	})
	if st := act["status"]; st != "pending" && st != "building" && st != "built" {
		t.Fatalf("status after create %v", st)
	}
	id := act["id"].(string)
	built := admin.waitBuilt(t, id)
	if mustJSONs(built["dependencies"]) != `[{"name":"lodash","version":"4.17.21"}]` {
		t.Fatalf("dependencies %v", built["dependencies"])
	}
	if strings.Contains(mustJSONs(built), "k-123") || strings.Contains(mustJSONs(built), mock.url) {
		t.Fatalf("a secret value is readable: %s", mustJSONs(built["secrets"]))
	}
	secrets, _ := built["secrets"].([]any)
	if len(secrets) != 2 {
		t.Fatalf("secrets %v", built["secrets"])
	}
	for _, s := range secrets {
		if m := s.(map[string]any); m["name"] == nil || m["value"] != nil {
			t.Fatalf("secret %v", m)
		}
	}
	v := admin.deploy(t, id)
	if strings.Contains(mustJSONs(v), "k-123") {
		t.Fatalf("the version shows a secret value: %s", mustJSONs(v))
	}
	admin.bind(t, "credentials-exchange", id)

	_, tok := app.ok(t)
	want := map[string]any{"roles": []any{"admin", "dev"}, "auth": "Bearer k-123", "id": app.id, "lodash": "4.17.21"}
	gotClaims := map[string]any{}
	for k, v := range tok {
		if name, ok := strings.CutPrefix(k, "https://example.com/"); ok {
			gotClaims[name] = v
		}
	}
	if mustJSONs(gotClaims) != mustJSONs(want) {
		t.Fatalf("claims %s, want %s", mustJSONs(gotClaims), mustJSONs(want))
	}

	// The egress policy holds for Actions: the metadata address stays
	// out of reach with loopback allowed.
	_, tok = app.ok(t, "target", "http://169.254.169.254/latest/meta-data/")
	fe, _ := tok["https://example.com/fetch_error"].(map[string]any)
	refused(t, fe, "an Action's fetch of the metadata address")

	// A failing upstream: the Action's deny is the answer.
	oauthError(t, app.token("target", mock.url+"/no-such-route"), 500, "server_error", "profile service answered 404")
}
