//go:build openssl && linux && (amd64 || arm64)

package openssl

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkSignOpenSSL: the same signature through OpenSSL, with pooled
// EVP_PKEY_CTXs (what NewSigner does).
func BenchmarkSignOpenSSL(b *testing.B) { benchSign(b, newTestSigner(b, benchKey(b))) }

func BenchmarkSignOpenSSLParallel(b *testing.B) { benchSignParallel(b, newTestSigner(b, benchKey(b))) }

// BenchmarkSignOpenSSLFreshCtx builds and frees an EVP_PKEY_CTX for every
// signature: the alternative the pool was measured against.
func BenchmarkSignOpenSSLFreshCtx(b *testing.B) {
	s := newTestSigner(b, benchKey(b))
	s.(*signer).noPool = true
	benchSign(b, s)
}

// BenchmarkJWS* measure a whole RS256 token signature through go-jose
// (header, base64, SHA-256, RSA), as internal/keys signs.
func BenchmarkJWSGo(b *testing.B) { benchJWS(b, jose.JSONWebKey{Key: benchKey(b), KeyID: "k"}) }

func BenchmarkJWSOpenSSL(b *testing.B) {
	benchJWS(b, NewOpaque("k", newTestSigner(b, benchKey(b))))
}

func benchJWS(b *testing.B, key any) {
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"iss":"https://tenant.example/","sub":"client@clients","aud":"https://api.example/","iat":1700000000,"exp":1700086400,"scope":"read:all write:all","gty":"client-credentials","azp":"client"}`)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		obj, err := js.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := obj.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCtxSetup is what the pool saves per signature: creating,
// configuring and freeing one EVP_PKEY_CTX, without signing.
func BenchmarkCtxSetup(b *testing.B) {
	s := newTestSigner(b, benchKey(b)).(*signer)
	b.ReportAllocs()
	for b.Loop() {
		ctx, err := s.newCtx(kindPKCS1v15)
		if err != nil {
			b.Fatal(err)
		}
		s.lib.ctxFree(ctx)
	}
}
