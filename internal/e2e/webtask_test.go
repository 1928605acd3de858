package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// contextHook echoes the webtask context a hook sees into claims.
const contextHook = `module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope,
    'https://example.com/body': context.body,
    'https://example.com/headers': context.webtask.headers,
    'https://example.com/meta': context.webtask.meta,
    'https://example.com/id': context.webtask.id,
    'https://example.com/secret': context.webtask.secrets.API_KEY,
    'https://example.com/env': process.env.API_KEY});
};`

// TestWebtaskContext: context.body (form and JSON, custom parameters kept,
// credentials left out), context.webtask.headers (without authorization
// and cookies), meta, id and process.env on the embedded engine, through
// the real binary; and the same fields in the runner.
func TestWebtaskContext(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	id := admin.createHook(t, "ctx-echo", "credentials-exchange", contextHook, true)
	if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API_KEY": "k1"}); r.status != 201 {
		t.Fatalf("secrets: %d %s", r.status, r.body)
	}
	check := func(t *testing.T, r response, wantBody map[string]any) map[string]any {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
		c := claims(t, r.json(t)["access_token"].(string))
		if got := mustJSONs(c["https://example.com/body"]); got != mustJSONs(wantBody) {
			t.Fatalf("context.body %s, want %s", got, mustJSONs(wantBody))
		}
		meta := c["https://example.com/meta"].(map[string]any)
		if meta["hook-name"] != "ctx-echo" || meta["auth0-extension"] != "runtime" || meta["auth0-extension-name"] != "credentials-exchange" {
			t.Fatalf("context.webtask.meta %v", meta)
		}
		if wid, _ := c["https://example.com/id"].(string); wid == "" {
			t.Fatalf("context.webtask.id %v", c["https://example.com/id"])
		}
		if c["https://example.com/secret"] != "k1" || c["https://example.com/env"] != "k1" {
			t.Fatalf("secret %v, process.env %v", c["https://example.com/secret"], c["https://example.com/env"])
		}
		return c["https://example.com/headers"].(map[string]any)
	}

	t.Run("form body with custom parameters, secret left out", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.id}, "client_secret": {app.secret},
			"audience": {app.aud}, "org_id": {"org_123"}, "subject_token": {"eyJ.x.y"}}
		r := in.do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()),
			http.Header{"Cookie": {"session=secret"}, "X-Request-Tag": {"tag-1"}, "User-Agent": {"e2e-agent/1"}})
		h := check(t, r, map[string]any{"grant_type": "client_credentials", "client_id": app.id, "audience": app.aud,
			"org_id": "org_123", "subject_token": "eyJ.x.y"})
		if h["x-request-tag"] != "tag-1" || h["user-agent"] != "e2e-agent/1" || h["content-type"] != "application/x-www-form-urlencoded" || h["host"] == nil {
			t.Fatalf("context.webtask.headers %v", h)
		}
		if _, ok := h["cookie"]; ok {
			t.Fatalf("cookie reached the hook: %v", h)
		}
	})
	t.Run("JSON body, Basic authentication left out", func(t *testing.T) {
		b, _ := json.Marshal(map[string]any{"grant_type": "client_credentials", "audience": app.aud, "custom": "v"})
		req := http.Header{}
		req.Set("Authorization", "Basic "+pwBasic(app.id, app.secret))
		r := in.do("POST", "oauth/token", "application/json", bytes.NewReader(b), req)
		h := check(t, r, map[string]any{"grant_type": "client_credentials", "audience": app.aud, "custom": "v"})
		if _, ok := h["authorization"]; ok {
			t.Fatalf("authorization reached the hook: %v", h)
		}
	})
	t.Run("runner", func(t *testing.T) {
		r := admin.api("POST", "hooks/"+id+"/run", map[string]any{"payload": map[string]any{
			"audience": "https://a/", "client": map[string]any{"id": "x", "name": "n", "tenant": "t", "metadata": map[string]any{}},
			"scope": []string{"s"}, "context": map[string]any{"body": map[string]string{"org_id": "o"}, "headers": map[string]string{"x-h": "1"}}}})
		rep := r.json(t)
		if r.status != 200 || rep["error"] != nil {
			t.Fatalf("run: %d %s", r.status, r.body)
		}
		res := rep["result"].(map[string]any)
		if mustJSONs(res["https://example.com/body"]) != `{"org_id":"o"}` || mustJSONs(res["https://example.com/headers"]) != `{"x-h":"1"}` ||
			res["https://example.com/meta"].(map[string]any)["hook-name"] != "ctx-echo" || res["https://example.com/id"] != "runner" {
			t.Fatalf("runner result %v", res)
		}
	})
}
