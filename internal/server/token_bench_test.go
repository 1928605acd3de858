package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/config"
)

// BenchmarkTokenEndpoint measures the whole token handler in process (no
// network): compare with BenchmarkBareSignature, the floor.
func BenchmarkTokenEndpoint(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.Dev = true
	cfg.HookIsolation = "none"
	var out bytes.Buffer
	s, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := regexp.MustCompile(`"client_id":"([^"]+)","client_secret":"([^"]+)","audience":"([^"]+)"`).FindStringSubmatch(out.String())
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {m[1]}, "client_secret": {m[2]}, "audience": {m[3]}}.Encode()
	h := s.Handler()
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
