package mgmt_test

import (
	"context"
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// lodashHook requires lodash (declared) and is-number (pinned inline, as
// webtask allowed) and puts both versions in the token.
const lodashHook = `const _ = require('lodash');
const isNumber = require('is-number@7.0.0');
module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope, 'https://example.com/lodash': _.VERSION, 'https://example.com/n': isNumber(_.add(1, 2))});
};`

// needNode skips a test that installs from the npm registry and runs
// Node.js when either is missing, and under -short (make test-unit).
func needNode(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: npm installs and Node.js hooks run in make test")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

func TestHookDependenciesInstallAtSave(t *testing.T) {
	t.Parallel()
	needNode(t)
	e := newEnv(t)
	all := "create:hooks read:hooks update:hooks delete:hooks"
	body := map[string]any{"name": "with-lodash", "script": lodashHook, "triggerId": "credentials-exchange",
		"dependencies": map[string]string{"lodash": "4.17.21"}}
	h := e.createHook(body)
	if h["runtime"] != "node" {
		t.Fatalf("runtime %v, want node", h["runtime"])
	}
	if !reflect.DeepEqual(h["installed"], map[string]any{"lodash": "4.17.21", "is-number": "7.0.0"}) {
		t.Fatalf("installed %v", h["installed"])
	}
	if !reflect.DeepEqual(h["install"], map[string]any{"status": "ready"}) {
		t.Fatalf("install %v", h["install"])
	}
	// Declared dependencies are stored as declared (Auth0's field); the
	// inline pin is installed, not added to them.
	if !reflect.DeepEqual(h["dependencies"], map[string]any{"lodash": "4.17.21"}) {
		t.Fatalf("dependencies %v", h["dependencies"])
	}

	// A second hook with the same dependencies shares the tree.
	body["name"] = "same-deps"
	h2 := e.createHook(body)
	s1, _ := e.store.GetHook(context.Background(), tenant, h["id"].(string))
	s2, _ := e.store.GetHook(context.Background(), tenant, h2["id"].(string))
	if s1.Modules == "" || s1.Modules != s2.Modules || s1.Runtime != storage.RuntimeNode {
		t.Fatalf("trees %q and %q (runtime %q)", s1.Modules, s2.Modules, s1.Runtime)
	}
	if _, err := e.store.GetNPMLockfile(context.Background(), tenant, s1.Modules); err != nil {
		t.Fatalf("lockfile not stored: %v", err)
	}

	// The saved hook runs on Node with its tree.
	rep := decodeReport(t, e.req("POST", "/hooks/"+h["id"].(string)+"/run", all, map[string]any{}))
	if rep.Error != nil || rep.Result["https://example.com/lodash"] != "4.17.21" || rep.Result["https://example.com/n"] != true {
		t.Fatalf("run: result %v error %+v", rep.Result, rep.Error)
	}

	// A failed install changes nothing: the previous version keeps running.
	r := e.req("PATCH", "/hooks/"+h["id"].(string), all, map[string]any{
		"dependencies": map[string]string{"lodash": "4.17.21", "tokenhook-no-such-package-7f3a9c": "1.0.0"}})
	expect(t, r, 400, "invalid_body", "")
	if msg := r.json(t)["message"].(string); !strings.Contains(msg, "tokenhook-no-such-package-7f3a9c") || !strings.Contains(msg, "E404") {
		t.Fatalf("message %q does not carry npm's answer", msg)
	}
	if after, _ := e.store.GetHook(context.Background(), tenant, h["id"].(string)); !reflect.DeepEqual(after, s1) {
		t.Fatalf("a failed install changed the hook:\n%+v\n%+v", after, s1)
	}

	// Changing only the script keeps the tree without asking npm again.
	r = e.req("PATCH", "/hooks/"+h["id"].(string), all, map[string]any{"script": lodashHook + "\n// edited"})
	expect(t, r, 200, "", "")
	if after, _ := e.store.GetHook(context.Background(), tenant, h["id"].(string)); after.Modules != s1.Modules {
		t.Fatalf("tree changed on a script edit: %s", after.Modules)
	}
	// Removing every dependency goes back to the embedded engine.
	r = e.req("PATCH", "/hooks/"+h2["id"].(string), all, map[string]any{"dependencies": map[string]string{}, "script": addScope})
	expect(t, r, 200, "", "")
	if got := r.json(t); got["runtime"] != "embedded" || got["installed"] != nil || got["install"] != nil {
		t.Fatalf("after removing dependencies: %v", got)
	}
}

func TestHookDependencyRefusals(t *testing.T) {
	t.Parallel()
	needNode(t)
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		deps map[string]string
		say  []string
	}{
		{"unknown package", map[string]string{"tokenhook-no-such-package-7f3a9c": "1.0.0"}, []string{"E404", "tokenhook-no-such-package-7f3a9c"}},
		{"unknown version", map[string]string{"is-number": "99.0.0"}, []string{"ETARGET", "No matching version found for is-number@99.0.0"}},
		{"native build", map[string]string{"utf-8-validate": "6.0.4"}, []string{"utf-8-validate@6.0.4 needs a native build"}},
		{"not from the registry", map[string]string{"x": "file:/etc"}, []string{"only packages from the npm registry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.req("POST", "/hooks", "create:hooks", map[string]any{"name": "refused", "script": addScope,
				"triggerId": "credentials-exchange", "dependencies": tc.deps})
			expect(t, r, 400, "invalid_body", "")
			msg := r.json(t)["message"].(string)
			for _, s := range tc.say {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
			if strings.Contains(msg, "_logs") {
				t.Errorf("message %q points at npm's debug log", msg)
			}
		})
	}
	if got := e.req("GET", "/hooks", "read:hooks", nil).list(t); len(got) != 0 {
		t.Fatalf("refused hooks were saved: %v", got)
	}
	// Unsaved code with an unknown dependency is the same 400.
	r := e.req("POST", "/hooks/run", "create:hooks", map[string]any{"triggerId": "credentials-exchange", "script": addScope,
		"dependencies": map[string]string{"tokenhook-no-such-package-7f3a9c": "1.0.0"}})
	expect(t, r, 400, "invalid_body", "")
}

func TestRunUnsavedHookWithDependencies(t *testing.T) {
	t.Parallel()
	needNode(t)
	e := newEnv(t)
	rep := decodeReport(t, e.req("POST", "/hooks/run", "create:hooks", map[string]any{"triggerId": "credentials-exchange",
		"script": lodashHook, "dependencies": map[string]string{"lodash": "4.17.21"}}))
	if rep.Error != nil || rep.Result["https://example.com/lodash"] != "4.17.21" {
		t.Fatalf("result %v error %+v", rep.Result, rep.Error)
	}
}

func TestHooksNeedingNodeWithoutNode(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(d *mgmt.Deps) {
		d.NodeAvailable = func() error { return errors.New("Node.js is not available: no `node` on PATH") }
	})
	for _, tc := range []struct {
		name, script string
		deps         map[string]string
		why          string
	}{
		{"declared", addScope, map[string]string{"lodash": "4.17.21"}, "declares npm dependencies (lodash)"},
		{"inline pin", `const _ = require('lodash@4.17.21');` + addScope, nil, "declares npm dependencies (lodash)"},
		{"built-in", `const https = require('https');` + addScope, nil, "requires 'https'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.req("POST", "/hooks", "create:hooks", map[string]any{"name": "needs-node", "script": tc.script,
				"triggerId": "credentials-exchange", "dependencies": tc.deps})
			expect(t, r, 400, "invalid_body", "")
			msg := r.json(t)["message"].(string)
			if !strings.Contains(msg, "needs Node.js") || !strings.Contains(msg, tc.why) || !strings.Contains(msg, "no `node` on PATH") {
				t.Fatalf("message %q", msg)
			}
		})
	}
	// Hooks the embedded engine runs are unaffected.
	h := e.createHook(map[string]any{"name": "embedded", "script": `const c = require('crypto');` + addScope, "triggerId": "credentials-exchange"})
	if h["runtime"] != "embedded" {
		t.Fatalf("runtime %v", h["runtime"])
	}
}
