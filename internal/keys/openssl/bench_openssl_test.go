//go:build !nolibcrypto && linux && (amd64 || arm64)

package openssl

import (
	"testing"
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
