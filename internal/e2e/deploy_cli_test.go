package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Auth0's deploy-cli (a0deploy 8.x, unmodified, installed by `npm ci` from
// testdata/deploy-cli's pinned lock file) against the real binary over
// HTTPS: a default export of a seeded tenant (with hooks and Actions,
// deploy_cli_auth0_actions_test.go), its import into a fresh server, a second
// export that matches the first; and an import holding a rule, which must
// stop with an error naming rules (issue 15).

// deployCLI locates the installed deploy-cli, or fails saying how to
// install it.
func deployCLI(t *testing.T) (node, script string) {
	t.Helper()
	if os.Getenv("TOKENHOOK_SKIP_NODE") == "1" {
		t.Skip("TOKENHOOK_SKIP_NODE=1")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "deploy-cli"))
	if err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(dir, "node_modules", "auth0-deploy-cli", "lib", "index.js")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("deploy-cli is not installed: run `npm ci --prefix internal/e2e/testdata/deploy-cli` (make test does; or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (install Node.js >= 20 or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	return node, script
}

// a0deploy runs one deploy-cli command against in (an HTTPS instance whose
// certificate is ca) and returns its combined output and whether it
// succeeded.
func a0deploy(t *testing.T, in *instance, ca string, args ...string) (string, bool) {
	t.Helper()
	return a0deployWith(t, in, ca, nil, args...)
}

// a0deployWith is a0deploy with more settings in deploy-cli's config file
// (AUTH0_KEYWORD_REPLACE_MAPPINGS, AUTH0_ALLOW_DELETE...).
func a0deployWith(t *testing.T, in *instance, ca string, config map[string]any, args ...string) (string, bool) {
	t.Helper()
	node, script := deployCLI(t)
	cfg := filepath.Join(t.TempDir(), "config.json")
	settings := map[string]any{
		"AUTH0_DOMAIN": in.addr, "AUTH0_CLIENT_ID": adminID, "AUTH0_CLIENT_SECRET": adminSecret,
	}
	for k, v := range config {
		settings[k] = v
	}
	b, _ := json.Marshal(settings)
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// deploy-cli validates a whole tenant against a large JSON schema: on a
	// loaded machine one command takes minutes of CPU.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, append(args, "-c", cfg)...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NODE_EXTRA_CA_CERTS=" + ca}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("a0deploy %s did not finish in 8 minutes:\n%s", strings.Join(args, " "), out.String())
	}
	return out.String(), err == nil
}

// seedTenant creates what the round trip must carry: an API, an
// application with metadata and its own ID token lifetime, a grant between
// them with organization settings, an enabled hook with a secret, the
// connection's settings and the tenant's.
func seedTenant(t *testing.T, in *instance) {
	t.Helper()
	must := func(r response, status int, what string) response {
		t.Helper()
		if r.status != status {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		return r
	}
	must(in.api("POST", "resource-servers", map[string]any{"identifier": "https://orders.example/", "name": "Orders",
		"scopes":         []map[string]string{{"value": "read:orders", "description": "Read orders"}, {"value": "write:orders", "description": "Write orders"}},
		"token_lifetime": 3600}), 201, "API")
	c := must(in.api("POST", "clients", map[string]any{"name": "billing", "app_type": "non_interactive",
		"grant_types": []string{"client_credentials"}, "client_metadata": map[string]string{"plan": "gold"},
		"jwt_configuration": map[string]any{"alg": "RS256", "lifetime_in_seconds": 7200}}), 201, "client").json(t)
	must(in.api("POST", "client-grants", map[string]any{"client_id": c["client_id"], "audience": "https://orders.example/",
		"scope": []string{"read:orders"}, "organization_usage": "allow", "allow_any_organization": true}), 201, "grant")
	h := must(in.api("POST", "hooks", map[string]any{"name": "plan-claim", "triggerId": "credentials-exchange", "enabled": true,
		"script": "module.exports = function (client, scope, audience, context, cb) {\n  cb(null, { scope: scope, 'https://example.com/plan': client.metadata.plan, 'https://example.com/key': context.webtask.secrets.API_KEY });\n};\n"}),
		201, "hook").json(t)
	must(in.api("POST", "hooks/"+h["id"].(string)+"/secrets", map[string]string{"API_KEY": "s3cret"}), 201, "hook secret")
	conn := must(in.api("GET", "connections", nil), 200, "connections").list(t)[0]
	must(in.api("PATCH", "connections/"+conn["id"].(string), map[string]any{"options": map[string]any{"disable_signup": true}}), 200, "connection")
	must(in.api("PATCH", "tenants/settings", map[string]any{"friendly_name": "Acme Orders", "default_audience": "https://orders.example/"}), 200, "tenant")
}

// readExport reads a directory export: relative path → parsed JSON (or
// text for non-JSON files).
func readExport(t *testing.T, dir string) map[string]any {
	t.Helper()
	out := map[string]any{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var v any
		if strings.HasSuffix(p, ".json") {
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
		} else {
			v = string(b)
		}
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeployCLIRoundTrip(t *testing.T) {
	deployCLI(t)
	t.Parallel()
	cert := selfSignedCert(t)
	src := start(t, options{tls: cert, env: npmEnv(t)})
	seedTenant(t, src)
	seedActions(t, src)

	dir1 := filepath.Join(t.TempDir(), "export1")
	if out, ok := a0deploy(t, src, cert.cert, "export", "-f", "directory", "-o", dir1); !ok {
		t.Fatalf("a0deploy export (defaults) failed:\n%s", out)
	}
	exp1 := readExport(t, dir1)
	hook, _ := exp1[filepath.Join("hooks", "plan-claim.json")].(map[string]any)
	if hook == nil || hook["enabled"] != true || !reflect.DeepEqual(hook["secrets"], map[string]any{"API_KEY": "_VALUE_NOT_SHOWN_"}) {
		t.Fatalf("exported hook: %v (files %v)", hook, keys(exp1))
	}
	for _, f := range []string{"clients/billing.json", "resource-servers/Orders.json", "grants/billing-Orders.json", "tenant.json",
		"database-connections/Username-Password-Authentication/database.json"} {
		if exp1[filepath.FromSlash(f)] == nil {
			t.Fatalf("the export lacks %s: %v", f, keys(exp1))
		}
	}
	checkActionsExport(t, exp1)

	dst := start(t, options{tls: cert, env: npmEnv(t), args: fastBcrypt})
	out, ok := a0deploy(t, dst, cert.cert, "import", "-i", dir1)
	if !ok || !strings.Contains(out, "Import Successful") {
		t.Fatalf("a0deploy import of the export failed:\n%s", out)
	}
	// The hook came over; its secret exists by name without a value (the
	// export holds only the placeholder), and the tenant log says so.
	hooks := dst.api("GET", "hooks?triggerId=credentials-exchange", nil).list(t)
	if len(hooks) != 1 || hooks[0]["name"] != "plan-claim" || hooks[0]["enabled"] != true {
		t.Fatalf("imported hooks: %v", hooks)
	}
	id := hooks[0]["id"].(string)
	if r := dst.api("GET", "hooks/"+id+"/secrets/unset", nil); string(r.body) != `["API_KEY"]` {
		t.Fatalf("unset secrets after import: %d %s", r.status, r.body)
	}
	waitForLog(t, dst, "type:w", "API_KEY")
	checkImportedActions(t, dst)
	clients := dst.api("GET", "clients?fields=name,jwt_configuration", nil).list(t)
	if i := slices.IndexFunc(clients, func(c map[string]any) bool { return c["name"] == "billing" }); i < 0 ||
		clients[i]["jwt_configuration"].(map[string]any)["lifetime_in_seconds"] != float64(7200) {
		t.Fatalf("imported clients: %v", clients)
	}
	grants := dst.api("GET", "client-grants?audience="+url.QueryEscape("https://orders.example/"), nil).list(t)
	if len(grants) != 1 || grants[0]["organization_usage"] != "allow" || grants[0]["allow_any_organization"] != true {
		t.Fatalf("imported grants: %v", grants)
	}

	dir2 := filepath.Join(t.TempDir(), "export2")
	if out, ok := a0deploy(t, dst, cert.cert, "export", "-f", "directory", "-o", dir2); !ok {
		t.Fatalf("second a0deploy export failed:\n%s", out)
	}
	exp2 := readExport(t, dir2)
	if !reflect.DeepEqual(exp1, exp2) {
		for _, k := range union(keys(exp1), keys(exp2)) {
			if !reflect.DeepEqual(exp1[k], exp2[k]) {
				a, _ := json.MarshalIndent(exp1[k], "", " ")
				b, _ := json.MarshalIndent(exp2[k], "", " ")
				t.Errorf("%s differs:\nfirst export:  %s\nsecond export: %s", k, a, b)
			}
		}
		t.FailNow()
	}
	checkImportedActionsRun(t, dst)

	// A rule in the directory: a clear error naming rules, nothing silent.
	rules := filepath.Join(dir1, "rules")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(rules, "add-role.js"), []byte("function (user, context, callback) { callback(null, user, context); }\n"), 0o644)
	os.WriteFile(filepath.Join(rules, "add-role.json"), []byte(`{"name": "add-role", "script": "./add-role.js", "stage": "login_success", "enabled": true, "order": 1}`), 0o644)
	out, ok = a0deploy(t, dst, cert.cert, "import", "-i", dir1)
	if ok || !strings.Contains(out, "rules are not supported by this server") || !strings.Contains(out, "400") {
		t.Fatalf("import with a rule: succeeded %v, want a 400 naming rules:\n%s", ok, out)
	}
	if r := dst.api("GET", "rules", nil); string(r.body) != "[]" {
		t.Fatalf("rules after the refused import: %s", r.body)
	}
}

// waitForLog waits until an event matching q holds want: events reach
// storage asynchronously (the spool).
func waitForLog(t *testing.T, in *instance, q, want string) {
	t.Helper()
	waitFor(t, 30*time.Second, "a "+q+" log event holding "+want, func() bool {
		r := in.api("GET", "logs?q="+q, nil)
		return r.status == 200 && strings.Contains(string(r.body), want)
	})
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range append(a, b...) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
