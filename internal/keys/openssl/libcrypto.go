package openssl

import (
	"fmt"
	"strings"
	"unsafe"
)

// libcrypto is the handful of OpenSSL 3 entry points the signer calls,
// bound at run time. Every field is set once by openLibrary and never
// changed, so a *libcrypto is safe to share between goroutines. The C
// names are in the comments; argument types follow purego's mapping
// (pointers as uintptr or unsafe.Pointer, C int as int32, long and
// size_t as int and uintptr on the 64-bit platforms this builds for).
type libcrypto struct {
	path    string // what was dlopen'ed
	version string // OpenSSL_version(OPENSSL_VERSION)

	versionNum func() uint64        // unsigned long OpenSSL_version_num(void)
	versionStr func(t int32) string // const char *OpenSSL_version(int t)

	errGet    func() uint64                                             // unsigned long ERR_get_error(void)
	errString func(e uint64, buf *byte, n uintptr)                      // void ERR_error_string_n(unsigned long, char *, size_t)
	errClear  func()                                                    // void ERR_clear_error(void)
	malloc    func(n uintptr, file *byte, line int32) unsafe.Pointer    // void *CRYPTO_malloc(size_t, const char *, int)
	clearFree func(p unsafe.Pointer, n uintptr, file *byte, line int32) // void CRYPTO_clear_free(void *, size_t, const char *, int)

	d2iPrivateKey func(typ int32, a uintptr, pp *unsafe.Pointer, length int) uintptr // EVP_PKEY *d2i_PrivateKey(int, EVP_PKEY **, const unsigned char **, long)
	pkeyFree      func(pkey uintptr)                                                 // void EVP_PKEY_free(EVP_PKEY *)
	pkeyBits      func(pkey uintptr) int32                                           // int EVP_PKEY_get_bits(const EVP_PKEY *)
	pkeySize      func(pkey uintptr) int32                                           // int EVP_PKEY_get_size(const EVP_PKEY *)

	ctxNew        func(pkey, engine uintptr) uintptr // EVP_PKEY_CTX *EVP_PKEY_CTX_new(EVP_PKEY *, ENGINE *)
	ctxFree       func(ctx uintptr)                  // void EVP_PKEY_CTX_free(EVP_PKEY_CTX *)
	signInit      func(ctx uintptr) int32            // int EVP_PKEY_sign_init(EVP_PKEY_CTX *)
	setPadding    func(ctx uintptr, pad int32) int32 // int EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *, int)
	setSigMD      func(ctx, md uintptr) int32        // int EVP_PKEY_CTX_set_signature_md(EVP_PKEY_CTX *, const EVP_MD *)
	setPSSSaltLen func(ctx uintptr, n int32) int32   // int EVP_PKEY_CTX_set_rsa_pss_saltlen(EVP_PKEY_CTX *, int)
	sha256        func() uintptr                     // const EVP_MD *EVP_sha256(void)
	sign          func(ctx uintptr, sig *byte, siglen *uintptr, tbs *byte, tbslen uintptr) int32
	// int EVP_PKEY_sign(EVP_PKEY_CTX *, unsigned char *, size_t *, const unsigned char *, size_t)
}

// symbols pairs each C symbol with the field that calls it. In OpenSSL 3
// the EVP_PKEY_CTX_set_* helpers and EVP_PKEY_get_bits/size are real
// exported functions (in 1.1 they were macros), which is one reason only
// libcrypto.so.3 is accepted.
func (l *libcrypto) symbols() []struct {
	name string
	fn   any
} {
	return []struct {
		name string
		fn   any
	}{
		{"OpenSSL_version_num", &l.versionNum},
		{"OpenSSL_version", &l.versionStr},
		{"ERR_get_error", &l.errGet},
		{"ERR_error_string_n", &l.errString},
		{"ERR_clear_error", &l.errClear},
		{"CRYPTO_malloc", &l.malloc},
		{"CRYPTO_clear_free", &l.clearFree},
		{"d2i_PrivateKey", &l.d2iPrivateKey},
		{"EVP_PKEY_free", &l.pkeyFree},
		{"EVP_PKEY_get_bits", &l.pkeyBits},
		{"EVP_PKEY_get_size", &l.pkeySize},
		{"EVP_PKEY_CTX_new", &l.ctxNew},
		{"EVP_PKEY_CTX_free", &l.ctxFree},
		{"EVP_PKEY_sign_init", &l.signInit},
		{"EVP_PKEY_CTX_set_rsa_padding", &l.setPadding},
		{"EVP_PKEY_CTX_set_signature_md", &l.setSigMD},
		{"EVP_PKEY_CTX_set_rsa_pss_saltlen", &l.setPSSSaltLen},
		{"EVP_sha256", &l.sha256},
		{"EVP_PKEY_sign", &l.sign},
	}
}

// Constants from OpenSSL 3's public headers (evp.h, rsa.h, crypto.h).
const (
	evpPKEYRSA          = 6  // EVP_PKEY_RSA (= NID_rsaEncryption)
	rsaPKCS1Padding     = 1  // RSA_PKCS1_PADDING
	rsaPKCS1PSSPadding  = 6  // RSA_PKCS1_PSS_PADDING
	rsaPSSSaltLenDigest = -1 // RSA_PSS_SALTLEN_DIGEST: salt length = digest length
	rsaPSSSaltLenMax    = -3 // RSA_PSS_SALTLEN_MAX: the longest salt that fits
	opensslVersion      = 0  // OPENSSL_VERSION, for OpenSSL_version
	minVersionNum       = 0x30000000
)

// check verifies the library is an OpenSSL 3 build and records its version.
func (l *libcrypto) check() error {
	if v := l.versionNum(); v < minVersionNum {
		return fmt.Errorf("OpenSSL version number %#x is older than 3.0", v)
	}
	l.version = l.versionStr(opensslVersion)
	if l.sha256() == 0 {
		return fmt.Errorf("EVP_sha256 returned NULL")
	}
	return nil
}

// errorf turns OpenSSL's error queue into a Go error for the failed call.
// The queue is per OS thread: callers hold runtime.LockOSThread from the
// failing call until here, or the text would come from another thread.
// OpenSSL's messages name the library, function and reason, never key
// bytes, so they are safe to return and log.
func (l *libcrypto) errorf(call string) error {
	var reasons []string
	buf := make([]byte, 256)
	for i := 0; ; i++ {
		e := l.errGet()
		if e == 0 {
			break
		}
		if i >= 8 { // keep the message short; drain the rest
			continue
		}
		l.errString(e, &buf[0], uintptr(len(buf)))
		s := string(buf)
		if n := strings.IndexByte(s, 0); n >= 0 {
			s = s[:n]
		}
		reasons = append(reasons, s)
	}
	if len(reasons) == 0 {
		return fmt.Errorf("openssl: %s failed (no error queued)", call)
	}
	return fmt.Errorf("openssl: %s failed: %s", call, strings.Join(reasons, "; "))
}
