package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Signer signs JWTs with one key. It is safe for concurrent use and built
// once per key set, never per token.
//
// It writes the compact JWS (RFC 7515 §7.1) itself rather than through
// go-jose's Signer: the protected header of a key never changes, so it is
// encoded once here, where go-jose re-marshals it for every token. That
// per-token marshalling cost ~10 µs, a tenth of an ES256 token's CPU.
// go-jose still parses and verifies (tests, the Management API's bearer
// tokens) and writes the JWKS; a test checks both agree byte for byte.
type Signer struct {
	// KID is the key's id; empty for HS256, whose header carries none.
	KID string
	// Alg is the JWS algorithm: RS256, PS256, ES256, EdDSA or HS256.
	Alg string
	// header is the base64url protected header.
	header string
	// sign returns the JWS signature of the signing input.
	sign func(signingInput []byte) ([]byte, error)
	// sigLen is the signature's length in bytes, to size the output once.
	sigLen int
}

// Sign returns the compact JWS of payload with header
// {"alg":Alg,"kid":KID,"typ":"JWT"} (no kid for HS256).
func (s *Signer) Sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	n := len(s.header) + 1 + enc.EncodedLen(len(payload))
	buf := make([]byte, n, n+1+enc.EncodedLen(s.sigLen))
	copy(buf, s.header)
	buf[len(s.header)] = '.'
	enc.Encode(buf[len(s.header)+1:], payload)
	sig, err := s.sign(buf)
	if err != nil {
		return "", fmt.Errorf("keys: sign %s: %w", s.Alg, err)
	}
	buf = append(buf, '.')
	return string(enc.AppendEncode(buf, sig)), nil
}

// newSigner encodes the header of alg and kid, in the key order go-jose
// writes (alg, kid, typ).
func newSigner(alg, kid string, sigLen int, sign func([]byte) ([]byte, error)) *Signer {
	h, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		KID string `json:"kid,omitempty"`
		Typ string `json:"typ"`
	}{alg, kid, "JWT"})
	return &Signer{KID: kid, Alg: alg, header: base64.RawURLEncoding.EncodeToString(h), sign: sign, sigLen: sigLen}
}

// pss is PS256's parameters: RFC 7518 §3.5 fixes the salt length to the
// hash length.
var pss = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}

// newRSASigners builds the RS256 and PS256 signers of one RSA key, whatever
// its backend (an *rsa.PrivateKey, or OpenSSL's crypto.Signer).
func newRSASigners(kid string, cs crypto.Signer) (rsaSigners, error) {
	pub, ok := cs.Public().(*rsa.PublicKey)
	if !ok {
		return rsaSigners{}, fmt.Errorf("keys: %s is not an RSA key", kid)
	}
	size := pub.Size()
	withOpts := func(opts crypto.SignerOpts) func([]byte) ([]byte, error) {
		return func(in []byte) ([]byte, error) {
			digest := sha256.Sum256(in)
			return cs.Sign(rand.Reader, digest[:], opts)
		}
	}
	return rsaSigners{
		rs: newSigner(AlgRS256, kid, size, withOpts(crypto.SHA256)),
		ps: newSigner("PS256", kid, size, withOpts(pss)),
	}, nil
}

// newKeySigner builds the signer of a P-256 (ES256) or Ed25519 (EdDSA) key.
func newKeySigner(alg, kid string, priv crypto.Signer) (*Signer, error) {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		if alg != AlgES256 || k.Curve.Params().BitSize != 256 {
			return nil, fmt.Errorf("keys: %s signer %s: not a P-256 key", alg, kid)
		}
		// RFC 7518 §3.4: R and S as fixed 32-byte big-endian integers,
		// not the ASN.1 sequence crypto/ecdsa produces by default.
		return newSigner(alg, kid, 64, func(in []byte) ([]byte, error) {
			digest := sha256.Sum256(in)
			r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
			if err != nil {
				return nil, err
			}
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}), nil
	case ed25519.PrivateKey:
		if alg != AlgEdDSA {
			return nil, fmt.Errorf("keys: %s signer %s: not an Ed25519 key", alg, kid)
		}
		return newSigner(alg, kid, ed25519.SignatureSize, func(in []byte) ([]byte, error) {
			return ed25519.Sign(k, in), nil
		}), nil
	}
	return nil, fmt.Errorf("keys: %s signer %s: unsupported key type %T", alg, kid, priv)
}

// MinHMACSecret is the shortest HS256 secret accepted: RFC 7518 §3.2
// requires a key at least as long as the hash output (256 bits).
const MinHMACSecret = 32

// NewHMACSigner signs HS256 with an API's signing_secret. The header has
// no kid (Auth0's HS256 tokens carry none: the API knows its one secret),
// and the secret is never published. Building one costs no more than a
// map entry, so the catalog makes them on every rebuild.
func NewHMACSigner(secret []byte) (*Signer, error) {
	if len(secret) < MinHMACSecret {
		return nil, fmt.Errorf("keys: HS256 secret of %d bytes, need at least %d", len(secret), MinHMACSecret)
	}
	key := append([]byte(nil), secret...)
	return newSigner("HS256", "", sha256.Size, func(in []byte) ([]byte, error) {
		m := hmac.New(sha256.New, key)
		m.Write(in)
		return m.Sum(nil), nil
	}), nil
}
