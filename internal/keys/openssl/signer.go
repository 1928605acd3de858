package openssl

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"sync"
	"unsafe"
)

// ErrNotBuilt is what Load returns in the static build (-tags nolibcrypto,
// `make build-static`) or on a platform purego's loader is not used for
// here: such a binary signs with crypto/rsa.
var ErrNotBuilt = errors.New("openssl: signer not built in (static build: -tags nolibcrypto, or not linux/amd64 or linux/arm64)")

var (
	loadOnce sync.Once
	lib      *libcrypto
	errLoad  error
)

// Load loads libcrypto once per process and reports whether it can be
// used, with the reason when not. Later calls return the first answer.
func Load() error {
	loadOnce.Do(func() { lib, errLoad = openLibrary(libraryCandidates) })
	return errLoad
}

// Version describes the loaded library ("OpenSSL 3.0.19 27 Jan 2026 at
// libcrypto.so.3") for the one log line a caller writes; "" before a
// successful Load.
func Version() string {
	if Load() != nil {
		return ""
	}
	return lib.version + " at " + lib.path
}

// ctxKind is one way of configuring an EVP_PKEY_CTX for signing. Contexts
// of the kinds below are pooled; any other PSS salt length gets a context
// of its own for that one signature.
type ctxKind struct {
	padding int32
	saltLen int32 // PSS only
}

var (
	kindPKCS1v15   = ctxKind{padding: rsaPKCS1Padding}
	kindPSSHashLen = ctxKind{padding: rsaPKCS1PSSPadding, saltLen: rsaPSSSaltLenDigest}
	kindPSSMax     = ctxKind{padding: rsaPKCS1PSSPadding, saltLen: rsaPSSSaltLenMax}
)

// signer is an RSA private key held by OpenSSL. The EVP_PKEY is only read
// after NewSigner, which OpenSSL 3 allows from many threads at once; each
// signature uses an EVP_PKEY_CTX that exactly one goroutine holds at a time
// (taken from a sync.Pool and put back after use).
type signer struct {
	lib  *libcrypto
	pkey uintptr // EVP_PKEY *, freed by a cleanup when s is garbage
	pub  *rsa.PublicKey
	size int // signature length in bytes (EVP_PKEY_get_size)

	pkcs1v15, pssHashLen, pssMax sync.Pool // of *pkeyCtx

	// noPool makes every signature build and free its own context; only
	// the benchmark that compares the two strategies sets it.
	noPool bool
}

var _ crypto.Signer = (*signer)(nil)

// pkeyCtx owns an EVP_PKEY_CTX initialised for signing. A pooled context
// that sync.Pool drops is freed by its cleanup; the context holds its own
// reference to the EVP_PKEY, so the order of the two cleanups is free.
type pkeyCtx struct {
	ptr uintptr
}

// NewSigner hands key to OpenSSL once and returns a crypto.Signer backed
// by it. Sign follows crypto/rsa's contract for precomputed digests:
// opts crypto.SHA256 signs PKCS#1 v1.5 (RS256); *rsa.PSSOptions with
// SHA-256 signs PSS (salt length rsa.PSSSaltLengthEqualsHash or 32 as
// JOSE's PS256 requires, rsa.PSSSaltLengthAuto for the longest salt, as
// crypto/rsa does). Public returns a copy of the *rsa.PublicKey. The
// rand argument of Sign is ignored: OpenSSL draws blinding factors and
// PSS salts from its own DRBG.
//
// Call SelfTest on the result before trusting it.
func NewSigner(key *rsa.PrivateKey) (crypto.Signer, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	if key == nil || key.N == nil {
		return nil, errors.New("openssl: nil RSA key")
	}
	if len(key.Primes) != 2 {
		return nil, fmt.Errorf("openssl: RSA key with %d primes is not supported", len(key.Primes))
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	pkey, err := lib.loadKey(der)
	clear(der)
	if err != nil {
		return nil, err
	}
	bits := int(lib.pkeyBits(pkey))
	size := int(lib.pkeySize(pkey))
	if bits != key.N.BitLen() || size != (key.N.BitLen()+7)/8 {
		lib.pkeyFree(pkey)
		return nil, fmt.Errorf("openssl: key loaded as %d bits/%d bytes, want %d bits", bits, size, key.N.BitLen())
	}
	s := &signer{
		lib:  lib,
		pkey: pkey,
		pub:  &rsa.PublicKey{N: new(big.Int).Set(key.N), E: key.E},
		size: size,
	}
	l := lib
	runtime.AddCleanup(s, func(p uintptr) { l.pkeyFree(p) }, pkey)
	return s, nil
}

// loadKey copies der, a PKCS#1 RSAPrivateKey, into OpenSSL-allocated
// memory, parses it there and wipes that copy (the caller wipes der): the
// private key's bytes outlive the call only inside the EVP_PKEY. Passing
// OpenSSL a pointer to C memory rather than to a Go slice also keeps to
// the cgo pointer rules, since d2i_PrivateKey takes the address of the
// pointer and advances it.
func (l *libcrypto) loadKey(der []byte) (uintptr, error) {
	if len(der) == 0 {
		return 0, errors.New("openssl: empty key")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l.errClear()

	buf := l.malloc(uintptr(len(der)), nil, 0)
	if buf == nil {
		return 0, l.errorf("CRYPTO_malloc")
	}
	copy(unsafe.Slice((*byte)(buf), len(der)), der)
	p := buf
	pkey := l.d2iPrivateKey(evpPKEYRSA, 0, &p, len(der))
	l.clearFree(buf, uintptr(len(der)), nil, 0)
	if pkey == 0 {
		return 0, l.errorf("d2i_PrivateKey")
	}
	return pkey, nil
}

// Public returns the RSA public key.
func (s *signer) Public() crypto.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).Set(s.pub.N), E: s.pub.E}
}

// Sign signs digest, a SHA-256 hash, with PKCS#1 v1.5 or PSS as opts says.
func (s *signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, errors.New("openssl: Sign needs opts (crypto.SHA256 or *rsa.PSSOptions)")
	}
	if h := opts.HashFunc(); h != crypto.SHA256 {
		return nil, fmt.Errorf("openssl: hash %v not supported, only SHA-256", h)
	}
	if len(digest) != crypto.SHA256.Size() {
		return nil, fmt.Errorf("openssl: digest is %d bytes, SHA-256 needs %d", len(digest), crypto.SHA256.Size())
	}
	kind, pool, err := s.kindFor(opts)
	if err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(s) // the EVP_PKEY must outlive a new context's creation

	var c *pkeyCtx
	if pool != nil && !s.noPool {
		c, _ = pool.Get().(*pkeyCtx)
	}

	sig := make([]byte, s.size)
	n := uintptr(len(sig))

	runtime.LockOSThread()
	s.lib.errClear()
	if c == nil {
		ptr, err := s.newCtx(kind)
		if err != nil {
			runtime.UnlockOSThread()
			return nil, err
		}
		c = &pkeyCtx{ptr: ptr}
		if pool == nil || s.noPool {
			defer s.lib.ctxFree(ptr)
		} else {
			l := s.lib
			runtime.AddCleanup(c, func(p uintptr) { l.ctxFree(p) }, ptr)
		}
	}
	rc := s.lib.sign(c.ptr, &sig[0], &n, &digest[0], uintptr(len(digest)))
	if rc != 1 {
		// A context whose operation failed is not reused: its cleanup
		// frees it once it is garbage.
		err := s.lib.errorf("EVP_PKEY_sign")
		runtime.UnlockOSThread()
		return nil, err
	}
	runtime.UnlockOSThread()
	if pool != nil && !s.noPool {
		pool.Put(c)
	}
	if int(n) != s.size {
		// OpenSSL pads RSA signatures to the modulus length, as RFC 8017
		// §8.1.1/§8.2.1 (I2OSP to k octets) require; anything else is a bug.
		return nil, fmt.Errorf("openssl: signature is %d bytes, want %d", n, s.size)
	}
	return sig, nil
}

// kindFor maps opts to a context configuration and its pool (nil when the
// configuration is not pooled).
func (s *signer) kindFor(opts crypto.SignerOpts) (ctxKind, *sync.Pool, error) {
	pss, ok := opts.(*rsa.PSSOptions)
	if !ok {
		return kindPKCS1v15, &s.pkcs1v15, nil
	}
	maxSalt := s.size - 2 - crypto.SHA256.Size() // RFC 8017 §9.1.1 with emLen = k for a modulus of 8k bits
	if (s.pub.N.BitLen()-1)%8 == 0 {
		maxSalt-- // emLen is k-1 when modBits-1 is a multiple of 8
	}
	switch {
	case pss.SaltLength == rsa.PSSSaltLengthEqualsHash || pss.SaltLength == crypto.SHA256.Size():
		return kindPSSHashLen, &s.pssHashLen, nil
	case pss.SaltLength == rsa.PSSSaltLengthAuto || pss.SaltLength == maxSalt:
		return kindPSSMax, &s.pssMax, nil
	case pss.SaltLength > 0 && pss.SaltLength < maxSalt:
		return ctxKind{padding: rsaPKCS1PSSPadding, saltLen: int32(pss.SaltLength)}, nil, nil
	}
	return ctxKind{}, nil, fmt.Errorf("openssl: invalid PSS salt length %d", pss.SaltLength)
}

// newCtx makes an EVP_PKEY_CTX ready to sign with kind. The caller holds
// the OS thread locked so a failure's error text is this thread's.
func (s *signer) newCtx(kind ctxKind) (uintptr, error) {
	l := s.lib
	ctx := l.ctxNew(s.pkey, 0)
	if ctx == 0 {
		return 0, l.errorf("EVP_PKEY_CTX_new")
	}
	fail := func(call string) (uintptr, error) {
		err := l.errorf(call)
		l.ctxFree(ctx)
		return 0, err
	}
	if l.signInit(ctx) != 1 {
		return fail("EVP_PKEY_sign_init")
	}
	if l.setPadding(ctx, kind.padding) != 1 {
		return fail("EVP_PKEY_CTX_set_rsa_padding")
	}
	if l.setSigMD(ctx, l.sha256()) != 1 {
		return fail("EVP_PKEY_CTX_set_signature_md")
	}
	if kind.padding == rsaPKCS1PSSPadding && l.setPSSSaltLen(ctx, kind.saltLen) != 1 {
		return fail("EVP_PKEY_CTX_set_rsa_pss_saltlen")
	}
	return ctx, nil
}
