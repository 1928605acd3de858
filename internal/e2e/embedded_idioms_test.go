package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"
)

// idiomsHook is written as Node-era Auth0 hooks were: it decodes a JWT
// part the client sends with 'base64url', takes its API's address apart
// with the legacy url.parse and joins paths with url.resolve and
// new URL(relative, base). It requires only 'url', so it is saved for the
// embedded engine, where all of these must behave as in Node.
const idiomsHook = `const url = require('url');
module.exports = function (client, scope, audience, context, cb) {
  const part = context.body.subject_token.split('.')[1];
  const claims = JSON.parse(Buffer.from(part, 'base64url').toString());
  const api = url.parse(context.webtask.secrets.API_URL, true);
  cb(null, {scope: scope,
    'https://example.com/sub': claims.sub,
    'https://example.com/api': [api.hostname, api.port, api.pathname, api.query.tenant],
    'https://example.com/resolved': url.resolve(context.webtask.secrets.API_URL, 'users/' + claims.sub),
    'https://example.com/joined': new URL('users/' + claims.sub, 'https://api.example.com/v2/').href,
    'https://example.com/basic': btoa(client.id + ':x').length > 0});
};`

// TestEmbeddedNodeIdioms: a hook using Node's legacy url API, Buffer's
// base64url and btoa runs unchanged on the embedded engine through the
// real binary (url.parse was "Object has no member 'parse'", base64url an
// unknown encoding, and new URL('users/1', 'https://x/v2/') lost the v2);
// then an async hook answering through cb, with context.webtask.data, an
// HMAC in base64url and a formatted date.
func TestEmbeddedNodeIdioms(t *testing.T) {
	in := start(t, options{})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	id := admin.createHook(t, "node-idioms", "credentials-exchange", idiomsHook, true)
	if r := admin.api("GET", "hooks/"+id, nil); r.status != 200 || r.json(t)["runtime"] != "embedded" {
		t.Fatalf("hook: %d %s, want runtime embedded", r.status, r.body)
	}
	if r := admin.api("POST", "hooks/"+id+"/secrets", map[string]string{"API_URL": "https://api.internal.example:8443/v1/base?tenant=acme"}); r.status != 201 {
		t.Fatalf("secrets: %d %s", r.status, r.body)
	}
	// This payload encodes to '-', a base64url character plain base64 lacks.
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u1","x":"~~~>>>"}`))
	c := app.tokenWith(t, url.Values{"subject_token": {"eyJhbGciOiJub25lIn0." + payload + ".sig"}})
	want := map[string]any{
		"sub":      "u1",
		"api":      []any{"api.internal.example", "8443", "/v1/base", "acme"},
		"resolved": "https://api.internal.example:8443/v1/users/u1",
		"joined":   "https://api.example.com/v2/users/u1",
		"basic":    true,
	}
	if mustJSONs(c) != mustJSONs(want) {
		t.Fatalf("claims %s, want %s", mustJSONs(c), mustJSONs(want))
	}

	// A hook in the style of Node-era webtasks: an async function that
	// answers through cb from a callback, reads its secret from
	// context.webtask.data, signs with an HMAC in base64url and formats a
	// date with options (an empty token, a Buffer, 01/02/2020 before).
	admin.setScript(t, id, `const crypto = require('crypto');
module.exports = async function (client, scope, audience, context, cb) {
  const key = context.webtask.data.API_URL;
  setTimeout(function () {
    cb(null, {scope: scope,
      'https://example.com/sig': crypto.createHmac('sha256', key).update(client.id).digest('base64url'),
      'https://example.com/day': new Date(Date.UTC(2020, 0, 2)).toLocaleDateString('en-US', {dateStyle: 'long', timeZone: 'UTC'})});
  }, 1);
};`)
	mac := hmac.New(sha256.New, []byte("https://api.internal.example:8443/v1/base?tenant=acme"))
	mac.Write([]byte(app.id))
	want = map[string]any{"sig": base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), "day": "January 2, 2020"}
	if c := app.tokenWith(t, nil); mustJSONs(c) != mustJSONs(want) {
		t.Fatalf("claims %s, want %s", mustJSONs(c), mustJSONs(want))
	}
}
