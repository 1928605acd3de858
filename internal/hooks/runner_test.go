package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/egress"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/noderun"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// runnerFixture is a Runner on the real engines (the in-process embedded
// engine, Node.js when this machine has it) and a real SQLite store.
type runnerFixture struct {
	runner *hooks.Runner
	store  *sqlstore.Store
}

func newRunnerFixture(t *testing.T, withNode bool) *runnerFixture {
	t.Helper()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(t.Context(), sqlitetest.Path(t, "tokenhook.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	policy, err := egress.New([]string{"127.0.0.0/8"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := sandbox.Options{Timeout: 10 * time.Second, Egress: policy}
	embedded, err := jsvm.NewInProcess(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { embedded.Close() })
	r := &hooks.Runner{Engine: embedded, Storage: store}
	if withNode {
		if testing.Short() {
			t.Skip("-short: the real Node.js runtime runs in make test")
		}
		node, err := noderun.New(noderun.Options{Options: opts})
		if err != nil {
			t.Skipf("Node.js unavailable: %v", err)
		}
		t.Cleanup(func() { node.Close() })
		r.Node = node
	}
	return &runnerFixture{runner: r, store: store}
}

func (f *runnerFixture) saveHook(t *testing.T, id, runtime string) hooks.Script {
	t.Helper()
	h := storage.Hook{Tenant: "t", ID: id, Name: "hook-" + id, TriggerID: hooks.CredentialsExchange, Script: "-", Runtime: runtime,
		Secrets: map[string]string{"API_KEY": "k-1"}}
	if err := f.store.CreateHook(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	return hooks.Script{Tenant: "t", ID: id, Name: h.Name, Secrets: h.Secrets, Runtime: runtime}
}

var ccInput = hooks.Input{Client: hooks.Client{ID: "cid", Name: "app", Tenant: "t"}, Scope: []string{"read"}, Audience: "https://api/",
	Context: hooks.Context{Params: map[string]string{"grant_type": "client_credentials", "mode": ""}}}

func inputWith(mode string) hooks.Input {
	in := ccInput
	in.Context.Params = map[string]string{"grant_type": "client_credentials", "mode": mode}
	return in
}

func claim(t *testing.T, ex hooks.Execution, name string) any {
	t.Helper()
	if ex.Err != nil {
		t.Fatalf("execution failed: %+v (cause %v)", ex.Err, ex.Err.Cause)
	}
	raw, ok := ex.Changes.Access.Claims["https://example.com/"+name]
	if !ok {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// storageCounter counts executions in context.webtask.storage; with
// mode=barrier it calls the barrier URL between its get and its set
// (through Node's http, or the embedded engine's fetch).
func storageCounter(runtime string) string {
	call := `fetch(context.webtask.secrets.BARRIER).then(function (r) { return r.text(); }).then(write, cb);`
	if runtime == hooks.RuntimeNode {
		call = `require('http').get(context.webtask.secrets.BARRIER, function (res) { res.resume(); res.on('end', write); }).on('error', cb);`
	}
	return `module.exports = function (client, scope, audience, context, cb) {
  const storage = context.webtask.storage;
  storage.get(function (err, data) {
    if (err) return cb(err);
    data = data || {count: 0};
    data.count += 1;
    const write = function () {
      const done = function (err) {
        cb(null, {scope: scope, 'https://example.com/count': data.count, 'https://example.com/code': err ? err.code : 0,
          'https://example.com/env': process.env.API_KEY, 'https://example.com/meta': context.webtask.meta});
      };
      if (context.body.mode === 'force') storage.set(data, {force: 1}, done); else storage.set(data, done);
    };
    if (context.body.mode !== 'barrier') return write();
    ` + call + `
  });
};`
}

// TestRunnerStorage: on both runtimes, a hook's context.webtask.storage
// is the hook's document in the database; a write based on a version
// someone replaced since the get is a 409 in the hook; force overrides;
// the runner's storage is a scratch copy.
func TestRunnerStorage(t *testing.T) {
	for _, runtime := range []string{hooks.RuntimeEmbedded, hooks.RuntimeNode} {
		t.Run(runtime, func(t *testing.T) { testRunnerStorage(t, runtime) })
	}
}

func testRunnerStorage(t *testing.T, runtime string) {
	f := newRunnerFixture(t, runtime == hooks.RuntimeNode)
	s := f.saveHook(t, "h1", runtime)
	s.Source = storageCounter(runtime)
	// Between the hook's get and its set, another writer replaces the
	// document: the barrier writes it directly to the store.
	barrier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.store.SetHookDocument(r.Context(), "t", "h1", json.RawMessage(`{"count":100}`), "", true); err != nil {
			t.Error(err)
		}
	}))
	defer barrier.Close()
	s.Secrets = map[string]string{"API_KEY": "k-1", "BARRIER": barrier.URL}
	ctx := context.Background()
	run := func(mode string) hooks.Execution {
		return f.runner.Run(ctx, hooks.CredentialsExchange, s, inputWith(mode), "req-1")
	}

	for want := 1.0; want <= 2; want++ {
		ex := run("")
		if got := claim(t, ex, "count"); got != want {
			t.Fatalf("count %v, want %v", got, want)
		}
		if claim(t, ex, "env") != "k-1" {
			t.Fatalf("process.env.API_KEY = %v", claim(t, ex, "env"))
		}
		meta := claim(t, ex, "meta").(map[string]any)
		if meta["hook-name"] != "hook-h1" || meta["auth0-extension"] != "runtime" || meta["auth0-extension-name"] != hooks.CredentialsExchange {
			t.Fatalf("meta %v", meta)
		}
	}
	ex := run("barrier")
	if claim(t, ex, "code") != 409.0 {
		t.Fatalf("write after someone else's: code %v, want 409", claim(t, ex, "code"))
	}
	if d, _ := f.store.GetHookDocument(ctx, "t", "h1"); string(d.Data) != `{"count":100}` {
		t.Fatalf("the conflicting write landed: %s", d.Data)
	}
	if ex := run("force"); claim(t, ex, "count") != 101.0 || claim(t, ex, "code") != 0.0 {
		t.Fatalf("force: %v", ex.Changes.Access.Claims)
	}

	// The runner sees the document, and keeps its writes to itself.
	rep, err := f.runner.Test(ctx, hooks.CredentialsExchange, s, nil)
	if err != nil || rep.Error != nil {
		t.Fatalf("runner: %v %+v", err, rep.Error)
	}
	if got, _ := json.Marshal(rep.Result["https://example.com/count"]); string(got) != "102" {
		t.Fatalf("runner result %v", rep.Result)
	}
	if d, _ := f.store.GetHookDocument(ctx, "t", "h1"); string(d.Data) != `{"count":101}` {
		t.Fatalf("the runner wrote to the hook's storage: %s", d.Data)
	}
}

// TestRunnerWithoutNode: a hook saved for Node.js on a server without it
// answers a server_error saying so; embedded hooks are unaffected.
func TestRunnerWithoutNode(t *testing.T) {
	f := newRunnerFixture(t, false)
	s := f.saveHook(t, "h1", hooks.RuntimeNode)
	s.Source = `module.exports = (c, s, a, x, cb) => cb(null, {scope: s});`
	ex := f.runner.Run(context.Background(), hooks.CredentialsExchange, s, ccInput, "req-1")
	if ex.Err == nil || ex.Err.Code != "server_error" || !strings.Contains(ex.Err.Description, "Node.js") {
		t.Fatalf("node hook without node: %+v", ex.Err)
	}
	s.Runtime = hooks.RuntimeEmbedded
	s.Source = `module.exports = (c, s, a, x, cb) => cb(null, {scope: s, 'https://example.com/b': x.body.grant_type});`
	if ex := f.runner.Run(context.Background(), hooks.CredentialsExchange, s, ccInput, "req-1"); claim(t, ex, "b") != "client_credentials" {
		t.Fatalf("embedded hook: %+v", ex)
	}
}
