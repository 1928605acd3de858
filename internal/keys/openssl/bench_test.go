package openssl

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// benchKey is a 2048-bit key, Auth0's size and the one that matters.
func benchKey(b *testing.B) *rsa.PrivateKey {
	b.Helper()
	return testKeys(b)[0]
}

var benchDigest = sha256.Sum256([]byte(`eyJhbGciOiJSUzI1NiIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiJjbGllbnRAY2xpZW50cyJ9`))

func benchSign(b *testing.B, s crypto.Signer) {
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := s.Sign(nil, benchDigest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSignParallel(b *testing.B, s crypto.Signer) {
	b.ReportAllocs()
	defer reportCPU(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Sign(nil, benchDigest[:], crypto.SHA256); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSignGo is the baseline: crypto/rsa, PKCS#1 v1.5 SHA-256, 2048 bits.
func BenchmarkSignGo(b *testing.B) { benchSign(b, benchKey(b)) }

func BenchmarkSignGoParallel(b *testing.B) { benchSignParallel(b, benchKey(b)) }

// reportCPU starts counting process CPU time; the function it returns
// reports cpu-ns/op, the CPU one operation cost whatever the machine's
// other load (in parallel runs, summed over all cores).
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
