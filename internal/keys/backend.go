package keys

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tokenhook/tokenhook/internal/keys/openssl"
)

// Signer backends, as --signer names them.
const (
	BackendGo      = "go"
	BackendOpenSSL = "openssl"
	BackendAuto    = "auto"
)

// Signers turns a tenant's current key into a *Signer with the configured
// backend and remembers the result per kid. The catalog rebuilds the key
// set every minute and on every change; handing a key to OpenSSL and
// self-testing it costs a few milliseconds, so that happens once per key,
// not per rebuild. A kid is the RFC 7638 thumbprint of the public key, so
// one kid never names two different keys.
//
// Both backends are a crypto.Signer behind the same JWS code (jws.go), so
// RS256 tokens are byte-identical whichever signs (PKCS#1 v1.5 is
// deterministic).
type Signers struct {
	mode string
	log  *slog.Logger
	// useOpenSSL is false in "go" mode and when Load failed in "auto".
	useOpenSSL bool

	logOnce sync.Once
	mu      sync.Mutex
	cache   map[string]rsaSigners

	// newOpenSSL is openssl.NewSigner; tests replace it to force a
	// failing self-test.
	newOpenSSL func(*rsa.PrivateKey) (crypto.Signer, error)
}

// NewSigners checks mode and, for "openssl" and "auto", loads OpenSSL.
// In "openssl" mode a library that cannot be loaded (including in the
// static build, -tags nolibcrypto) is an error: the operator asked for it. In
// "auto" mode it means signing with crypto/rsa, which is logged once.
func NewSigners(mode string, log *slog.Logger) (*Signers, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Signers{mode: mode, log: log, cache: map[string]rsaSigners{}, newOpenSSL: openssl.NewSigner}
	switch mode {
	case BackendGo:
		s.logChoice("signer=go", "reason", "--signer go")
	case BackendOpenSSL:
		if err := openssl.Load(); err != nil {
			return nil, fmt.Errorf("--signer openssl: %w", err)
		}
		s.useOpenSSL = true
	case BackendAuto, "":
		s.mode = BackendAuto
		if err := openssl.Load(); err != nil {
			s.logChoice("signer=go", "reason", err.Error())
		} else {
			s.useOpenSSL = true
		}
	default:
		return nil, fmt.Errorf("--signer %q: use go, openssl or auto", mode)
	}
	return s, nil
}

// OpenSSL reports whether keys are handed to OpenSSL (each still falls
// back to crypto/rsa in "auto" mode if its self-test fails).
func (s *Signers) OpenSSL() bool { return s != nil && s.useOpenSSL }

func (s *Signers) logChoice(msg string, args ...any) {
	s.logOnce.Do(func() { s.log.Info(msg, args...) })
}

// rsaSigners are the JWS signers (jws.go) of one RSA key: RS256 and PS256
// share the key and its backend.
type rsaSigners struct{ rs, ps *Signer }

// signers returns the cached signers of kid, building them on first use,
// and forgets every other kid: only the current key signs, and a key
// rotated out must not keep its OpenSSL copy alive.
func (s *Signers) signers(kid string, key *rsa.PrivateKey) (rsaSigners, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sg, ok := s.cache[kid]; ok {
		return sg, nil
	}
	var cs crypto.Signer = key
	if s.useOpenSSL {
		ossl, err := s.newOpenSSL(key)
		if err == nil {
			err = openssl.SelfTest(ossl, key)
		}
		switch {
		case err == nil:
			cs = ossl
			s.logChoice("signer=openssl", "version", openssl.Version())
		case s.mode == BackendOpenSSL:
			return rsaSigners{}, fmt.Errorf("keys: --signer openssl: key %s: %w", kid, err)
		default:
			// A key OpenSSL cannot sign exactly as crypto/rsa does is
			// signed by crypto/rsa; say so for every such key, since it
			// means the library misbehaves.
			s.logChoice("signer=go", "reason", err.Error())
			s.log.Warn("OpenSSL failed its self-test; this key signs with crypto/rsa", "kid", kid, "err", err)
		}
	}
	sg, err := newRSASigners(kid, cs)
	if err != nil {
		return rsaSigners{}, err
	}
	clear(s.cache)
	s.cache[kid] = sg
	return sg, nil
}
