package server_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// BenchmarkTokenEndpoint measures the whole token handler in process (no
// network): compare with BenchmarkBareSignature, the floor.
func BenchmarkTokenEndpoint(b *testing.B) {
	s := servertest.New(b)
	s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": "https://bench.example/", "name": "bench",
		"scopes": []map[string]string{{"value": "read"}}})
	c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "bench", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
	id, secret := c["client_id"].(string), c["client_secret"].(string)
	s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": "https://bench.example/", "scope": []string{"read"}})
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://bench.example/"}}.Encode()
	h := s.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d %s", w.Code, w.Body)
			}
		}
	})
}

func BenchmarkBareSignature(b *testing.B) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	payload := bytes.Repeat([]byte("x"), 300)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := sha256.Sum256(payload)
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTokenExtension: a client-credentials token with a hook that
// sets two claims, and with the equivalent Action (issue 17's target:
// the Action within a few hundredths of a millisecond of the hook).
func BenchmarkTokenExtension(b *testing.B) {
	for _, kind := range []string{"hook", "action"} {
		b.Run(kind, func(b *testing.B) {
			s := servertest.New(b)
			s.MustAPI(201, "POST", "resource-servers", map[string]any{"identifier": "https://bench.example/", "name": "bench",
				"scopes": []map[string]string{{"value": "read"}}})
			c := s.MustAPI(201, "POST", "clients", map[string]any{"name": "bench", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
			id, secret := c["client_id"].(string), c["client_secret"].(string)
			s.MustAPI(201, "POST", "client-grants", map[string]any{"client_id": id, "audience": "https://bench.example/", "scope": []string{"read"}})
			if kind == "hook" {
				s.MustAPI(201, "POST", "hooks", map[string]any{"name": "two", "triggerId": "credentials-exchange", "enabled": true,
					"script": `module.exports = function (client, scope, audience, context, cb) {
  cb(null, {scope: scope, 'https://example.com/a': client.name, 'https://example.com/b': 2});
};`})
			} else {
				a := s.MustAPI(201, "POST", "actions/actions", map[string]any{"name": "two",
					"supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}},
					"code": `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/a', event.client.name);
  api.accessToken.setCustomClaim('https://example.com/b', 2);
};`})
				s.MustAPI(202, "POST", "actions/actions/"+a["id"].(string)+"/deploy", nil)
				s.MustAPI(200, "PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{
					"bindings": []map[string]any{{"ref": map[string]string{"type": "action_name", "value": "two"}}}})
			}
			body := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://bench.example/"}}.Encode()
			h := s.Handler
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
}
