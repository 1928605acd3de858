package e2e

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDeployCLIActions: deploy-cli (unmodified) carries Actions and their
// trigger bindings from one server to another through /api/v2/actions:
// the export holds each Action's code and whether it is deployed and the
// bindings by Action name; the import creates, deploys and binds them, and
// a second export matches the first (issue 17).
func TestDeployCLIActions(t *testing.T) {
	deployCLI(t)
	cert := selfSignedCert(t)
	src := start(t, options{tls: cert})
	must := func(r response, status int, what string) map[string]any {
		t.Helper()
		if r.status != status {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		return r.json(t)
	}
	code := "exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('https://example.com/plan', event.client.metadata.plan);\n};\n"
	a := must(src.api("POST", "actions/actions", map[string]any{"name": "plan-claim", "code": code, "runtime": "node22",
		"supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}},
		"secrets":            []map[string]string{{"name": "API_KEY", "value": "s3cret"}}}), 201, "action")
	must(src.api("POST", "actions/actions/"+a["id"].(string)+"/deploy", nil), 202, "deploy")
	must(src.api("PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []map[string]any{
		{"ref": map[string]string{"type": "action_id", "value": a["id"].(string)}, "display_name": "Plan claim"}}}), 200, "bind")
	must(src.api("POST", "actions/actions", map[string]any{"name": "draft-only",
		"code":               "exports.onExecutePostLogin = async (event, api) => {};\n",
		"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}}}), 201, "draft action")

	dir1 := filepath.Join(t.TempDir(), "export1")
	if out, ok := a0deploy(t, src, cert.cert, "export", "-f", "directory", "-o", dir1); !ok {
		t.Fatalf("a0deploy export failed:\n%s", out)
	}
	exp1 := readExport(t, dir1)
	exported, _ := exp1[filepath.Join("actions", "plan-claim.json")].(map[string]any)
	if exported == nil || exported["deployed"] != true || exported["code"] != "./actions/plan-claim/code.js" ||
		exp1[filepath.Join("actions", "plan-claim", "code.js")] != code {
		t.Fatalf("exported action: %v (files %v)", exported, keys(exp1))
	}
	if strings.Contains(strings.Join(keys(exp1), " "), "s3cret") {
		t.Fatal("a secret value was exported")
	}
	triggers, _ := exp1[filepath.Join("triggers", "triggers.json")].(map[string]any)
	want := map[string]any{"credentials-exchange": []any{map[string]any{"action_name": "plan-claim", "display_name": "Plan claim"}}}
	if !reflect.DeepEqual(triggers, want) {
		t.Fatalf("exported triggers: %v", triggers)
	}

	dst := start(t, options{tls: cert})
	out, ok := a0deploy(t, dst, cert.cert, "import", "-i", dir1)
	if !ok || !strings.Contains(out, "Import Successful") {
		t.Fatalf("a0deploy import failed:\n%s", out)
	}
	list := must(dst.api("GET", "actions/actions?actionName=plan-claim", nil), 200, "list")["actions"].([]any)
	if len(list) != 1 {
		t.Fatalf("imported actions: %v", list)
	}
	got := list[0].(map[string]any)
	if got["code"] != code || got["deployed_version"] == nil || got["status"] != "built" {
		t.Fatalf("imported action: %v", got)
	}
	if s := got["secrets"].([]any); len(s) != 1 || s[0].(map[string]any)["name"] != "API_KEY" {
		t.Fatalf("imported secrets (by name, without a value): %v", got["secrets"])
	}
	b := must(dst.api("GET", "actions/triggers/credentials-exchange/bindings", nil), 200, "bindings")["bindings"].([]any)
	if len(b) != 1 || b[0].(map[string]any)["display_name"] != "Plan claim" || b[0].(map[string]any)["action"].(map[string]any)["name"] != "plan-claim" {
		t.Fatalf("imported bindings: %v", b)
	}

	dir2 := filepath.Join(t.TempDir(), "export2")
	if out, ok := a0deploy(t, dst, cert.cert, "export", "-f", "directory", "-o", dir2); !ok {
		t.Fatalf("second a0deploy export failed:\n%s", out)
	}
	exp2 := readExport(t, dir2)
	for _, k := range union(keys(exp1), keys(exp2)) {
		if (strings.HasPrefix(k, "actions") || strings.HasPrefix(k, "triggers")) && !reflect.DeepEqual(exp1[k], exp2[k]) {
			t.Errorf("%s differs:\nfirst export:  %v\nsecond export: %v", k, exp1[k], exp2[k])
		}
	}
}
