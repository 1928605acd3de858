package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestActionsLimits: Auth0's entity limits through the real binary. Twenty
// Actions bound to one trigger all run, in binding order, each seeing the
// claims of those before it; an Action keeps its 50 newest versions; a
// tenant holds 100 Actions and the 101st is refused in Auth0's error shape
// (issue 17, compat-spec §7).
func TestActionsLimits(t *testing.T) {
	in := start(t, options{})
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)

	var ids []string
	for i := range 20 {
		ids = append(ids, admin.createDeployed(t, fmt.Sprintf("link-%02d", i), "credentials-exchange", fmt.Sprintf(`exports.onExecuteCredentialsExchange = async (event, api) => {
  const before = event.accessToken.customClaims['https://example.com/chain'] || '';
  api.accessToken.setCustomClaim('https://example.com/chain', before + '%d,');
};`, i), nil))
	}
	admin.bind(t, "credentials-exchange", ids...)
	want := ""
	for i := range 20 {
		want += fmt.Sprintf("%d,", i)
	}
	if _, tok := app.ok(t); tok["https://example.com/chain"] != want {
		t.Fatalf("20 bound Actions: chain %v, want %s", tok["https://example.com/chain"], want)
	}

	// 50 versions kept: deploying 52 times leaves versions 3 to 52.
	id := ids[0]
	for n := 2; n <= 52; n++ {
		admin.update(t, id, map[string]any{"code": fmt.Sprintf(`exports.onExecuteCredentialsExchange = async (event, api) => {
  const before = event.accessToken.customClaims['https://example.com/chain'] || '';
  api.accessToken.setCustomClaim('https://example.com/chain', before + 'v%d,');
};`, n)})
		admin.deploy(t, id)
	}
	list := admin.must(t, 200, "GET", "actions/"+id+"/versions?per_page=100", nil)
	vs := list["versions"].([]any)
	if list["total"] != 50.0 || len(vs) != 50 || vs[0].(map[string]any)["number"] != 52.0 || vs[49].(map[string]any)["number"] != 3.0 {
		t.Fatalf("versions kept: total %v, %d listed, newest %v, oldest %v", list["total"], len(vs), vs[0].(map[string]any)["number"], vs[len(vs)-1].(map[string]any)["number"])
	}
	if _, tok := app.ok(t); !strings.HasPrefix(tok["https://example.com/chain"].(string), "v52,1,") {
		t.Fatalf("after 52 deploys: chain %v", tok["https://example.com/chain"])
	}

	// 100 Actions per tenant.
	for i := 20; i < 100; i++ {
		admin.create(t, fmt.Sprintf("filler-%03d", i), "post-login", `exports.onExecutePostLogin = async (event, api) => {};`, nil)
	}
	r := admin.api("POST", "actions", map[string]any{"name": "one-too-many", "code": `exports.onExecutePostLogin = async (event, api) => {};`,
		"supported_triggers": []map[string]string{{"id": "post-login", "version": "v3"}}})
	if r.status < 400 || r.status >= 500 || r.json(t)["statusCode"] != float64(r.status) {
		t.Fatalf("the 101st Action: %d %s", r.status, r.body)
	}
	if l := admin.must(t, 200, "GET", "actions?per_page=1&page=0", nil); l["total"] != 100.0 {
		t.Fatalf("Actions listed %v", l["total"])
	}
}
