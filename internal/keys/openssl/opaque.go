package openssl

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// opaque adapts a crypto.Signer holding an RSA key to go-jose's
// OpaqueSigner, so go-jose builds the JWS (header, encoding) while the
// signature comes from the backend of our choice.
type opaque struct {
	jwk    jose.JSONWebKey // public key and kid; copied out by Public
	signer crypto.Signer
}

var _ jose.OpaqueSigner = (*opaque)(nil)

// pss is PS256's parameters: RFC 7518 §3.5 fixes the salt length to the
// hash length.
var pss = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}

// NewOpaque wraps s (an RSA crypto.Signer: this package's, or an
// *rsa.PrivateKey) as a go-jose OpaqueSigner for RS256 and PS256 with key
// ID kid. go-jose takes the "kid" header from Public().KeyID, so
//
//	jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: NewOpaque(kid, s)}, opts)
//
// emits {"alg":"RS256","kid":kid,...} with no WithHeader("kid", ...)
// needed. Both backends can go through this one adapter.
func NewOpaque(kid string, s crypto.Signer) jose.OpaqueSigner {
	return &opaque{
		jwk:    jose.JSONWebKey{Key: s.Public(), KeyID: kid, Use: "sig"},
		signer: s,
	}
}

// Public returns the public JWK with the kid. go-jose calls it for every
// signature; each call gets its own copy so no caller can change another's.
func (o *opaque) Public() *jose.JSONWebKey {
	k := o.jwk
	return &k
}

// Algs lists what SignPayload can do.
func (o *opaque) Algs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.RS256, jose.PS256}
}

// SignPayload hashes payload (the JWS signing input) with SHA-256 and signs
// the digest (RFC 7518 §3.3 for RS256, §3.5 for PS256).
func (o *opaque) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	digest := sha256.Sum256(payload)
	switch alg {
	case jose.RS256:
		return o.signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	case jose.PS256:
		return o.signer.Sign(rand.Reader, digest[:], pss)
	}
	return nil, fmt.Errorf("openssl: algorithm %q not supported", alg)
}
