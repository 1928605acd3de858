// Package openssl signs with the system's OpenSSL 3 (libcrypto.so.3),
// loaded at run time with purego: no cgo and no C toolchain at build time.
// It owns the library's loading, one crypto.Signer per RSA key and a
// self-test against crypto/rsa. It knows nothing of tenants, key sets or configuration; internal/keys
// decides when to use it.
//
// # Why
//
// A token's cost is dominated by its RS256 signature, and OpenSSL 3's
// assembly for modular exponentiation signs RSA-2048 several times
// cheaper than crypto/rsa's constant-time generic code, so a core issues
// several times more tokens. The benchmarks here report cpu-ns/op next to
// ns/op because the machines are shared; the figures are in
// docs/configuration.md ("Signing").
//
// # Build tag, and what it costs
//
// The signer is compiled in by default on linux/amd64 (tested) and
// linux/arm64 (builds; not yet run on arm64 hardware). The static build,
// -tags nolibcrypto (`make build-static`), leaves it out: there Load
// returns ErrNotBuilt and nothing here imports purego. That build exists
// because dlopen needs the C dynamic loader: a binary that imports purego,
// even built with CGO_ENABLED=0, is linked as a dynamic ELF executable
// (interpreter /lib64/ld-linux-x86-64.so.2, NEEDED libc.so.6, libdl.so.2,
// libpthread.so.0). It still builds with no C compiler, but it does not
// start on a scratch or distroless/static image or on musl (Alpine)
// without glibc, and that failure happens at exec, before any fallback
// could run.
//
// The constraint is inverted (a tag to leave the signer out, not one to
// put it in) so that every way of building the server gets the fast
// signer: `make build`, a plain `go build ./cmd/tokenhook` or `go install`,
// and the end-to-end tests, which build the binary with plain `go build`.
// A tag to opt in meant those silently built the slower binary. Without
// libcrypto.so.3 at run time the default binary still starts and signs
// with crypto/rsa (internal/keys logs why, once).
//
// # Finding the library
//
// Load tries the soname "libcrypto.so.3" first, so the dynamic loader's
// own search (ld.so.cache, LD_LIBRARY_PATH) decides as for a C program,
// then the usual absolute paths on Debian/Ubuntu (multiarch), Fedora/RHEL
// (lib64), Arch and /usr/local. A candidate must export every function
// the signer calls and report OpenSSL_version_num >= 3.0; otherwise the
// next is tried, and the error lists why each failed. Load runs once per
// process; the library is never unloaded.
//
// # Keys and signatures
//
// NewSigner encodes the key as PKCS#1 DER, copies it into OpenSSL-owned
// memory, parses it with d2i_PrivateKey, and wipes both copies with
// clear and CRYPTO_clear_free; after that the private key exists in C
// memory only inside the EVP_PKEY, which a cleanup frees (EVP_PKEY_free)
// once the signer is unreachable. Nothing here logs or formats key bytes;
// errors carry OpenSSL's ERR_error_string_n text, which names the
// library, function and reason only.
//
// Each signature runs EVP_PKEY_sign on an EVP_PKEY_CTX already set up
// with EVP_PKEY_sign_init, the padding (PKCS#1 v1.5, or PSS with its salt
// length) and SHA-256. Contexts are reused through one sync.Pool per
// configuration. Setting one up (EVP_PKEY_CTX_new, which fetches the
// provider's implementation, then sign_init, padding and digest) is a
// few percent of a signature (BenchmarkCtxSetup), which the pool saves;
// BenchmarkSignOpenSSLFreshCtx measures the unpooled alternative end to
// end. A context dropped by the pool is freed by
// its own cleanup; it holds a reference to the EVP_PKEY, so the two
// cleanups may run in either order.
//
// OpenSSL's error queue is per OS thread, and a goroutine may move
// between threads between two calls, so each sequence of calls whose
// failure is reported runs under runtime.LockOSThread: the error text is
// read on the thread that queued it.
//
// # Thread safety
//
// A signer is safe for concurrent use. OpenSSL 3 allows one EVP_PKEY to
// be used by many threads while nobody modifies it, and nothing does after
// NewSigner; each EVP_PKEY_CTX is held by one goroutine at a time (taken
// from the pool, put back after EVP_PKEY_sign). RSA blinding, which
// OpenSSL keeps per key, is locked inside OpenSSL.
//
// # Self-test and fallback policy
//
// SelfTest signs fixed messages with the signer and with crypto/rsa:
// PKCS#1 v1.5 (deterministic, RFC 8017 §8.2) must be byte-identical, PSS
// signatures must verify with rsa.VerifyPSS, and the public keys must be
// equal. It costs a few milliseconds, once per key set.
//
// The caller, not this package, decides what happens when OpenSSL is not
// usable: in "auto" mode it signs with crypto/rsa when Load, NewSigner or
// SelfTest fails and logs the reason once per process; in "openssl" mode
// the same failure is a startup error. This package never falls back
// silently, since a signer that reports success has passed no check the
// caller did not run.
package openssl
