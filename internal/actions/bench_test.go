package actions_test

import (
	"context"
	"testing"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// BenchmarkRun: one credentials-exchange Action setting two claims on
// the embedded engine, the event built and the record applied.
func BenchmarkRun(b *testing.B) {
	f := newBenchFixture(b)
	bound := []storage.BoundAction{f.bound("two", `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/a', event.client.name);
  api.accessToken.setCustomClaim('https://example.com/b', 2);
};`)}
	in := ccInput()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res := f.runner.Run(context.Background(), actions.CredentialsExchange, bound, in, hooks.Changes{}, []string{"read:a"})
		if res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// BenchmarkHookEquivalent: the hook that does what BenchmarkRun's Action
// does, on the same engine, for comparison.
func BenchmarkHookEquivalent(b *testing.B) {
	f := newBenchFixture(b)
	hr := f.runner.Exec.(*hooks.Runner)
	s := hooks.Script{Tenant: "t", ID: "h1", Name: "two", Source: `module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope, 'https://example.com/a': client.name, 'https://example.com/b': 2});
};`}
	in := hooks.Input{Client: hooks.Client{ID: "cid", Name: "M2M", Tenant: "t"}, Scope: []string{"read:a"}, Audience: "https://api.example.com/",
		Context: hooks.Context{IP: "10.0.0.1", UserAgent: "ua/1", Params: map[string]string{"grant_type": "client_credentials", "scope": "read:a"}}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if ex := hr.Run(context.Background(), hooks.CredentialsExchange, s, in, "r1"); ex.Err != nil {
			b.Fatal(ex.Err)
		}
	}
}
