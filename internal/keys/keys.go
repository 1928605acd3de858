package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
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

	jose "github.com/go-jose/go-jose/v4"

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

// Key algorithms, as storage.SigningKey.Alg and an API's signing_alg name
// them. Each is a key family with its own next/current/previous keys: an
// RSA key serves both RS256 and PS256, while an ES256 or EdDSA signature
// needs a P-256 or Ed25519 key of its own.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// Family returns the key family of k: stored keys from before ES256 and
// EdDSA have no Alg and are RSA.
func Family(k storage.SigningKey) string {
	if k.Alg == "" {
		return AlgRS256
	}
	return k.Alg
}

// Generate makes a new RSA key in state "next" with a self-signed
// certificate whose subject names the tenant.
func Generate(random io.Reader, now time.Time, tenant string) (storage.SigningKey, error) {
	return GenerateAlg(AlgRS256, random, now, tenant)
}

// GenerateAlg makes a new key of family alg (AlgRS256: RSA-2048, AlgES256:
// P-256, AlgEdDSA: Ed25519) in state "next", with a self-signed
// certificate like the RSA keys so GET /api/v2/keys/signing shows every
// key the same way.
func GenerateAlg(alg string, random io.Reader, now time.Time, tenant string) (storage.SigningKey, error) {
	if random == nil {
		random = rand.Reader
	}
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case AlgRS256:
		priv, err = rsa.GenerateKey(random, rsaBits)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), random)
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(random)
	default:
		return storage.SigningKey{}, fmt.Errorf("keys: unknown key algorithm %q", alg)
	}
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: generate %s: %w", alg, err)
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
	cert, err := x509.CreateCertificate(random, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: certificate: %w", err)
	}
	var kid string
	if rsaKey, ok := priv.Public().(*rsa.PublicKey); ok {
		kid, err = thumbprint(rsaKey)
	} else {
		kid, err = joseThumbprint(priv.Public())
	}
	if err != nil {
		return storage.SigningKey{}, err
	}
	k := storage.SigningKey{
		Tenant:     tenant,
		KID:        kid,
		PrivateKey: der,
		Cert:       cert,
		State:      StateNext,
		CreatedAt:  now,
	}
	// RSA keys keep an empty Alg, as every key stored before ES256 and
	// EdDSA has, so old and new RSA rows look the same.
	if alg != AlgRS256 {
		k.Alg = alg
	}
	return k, nil
}

// joseThumbprint is the RFC 7638 thumbprint of an EC or OKP key; go-jose
// writes the required members (crv, kty, x[, y]) in the canonical order.
func joseThumbprint(pub crypto.PublicKey) (string, error) {
	sum, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("keys: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
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

// Ensure returns set completed so every key family it holds, and RSA
// always, has a current and a next key: on a new tenant it generates the
// RSA pair, and it repairs a family left without one. ES256 and EdDSA keys
// exist only once an API asked for them (EnsureAlg), so a tenant that
// never uses them publishes and rotates nothing more than before.
func Ensure(set []storage.SigningKey, random io.Reader, now time.Time, tenant string) ([]storage.SigningKey, bool, error) {
	changed := false
	for _, alg := range families(set) {
		var (
			c   bool
			err error
		)
		set, c, err = ensureFamily(set, alg, random, now, tenant)
		if err != nil {
			return nil, false, err
		}
		changed = changed || c
	}
	return set, changed, nil
}

// EnsureAlg is Ensure plus a current and a next key of family alg, which
// an API is about to sign with.
func EnsureAlg(set []storage.SigningKey, alg string, random io.Reader, now time.Time, tenant string) ([]storage.SigningKey, bool, error) {
	set, changed, err := Ensure(set, random, now, tenant)
	if err != nil {
		return nil, false, err
	}
	set, c, err := ensureFamily(set, alg, random, now, tenant)
	if err != nil {
		return nil, false, err
	}
	return set, changed || c, nil
}

// Complete reports whether set already holds a current and a next key of
// every family Ensure keeps, and of alg when alg is not "": then Ensure
// (EnsureAlg) would change nothing. Finding that out generates no key, so
// callers check first and generate only inside the write that stores the
// keys.
func Complete(set []storage.SigningKey, alg string) bool {
	fams := families(set)
	if alg != "" {
		fams = append(fams, alg)
	}
	for _, f := range fams {
		hasCurrent, hasNext := false, false
		for _, k := range set {
			if Family(k) == f {
				hasCurrent = hasCurrent || k.State == StateCurrent
				hasNext = hasNext || k.State == StateNext
			}
		}
		if !hasCurrent || !hasNext {
			return false
		}
	}
	return true
}

// families lists RSA and every other family present in set, in a fixed
// order so generated keys are always appended in the same order.
func families(set []storage.SigningKey) []string {
	out := []string{AlgRS256}
	for _, alg := range []string{AlgES256, AlgEdDSA} {
		for _, k := range set {
			if Family(k) == alg {
				out = append(out, alg)
				break
			}
		}
	}
	return out
}

func ensureFamily(set []storage.SigningKey, alg string, random io.Reader, now time.Time, tenant string) ([]storage.SigningKey, bool, error) {
	hasCurrent, hasNext := false, false
	for _, k := range set {
		if Family(k) != alg {
			continue
		}
		hasCurrent = hasCurrent || k.State == StateCurrent
		hasNext = hasNext || k.State == StateNext
	}
	changed := false
	if !hasCurrent {
		// Promote an existing next key before generating a fresh one.
		promoted := false
		for i := range set {
			if Family(set[i]) == alg && set[i].State == StateNext {
				set[i].State = StateCurrent
				set[i].CurrentSince = &now
				promoted, hasNext = true, false
				break
			}
		}
		if !promoted {
			k, err := GenerateAlg(alg, random, now, tenant)
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
		k, err := GenerateAlg(alg, random, now, tenant)
		if err != nil {
			return nil, false, err
		}
		set = append(set, k)
		changed = true
	}
	return set, changed, nil
}

// Rotate moves next → current and current → previous in every family, and
// generates a new next key for each (Auth0's POST
// /api/v2/keys/signing/rotate, which rotates everything the tenant signs
// with: one call retires a suspected-compromised tenant's keys).
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
	for _, alg := range families(set) {
		next, err := GenerateAlg(alg, random, now, tenant)
		if err != nil {
			return nil, err
		}
		set = append(set, next)
	}
	return set, nil
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
