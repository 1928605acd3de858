package keys

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Key states, in Auth0's vocabulary (GET /api/v2/keys/signing).
const (
	StateNext     = "next"
	StateCurrent  = "current"
	StatePrevious = "previous"
	StateRevoked  = "revoked"
)

// MaxTokenLifetime is the longest lifetime an API may give its tokens
// (Auth0's limit, compat-spec §1); a retired key is published this long.
const MaxTokenLifetime = 2592000 * time.Second

// rsaBits is Auth0's key size.
const rsaBits = 2048

// Generate makes a new RSA key in state "next" with a self-signed
// certificate whose subject names the tenant.
func Generate(random io.Reader, now time.Time, tenant string) (storage.SigningKey, error) {
	if random == nil {
		random = rand.Reader
	}
	priv, err := rsa.GenerateKey(random, rsaBits)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: marshal: %w", err)
	}
	serial, err := rand.Int(random, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return storage.SigningKey{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: tenant},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	cert, err := x509.CreateCertificate(random, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: certificate: %w", err)
	}
	kid, err := thumbprint(&priv.PublicKey)
	if err != nil {
		return storage.SigningKey{}, err
	}
	return storage.SigningKey{
		Tenant:     tenant,
		KID:        kid,
		PrivateKey: der,
		Cert:       cert,
		State:      StateNext,
		CreatedAt:  now,
	}, nil
}

// thumbprint is the RFC 7638 JWK thumbprint, base64url: stable, unique per
// key and what many libraries compute on their own.
func thumbprint(pub *rsa.PublicKey) (string, error) {
	e := big.NewInt(int64(pub.E)).Bytes()
	n := pub.N.Bytes()
	// Members in lexicographic order, no whitespace (RFC 7638 §3.2).
	doc := `{"e":"` + base64.RawURLEncoding.EncodeToString(e) +
		`","kty":"RSA","n":"` + base64.RawURLEncoding.EncodeToString(n) + `"}`
	sum := sha256.Sum256([]byte(doc))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Ensure returns set completed so it has a current and a next key: on a
// new tenant it generates both, and it repairs a set left without one.
func Ensure(set []storage.SigningKey, random io.Reader, now time.Time, tenant string) ([]storage.SigningKey, bool, error) {
	hasCurrent, hasNext := false, false
	for _, k := range set {
		hasCurrent = hasCurrent || k.State == StateCurrent
		hasNext = hasNext || k.State == StateNext
	}
	changed := false
	if !hasCurrent {
		// Promote an existing next key before generating a fresh one.
		promoted := false
		for i := range set {
			if set[i].State == StateNext {
				set[i].State = StateCurrent
				set[i].CurrentSince = &now
				promoted, hasNext = true, false
				break
			}
		}
		if !promoted {
			k, err := Generate(random, now, tenant)
			if err != nil {
				return nil, false, err
			}
			k.State = StateCurrent
			k.CurrentSince = &now
			set = append(set, k)
		}
		changed = true
	}
	if !hasNext {
		k, err := Generate(random, now, tenant)
		if err != nil {
			return nil, false, err
		}
		set = append(set, k)
		changed = true
	}
	return set, changed, nil
}

// Rotate moves next → current and current → previous, and generates a new
// next key (Auth0's POST /api/v2/keys/signing/rotate).
func Rotate(set []storage.SigningKey, random io.Reader, now time.Time, tenant string) ([]storage.SigningKey, error) {
	set, _, err := Ensure(set, random, now, tenant)
	if err != nil {
		return nil, err
	}
	for i := range set {
		switch set[i].State {
		case StateCurrent:
			set[i].State = StatePrevious
			set[i].CurrentUntil = &now
		case StateNext:
			set[i].State = StateCurrent
			set[i].CurrentSince = &now
		}
	}
	next, err := Generate(random, now, tenant)
	if err != nil {
		return nil, err
	}
	return append(set, next), nil
}

// Published reports whether k belongs in the JWKS at now: every key that
// may still verify a live token.
func Published(k storage.SigningKey, now time.Time) bool {
	switch k.State {
	case StateNext, StateCurrent:
		return true
	case StatePrevious:
		return k.CurrentUntil == nil || now.Before(k.CurrentUntil.Add(MaxTokenLifetime))
	}
	return false
}

// ErrNoCurrentKey means the tenant has no key to sign with yet.
var ErrNoCurrentKey = errors.New("keys: no current signing key")

func parsePrivate(k storage.SigningKey) (crypto.Signer, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("keys: parse %s: %w", k.KID, err)
	}
	s, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys: %s is not a signing key", k.KID)
	}
	return s, nil
}
