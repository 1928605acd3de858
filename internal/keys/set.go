package keys

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Set is a tenant's keys parsed for use: the signer of the current key,
// the public keys that verify, and the JWKS document, all immutable.
type Set struct {
	current   *Signer // RS256
	currentPS *Signer // PS256, same key
	currentES *Signer // ES256, the current P-256 key
	currentEd *Signer // EdDSA, the current Ed25519 key
	public    map[string]crypto.PublicKey
	jwks      []byte
}

// NewSet parses keys as of now and signs with crypto/rsa.
func NewSet(keys []storage.SigningKey, now time.Time) (*Set, error) {
	return NewSetWith(keys, now, nil)
}

// NewSetWith parses keys as of now; the current key's signer comes from
// signers (its backend and cache), or is built with crypto/rsa when
// signers is nil.
func NewSetWith(keys []storage.SigningKey, now time.Time, signers *Signers) (*Set, error) {
	s := &Set{public: map[string]crypto.PublicKey{}}
	doc := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		if !Published(k, now) {
			continue
		}
		priv, err := parsePrivate(k)
		if err != nil {
			return nil, err
		}
		s.public[k.KID] = priv.Public()
		family := Family(k)
		jwk := jose.JSONWebKey{Key: priv.Public(), KeyID: k.KID, Algorithm: family, Use: "sig"}
		if cert, err := x509.ParseCertificate(k.Cert); err == nil {
			jwk.Certificates = []*x509.Certificate{cert}
		}
		doc.Keys = append(doc.Keys, jwk)
		if k.State != StateCurrent {
			continue
		}
		switch family {
		case AlgRS256:
			rsaKey, ok := priv.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("keys: %s: current key is not RSA", k.KID)
			}
			var sg rsaSigners
			if signers != nil {
				sg, err = signers.signers(k.KID, rsaKey)
			} else {
				sg, err = newRSASigners(k.KID, rsaKey)
			}
			if err != nil {
				return nil, err
			}
			s.current, s.currentPS = sg.rs, sg.ps
		case AlgES256, AlgEdDSA:
			// Go's ECDSA and Ed25519 are fast enough that these keys skip
			// the backend and its cache: building their signer is cheap.
			sg, err := newKeySigner(family, k.KID, priv)
			if err != nil {
				return nil, err
			}
			if family == AlgES256 {
				s.currentES = sg
			} else {
				s.currentEd = sg
			}
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("keys: jwks: %w", err)
	}
	s.jwks = b
	return s, nil
}

// Signer returns the current key's signer, or ErrNoCurrentKey.
func (s *Set) Signer() (*Signer, error) {
	if s == nil || s.current == nil {
		return nil, ErrNoCurrentKey
	}
	return s.current, nil
}

// PSSigner returns the current key's PS256 signer, or ErrNoCurrentKey.
func (s *Set) PSSigner() (*Signer, error) {
	if s == nil || s.currentPS == nil {
		return nil, ErrNoCurrentKey
	}
	return s.currentPS, nil
}

// SignerFor returns the current signer of a JWS algorithm an API may
// choose from the tenant's keys: RS256 (also for ""), PS256, ES256 or
// EdDSA. ErrNoCurrentKey means the tenant has no current key of that family.
func (s *Set) SignerFor(alg string) (*Signer, error) {
	var sg *Signer
	if s != nil {
		switch alg {
		case "", AlgRS256:
			sg = s.current
		case string(jose.PS256):
			sg = s.currentPS
		case AlgES256:
			sg = s.currentES
		case AlgEdDSA:
			sg = s.currentEd
		default:
			return nil, fmt.Errorf("keys: no tenant key signs %q", alg)
		}
	}
	if sg == nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoCurrentKey, alg)
	}
	return sg, nil
}

// PublicKey returns the published key with that kid.
func (s *Set) PublicKey(kid string) (crypto.PublicKey, bool) {
	if s == nil {
		return nil, false
	}
	k, ok := s.public[kid]
	return k, ok
}

// JWKS is the JSON document served at /.well-known/jwks.json.
func (s *Set) JWKS() []byte { return s.jwks }
