package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Auth0 Actions through deploy-cli (issue 17): the round trip of
// TestDeployCLIRoundTrip carries two deployed, bound Actions (one per
// trigger, one with a secret and an npm dependency, beside the hook on
// credentials-exchange) and they run after the import; and an
// Auth0-style directory written by hand, as a team brings it from Auth0,
// imports, runs, imports again without losing a secret set since, and goes
// on to a third server through deploy-cli's YAML format. Its grants carry
// what Auth0 exports today (subject_type, allow_all_scopes,
// authorization_details_types): they import, and importing again updates
// them in place.

const (
	// m2mActionCode reads a dependency, the client's metadata, the claim
	// the hook set before it and a secret.
	m2mActionCode = `const _ = require('lodash');

exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/tier', _.upperCase(event.client.metadata.plan));
  api.accessToken.setCustomClaim('https://example.com/hook_plan', event.accessToken.customClaims['https://example.com/plan'] || 'none');
  api.accessToken.setCustomClaim('https://example.com/partner', event.secrets.PARTNER_KEY || 'unset');
};
`
	loginActionCode = `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/email', event.user.email);
  api.idToken.setCustomClaim('https://example.com/connection', event.connection.name);
};
`
	m2mActionDisplay = "Enrich M2M tokens"
)

// seedActions adds to seedTenant's tenant: m2m-enrich on
// credentials-exchange (lodash, a secret, a display name of its own) and
// login-email on post-login, both deployed and bound.
func seedActions(t *testing.T, in *instance) {
	t.Helper()
	must := func(r response, status int, what string) map[string]any {
		t.Helper()
		if r.status != status {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		return r.json(t)
	}
	m2m := must(in.api("POST", "actions/actions", map[string]any{
		"name": "m2m-enrich", "supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}},
		"code": m2mActionCode, "runtime": "node22",
		"dependencies": []map[string]string{{"name": "lodash", "version": "4.17.21"}},
		"secrets":      []map[string]string{{"name": "PARTNER_KEY", "value": "p4rtner"}},
	}), 201, "create m2m-enrich")
	login := must(in.api("POST", "actions/actions", map[string]any{
		"name": "login-email", "supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}}, "code": loginActionCode,
	}), 201, "create login-email")
	waitBuilt(t, in, m2m["id"].(string))
	for _, id := range []string{m2m["id"].(string), login["id"].(string)} {
		must(in.api("POST", "actions/actions/"+id+"/deploy", nil), 202, "deploy")
	}
	must(in.api("PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]string{"type": "action_name", "value": "m2m-enrich"}, "display_name": m2mActionDisplay},
	}}), 200, "bind credentials-exchange")
	must(in.api("PATCH", "actions/triggers/post-login/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]any{"type": "action_id", "value": login["id"]}},
	}}), 200, "bind post-login")

	id, secret := clientByName(t, in, "billing")
	c := claims(t, tokenAt(t, in, id, secret, "https://orders.example/"))
	if c["https://example.com/tier"] != "GOLD" || c["https://example.com/hook_plan"] != "gold" || c["https://example.com/partner"] != "p4rtner" ||
		c["https://example.com/plan"] != "gold" {
		t.Fatalf("the seeded tenant's token: %v", c)
	}
}

// waitBuilt waits for an Action's npm build (real npm, in the background).
func waitBuilt(t *testing.T, in *instance, id string) {
	t.Helper()
	var last string
	waitFor(t, 3*time.Minute, "the build of action "+id, func() bool {
		r := in.api("GET", "actions/actions/"+id, nil)
		last = string(r.body)
		if strings.Contains(last, `"status":"failed"`) {
			t.Fatalf("the build failed: %s", last)
		}
		return r.status == 200 && strings.Contains(last, `"status":"built"`)
	})
}

// clientByName returns the credentials of the application named name.
func clientByName(t *testing.T, in *instance, name string) (id, secret string) {
	t.Helper()
	for _, c := range in.api("GET", "clients", nil).list(t) {
		if c["name"] == name {
			id, _ = c["client_id"].(string)
			secret, _ = c["client_secret"].(string)
			if id == "" || secret == "" {
				t.Fatalf("client %s without credentials: %v", name, c)
			}
			return id, secret
		}
	}
	t.Fatalf("no client named %s", name)
	return "", ""
}

// checkActionsExport checks what a0deploy wrote for seedActions' Actions.
func checkActionsExport(t *testing.T, exp map[string]any) {
	t.Helper()
	want := map[string]any{
		"actions/m2m-enrich.json": map[string]any{
			"name": "m2m-enrich", "code": "./actions/m2m-enrich/code.js", "runtime": "node22", "status": "built",
			"dependencies":       []any{map[string]any{"name": "lodash", "version": "4.17.21"}},
			"secrets":            []any{map[string]any{"name": "PARTNER_KEY"}},
			"supported_triggers": []any{map[string]any{"id": "credentials-exchange", "version": "v2"}},
			"deployed":           true,
		},
		"actions/m2m-enrich/code.js": m2mActionCode,
		"actions/login-email.json": map[string]any{
			"name": "login-email", "code": "./actions/login-email/code.js", "runtime": "node22", "status": "built",
			"dependencies": []any{}, "secrets": []any{},
			"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}},
			"deployed":           true,
		},
		"actions/login-email/code.js": loginActionCode,
		"triggers/triggers.json": map[string]any{
			"credentials-exchange": []any{map[string]any{"action_name": "m2m-enrich", "display_name": m2mActionDisplay}},
			"post-login":           []any{map[string]any{"action_name": "login-email", "display_name": "login-email"}},
		},
	}
	for f, w := range want {
		got := exp[filepath.FromSlash(f)]
		if !reflect.DeepEqual(got, w) {
			g, _ := json.MarshalIndent(got, "", " ")
			ww, _ := json.MarshalIndent(w, "", " ")
			t.Errorf("exported %s:\n%s\nwant:\n%s", f, g, ww)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// checkImportedActions: after a0deploy import, both Actions are there,
// deployed and bound in the exported order; the secret exists by name
// without a value (the export holds names only) and the tenant log says
// so; the hook and the Action run on credentials-exchange, hook first.
func checkImportedActions(t *testing.T, in *instance) {
	t.Helper()
	list := in.api("GET", "actions/actions", nil).json(t)["actions"].([]any)
	byName := map[string]map[string]any{}
	for _, a := range list {
		a := a.(map[string]any)
		byName[a["name"].(string)] = a
	}
	m2m, login := byName["m2m-enrich"], byName["login-email"]
	if len(list) != 2 || m2m == nil || login == nil {
		t.Fatalf("imported actions: %v", list)
	}
	for _, a := range []map[string]any{m2m, login} {
		if a["status"] != "built" || a["all_changes_deployed"] != true || a["deployed_version"] == nil {
			t.Fatalf("imported action not deployed: %v", a)
		}
	}
	if m2m["code"] != m2mActionCode || !reflect.DeepEqual(m2m["dependencies"], []any{map[string]any{"name": "lodash", "version": "4.17.21"}}) {
		t.Fatalf("imported m2m-enrich: %v", m2m)
	}
	if s, _ := m2m["secrets"].([]any); len(s) != 1 || s[0].(map[string]any)["name"] != "PARTNER_KEY" {
		t.Fatalf("imported secrets: %v", m2m["secrets"])
	}
	waitForLog(t, in, "type:w", "PARTNER_KEY")
	for trigger, want := range map[string][2]string{"credentials-exchange": {"m2m-enrich", m2mActionDisplay}, "post-login": {"login-email", "login-email"}} {
		b := in.api("GET", "actions/triggers/"+trigger+"/bindings", nil).json(t)["bindings"].([]any)
		if len(b) != 1 || b[0].(map[string]any)["display_name"] != want[1] || b[0].(map[string]any)["action"].(map[string]any)["name"] != want[0] {
			t.Fatalf("%s bindings after import: %v", trigger, b)
		}
	}
	id, secret := clientByName(t, in, "billing")
	c := claims(t, tokenAt(t, in, id, secret, "https://orders.example/"))
	if c["https://example.com/tier"] != "GOLD" || c["https://example.com/hook_plan"] != "gold" || c["https://example.com/partner"] != "unset" ||
		c["https://example.com/plan"] != "gold" {
		t.Fatalf("token after the import: %v", c)
	}
}

// checkImportedActionsRun: the imported post-login Action runs in a
// password grant, and the secret set after the import (then deployed)
// reaches the credentials-exchange Action.
func checkImportedActionsRun(t *testing.T, in *instance) {
	t.Helper()
	confID, confSecret, _ := in.passwordApps()
	in.ann()
	r := in.login(confID, confSecret, "ann", annPassword, "scope", "openid")
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	tok := r.json(t)
	if at := claims(t, tok["access_token"].(string)); !strings.EqualFold(at["https://example.com/email"].(string), "ann@example.com") {
		t.Fatalf("post-login access token: %v", at)
	}
	if idt := claims(t, tok["id_token"].(string)); idt["https://example.com/connection"] != dbConn {
		t.Fatalf("post-login id token: %v", idt)
	}

	var m2mID string
	for _, a := range in.api("GET", "actions/actions?actionName=m2m-enrich", nil).json(t)["actions"].([]any) {
		m2mID = a.(map[string]any)["id"].(string)
	}
	if r := in.api("PATCH", "actions/actions/"+m2mID, map[string]any{"secrets": []map[string]string{{"name": "PARTNER_KEY", "value": "set-after"}}}); r.status != 200 {
		t.Fatalf("set the secret: %d %s", r.status, r.body)
	}
	if r := in.api("POST", "actions/actions/"+m2mID+"/deploy", nil); r.status != 202 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	id, secret := clientByName(t, in, "billing")
	if c := claims(t, tokenAt(t, in, id, secret, "https://orders.example/")); c["https://example.com/partner"] != "set-after" {
		t.Fatalf("token after setting the secret: %v", c)
	}
}

// An Auth0 tenant's Actions as a team writes them into a deploy-cli
// directory: names with spaces, Auth0's code templates, a node18 runtime,
// an empty modules list, a secret as the placeholder _VALUE_NOT_SHOWN_
// and one as a ##KEYWORD## filled in at import.
const (
	auth0PlanActionCode = `const _ = require('lodash');

/**
 * Handler that will be called during the execution of a Client Credentials exchange.
 *
 * @param {Event} event - Details about client credentials grant request.
 * @param {CredentialsExchangeAPI} api - Interface whose methods can be used to change the behavior of client credentials grant.
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  const plan = _.get(event, 'client.metadata.plan', 'free');
  api.accessToken.setCustomClaim('https://acme.example/plan', plan);
  api.accessToken.setCustomClaim('https://acme.example/region', event.secrets.REGION);
  api.accessToken.setCustomClaim('https://acme.example/key', event.secrets.PLAN_API_KEY ? 'set:' + event.secrets.PLAN_API_KEY : 'unset');
};
`
	auth0LoginActionCode = `/**
 * Handler that will be called during the execution of a PostLogin flow.
 *
 * @param {Event} event - Details about the user and the context in which they are logging in.
 * @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://acme.example';
  api.accessToken.setCustomClaim(namespace + '/plan', event.user.app_metadata.plan || 'free');
  api.idToken.setCustomClaim(namespace + '/email', event.user.email);
};
`
)

const inventoryAPI = "https://inventory.example/"

// inventoryGrant returns the grant of the Auth0 directory's allow-all
// grant as the server has it, after checking that it reads back as
// written and that a token for its API carries every scope of the API.
func inventoryGrant(t *testing.T, in *instance) map[string]any {
	t.Helper()
	grants := in.api("GET", "client-grants?audience="+url.QueryEscape(inventoryAPI), nil).list(t)
	if len(grants) != 1 {
		t.Fatalf("inventory grants: %v", grants)
	}
	g := grants[0]
	if g["subject_type"] != "client" || g["allow_all_scopes"] != true || len(g["scope"].([]any)) != 0 ||
		!reflect.DeepEqual(g["authorization_details_types"], []any{"payment_initiation"}) {
		t.Fatalf("inventory grant: %v", g)
	}
	id, secret := clientByName(t, in, "billing")
	if c := claims(t, tokenAt(t, in, id, secret, inventoryAPI)); c["scope"] != "read:stock write:stock" {
		t.Fatalf("inventory token: %v", c)
	}
	return g
}

func writeAuth0Directory(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "from-auth0")
	files := map[string]any{
		"resource-servers/Orders.json": map[string]any{"name": "Orders", "identifier": "https://orders.example/",
			"scopes": []any{map[string]any{"value": "read:orders", "description": "Read orders"}}, "token_lifetime": 3600},
		"clients/billing.json": map[string]any{"name": "billing", "app_type": "non_interactive",
			"grant_types": []any{"client_credentials"}, "client_metadata": map[string]any{"plan": "gold"}},
		"grants/billing-Orders.json": map[string]any{"client_id": "billing", "audience": "https://orders.example/", "scope": []any{"read:orders"}},
		"resource-servers/Inventory.json": map[string]any{"name": "Inventory", "identifier": inventoryAPI,
			"scopes": []any{map[string]any{"value": "read:stock"}, map[string]any{"value": "write:stock"}}},
		"grants/billing-Inventory.json": map[string]any{"client_id": "billing", "audience": inventoryAPI, "scope": []any{},
			"subject_type": "client", "allow_all_scopes": true, "authorization_details_types": []any{"payment_initiation"}},
		"actions/Add Plan Claim.json": map[string]any{
			"name": "Add Plan Claim", "code": "./actions/Add Plan Claim/code.js", "runtime": "node18", "status": "built",
			"dependencies": []any{map[string]any{"name": "lodash", "version": "4.17.21"}},
			"secrets": []any{map[string]any{"name": "PLAN_API_KEY", "value": "_VALUE_NOT_SHOWN_"},
				map[string]any{"name": "REGION", "value": "##REGION##"}},
			"supported_triggers": []any{map[string]any{"id": "credentials-exchange", "version": "v2"}},
			"deployed":           true,
		},
		"actions/Add Plan Claim/code.js": auth0PlanActionCode,
		"actions/Login Audit.json": map[string]any{
			"name": "Login Audit", "code": "./actions/Login Audit/code.js", "runtime": "node22", "status": "built",
			"dependencies": []any{}, "secrets": []any{}, "modules": []any{},
			"supported_triggers": []any{map[string]any{"id": "post-login", "version": "v3"}},
			"deployed":           true,
		},
		"actions/Login Audit/code.js": auth0LoginActionCode,
		"triggers/triggers.json": map[string]any{
			"credentials-exchange": []any{map[string]any{"action_name": "Add Plan Claim", "display_name": "Add Plan Claim"}},
			"post-login":           []any{map[string]any{"action_name": "Login Audit", "display_name": "Audit logins"}},
		},
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, ok := content.(string)
		if !ok {
			j, _ := json.MarshalIndent(content, "", "  ")
			b = string(j)
		}
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDeployCLIImportAuth0Actions(t *testing.T) {
	deployCLI(t)
	t.Parallel()
	cert := selfSignedCert(t)
	dst := start(t, options{tls: cert, env: npmEnv(t), args: fastBcrypt})
	dir := writeAuth0Directory(t)
	config := map[string]any{"AUTH0_KEYWORD_REPLACE_MAPPINGS": map[string]string{"REGION": "eu-west"}}

	out, ok := a0deployWith(t, dst, cert.cert, config, "import", "-i", dir)
	if !ok || !strings.Contains(out, "Import Successful") {
		t.Fatalf("a0deploy import of the Auth0 directory failed:\n%s", out)
	}
	var plan map[string]any
	for _, a := range dst.api("GET", "actions/actions", nil).json(t)["actions"].([]any) {
		a := a.(map[string]any)
		if a["status"] != "built" || a["all_changes_deployed"] != true {
			t.Fatalf("imported action not deployed: %v", a)
		}
		if a["name"] == "Add Plan Claim" {
			plan = a
		}
	}
	if plan == nil || plan["runtime"] != "node18" || plan["code"] != auth0PlanActionCode {
		t.Fatalf("imported Add Plan Claim: %v", plan)
	}
	grantIDs := func() map[string]any {
		out := map[string]any{}
		for _, g := range dst.api("GET", "client-grants", nil).list(t) {
			out[g["audience"].(string)] = g["id"]
		}
		return out
	}
	inventoryGrant(t, dst)
	firstGrants := grantIDs()
	waitForLog(t, dst, "type:w", "PLAN_API_KEY")
	post := dst.api("GET", "actions/triggers/post-login/bindings", nil).json(t)["bindings"].([]any)
	if len(post) != 1 || post[0].(map[string]any)["display_name"] != "Audit logins" {
		t.Fatalf("post-login bindings: %v", post)
	}

	id, secret := clientByName(t, dst, "billing")
	token := func() map[string]any {
		t.Helper()
		return claims(t, tokenAt(t, dst, id, secret, "https://orders.example/"))
	}
	if c := token(); c["https://acme.example/plan"] != "gold" || c["https://acme.example/region"] != "eu-west" || c["https://acme.example/key"] != "unset" {
		t.Fatalf("token after the import: %v", c)
	}
	confID, confSecret, _ := dst.passwordApps()
	dst.ann()
	r := dst.login(confID, confSecret, "ann", annPassword, "scope", "openid")
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	tok := r.json(t)
	if at := claims(t, tok["access_token"].(string)); at["https://acme.example/plan"] != "full" {
		t.Fatalf("post-login access token: %v", at)
	}
	if idt := claims(t, tok["id_token"].(string)); !strings.EqualFold(idt["https://acme.example/email"].(string), "ann@example.com") {
		t.Fatalf("post-login id token: %v", idt)
	}

	// The operator sets the placeholder's value, then the team imports the
	// same directory again (deploy-cli PATCHes and redeploys each Action):
	// the value stays, the placeholder never overwrites it.
	planID := plan["id"].(string)
	if r := dst.api("PATCH", "actions/actions/"+planID, map[string]any{"secrets": []map[string]string{
		{"name": "PLAN_API_KEY", "value": "k-123"}, {"name": "REGION"}}}); r.status != 200 {
		t.Fatalf("set the secret: %d %s", r.status, r.body)
	}
	if r := dst.api("POST", "actions/actions/"+planID+"/deploy", nil); r.status != 202 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	if c := token(); c["https://acme.example/key"] != "set:k-123" {
		t.Fatalf("token after setting the secret: %v", c)
	}
	out, ok = a0deployWith(t, dst, cert.cert, config, "import", "-i", dir)
	if !ok || !strings.Contains(out, "Import Successful") {
		t.Fatalf("second a0deploy import failed:\n%s", out)
	}
	if c := token(); c["https://acme.example/key"] != "set:k-123" || c["https://acme.example/region"] != "eu-west" || c["https://acme.example/plan"] != "gold" {
		t.Fatalf("token after importing again: %v", c)
	}
	// deploy-cli matched each grant by client, audience and subject_type
	// and updated it: none was deleted and created again.
	inventoryGrant(t, dst)
	if again := grantIDs(); !reflect.DeepEqual(again, firstGrants) {
		t.Fatalf("grant ids changed by the second import: %v, then %v", firstGrants, again)
	}
	versions := dst.api("GET", "actions/actions/"+planID+"/versions", nil).json(t)
	if versions["total"] != float64(3) {
		t.Fatalf("versions after two imports and a deploy: %v", versions["total"])
	}

	// deploy-cli's YAML format carries them on: tenant.yaml lists the
	// Actions and triggers, the code sits in actions/<name>/code.js.
	yamlDir := filepath.Join(t.TempDir(), "yaml")
	if out, ok := a0deploy(t, dst, cert.cert, "export", "-f", "yaml", "-o", yamlDir); !ok {
		t.Fatalf("a0deploy export -f yaml failed:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(yamlDir, "actions", "Add Plan Claim", "code.js")); err != nil || string(b) != auth0PlanActionCode {
		t.Fatalf("YAML export's code file: %v %q", err, b)
	}
	next := start(t, options{tls: cert, env: npmEnv(t)})
	if out, ok := a0deploy(t, next, cert.cert, "import", "-i", filepath.Join(yamlDir, "tenant.yaml")); !ok || !strings.Contains(out, "Import Successful") {
		t.Fatalf("a0deploy import of the YAML export failed:\n%s", out)
	}
	nid, nsecret := clientByName(t, next, "billing")
	c := claims(t, tokenAt(t, next, nid, nsecret, "https://orders.example/"))
	if c["https://acme.example/plan"] != "gold" || c["https://acme.example/key"] != "unset" || c["https://acme.example/region"] != nil {
		t.Fatalf("token after the YAML import (secrets exported by name only): %v", c)
	}
	inventoryGrant(t, next)
	post = next.api("GET", "actions/triggers/post-login/bindings", nil).json(t)["bindings"].([]any)
	if len(post) != 1 || post[0].(map[string]any)["display_name"] != "Audit logins" {
		t.Fatalf("post-login bindings after the YAML import: %v", post)
	}
}
