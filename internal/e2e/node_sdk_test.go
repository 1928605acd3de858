package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestNodeSDKHooks runs the official Auth0 Node SDK (auth0@4, unmodified)
// against the server over HTTPS: it drives every hooks.* method (issue 3).
func TestNodeSDKHooks(t *testing.T) {
	out := runNodeSDK(t, "hooks.js")
	var res struct {
		Created struct {
			Status int            `json:"status"`
			Data   map[string]any `json:"data"`
		} `json:"created"`
		Duplicate, SecretConflict, UpdateMissingSecret, NotFound *struct {
			StatusCode int    `json:"statusCode"`
			Message    string `json:"message"`
		}
		List                                              []map[string]any `json:"list"`
		Page                                              map[string]any   `json:"page"`
		Filtered                                          []map[string]any `json:"filtered"`
		Got                                               map[string]any   `json:"got"`
		Updated                                           map[string]any   `json:"updated"`
		AddSecrets, UpdateSecrets, DeleteSecrets, Deleted int
		Secrets                                           map[string]any `json:"secrets"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("script output: %v\n%s", err, out)
	}
	t.Logf("SDK results: %s", out)
	h := res.Created.Data
	if res.Created.Status != 201 || len(h["id"].(string)) != 26 || h["name"] != "sdk-hook" || h["enabled"] != false || h["triggerId"] != "credentials-exchange" {
		t.Fatalf("create: %+v", res.Created)
	}
	if res.Duplicate == nil || res.Duplicate.StatusCode != 409 {
		t.Fatalf("duplicate name: %+v", res.Duplicate)
	}
	if len(res.List) != 1 || res.List[0]["id"] != h["id"] || len(res.Filtered) != 1 {
		t.Fatalf("getAll: %v / %v", res.List, res.Filtered)
	}
	if res.Page["total"] != 1.0 || len(res.Page["hooks"].([]any)) != 1 {
		t.Fatalf("getAll with totals: %v", res.Page)
	}
	if !reflect.DeepEqual(res.Got, h) {
		t.Fatalf("get %v, want %v", res.Got, h)
	}
	if res.Updated["enabled"] != true || res.Updated["name"] != "sdk-hook-renamed" || res.Updated["script"] != h["script"] {
		t.Fatalf("update: %v", res.Updated)
	}
	if res.AddSecrets != 201 || res.UpdateSecrets != 201 || res.DeleteSecrets != 204 || res.Deleted != 204 {
		t.Fatalf("statuses add %d update %d deleteSecrets %d delete %d", res.AddSecrets, res.UpdateSecrets, res.DeleteSecrets, res.Deleted)
	}
	if res.SecretConflict == nil || res.SecretConflict.StatusCode != 409 || res.UpdateMissingSecret == nil || res.UpdateMissingSecret.StatusCode != 404 {
		t.Fatalf("secret errors: %+v %+v", res.SecretConflict, res.UpdateMissingSecret)
	}
	if !reflect.DeepEqual(res.Secrets, map[string]any{"FOO": "_VALUE_NOT_SHOWN_"}) {
		t.Fatalf("getSecrets: %v", res.Secrets)
	}
	if res.NotFound == nil || res.NotFound.StatusCode != 404 {
		t.Fatalf("get after delete: %+v", res.NotFound)
	}
}

// runNodeSDK runs a script of testdata/node-sdk with the official Auth0
// Node SDK against a server of its own over HTTPS and returns what it
// printed. ManagementClient gets its own token with client credentials.
//
// testdata/node-sdk pins auth0@4 in its package-lock.json, which
// `make test-deps` installs. TOKENHOOK_SKIP_NODE=1 skips the test where
// Node.js is not available.
func runNodeSDK(t *testing.T, script string) []byte {
	t.Helper()
	return runNodeProject(t, "node-sdk", script)
}

// runNodeProject is runNodeSDK for the Node project testdata/<project>,
// which pins its own version of the SDK.
func runNodeProject(t *testing.T, project, script string) []byte {
	t.Helper()
	if os.Getenv("TOKENHOOK_SKIP_NODE") == "1" {
		t.Skip("TOKENHOOK_SKIP_NODE=1")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", project))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "auth0")); err != nil {
		t.Fatalf("the Auth0 Node SDK is not installed: run `npm ci --prefix internal/e2e/testdata/%s` (or `make test-deps`, or set TOKENHOOK_SKIP_NODE=1): %v", project, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (install Node.js >= 18 or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	files := selfSignedCert(t)
	// The default issuer follows the port the server picked: https://<addr>/.
	addr := start(t, options{tls: files}).addr

	cmd := exec.Command(node, filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"NODE_EXTRA_CA_CERTS=" + files.cert,
		"TOKENHOOK_DOMAIN=" + addr,
		"TOKENHOOK_CLIENT_ID=" + adminID,
		"TOKENHOOK_CLIENT_SECRET=" + adminSecret,
	}
	done := make(chan struct{})
	var out []byte
	go func() {
		defer close(done)
		out, err = cmd.Output()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the Node SDK script %s did not finish in 60s", script)
	}
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node %s: %v\n%s\n%s", script, err, out, stderr)
	}
	return out
}
