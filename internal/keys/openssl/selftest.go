package openssl

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
)

// selfTestMessages are signed by SelfTest: an empty message, a JWS signing
// input shaped like a real token, and a long one.
var selfTestMessages = [][]byte{
	{},
	[]byte(`eyJhbGciOiJSUzI1NiIsImtpZCI6InNlbGYtdGVzdCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3NlbGYtdGVzdC8iLCJzdWIiOiJ0b2tlbmhvb2sifQ`),
	bytes.Repeat([]byte("tokenhook self-test "), 200),
}

// SelfTest checks that s signs as key does before it is trusted with
// tokens: its public key must equal key's, PKCS#1 v1.5 signatures (which
// are deterministic) must be byte-identical to crypto/rsa's, and PSS
// signatures must verify with crypto/rsa. It takes a few milliseconds
// (crypto/rsa signs the same messages) and belongs where a key set is
// built, not on the token path. It works for any crypto.Signer.
func SelfTest(s crypto.Signer, key *rsa.PrivateKey) error {
	if s == nil || key == nil {
		return errors.New("openssl: self-test: nil signer or key")
	}
	pub, ok := s.Public().(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return errors.New("openssl: self-test: signer's public key does not match the key")
	}
	pssOpts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	for i, msg := range selfTestMessages {
		digest := sha256.Sum256(msg)
		want, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			return fmt.Errorf("openssl: self-test: crypto/rsa: %w", err)
		}
		got, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return fmt.Errorf("openssl: self-test: PKCS#1 v1.5 message %d: %w", i, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("openssl: self-test: PKCS#1 v1.5 message %d: signature differs from crypto/rsa's", i)
		}
		psig, err := s.Sign(rand.Reader, digest[:], pssOpts)
		if err != nil {
			return fmt.Errorf("openssl: self-test: PSS message %d: %w", i, err)
		}
		if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, digest[:], psig, pssOpts); err != nil {
			return fmt.Errorf("openssl: self-test: PSS message %d does not verify: %w", i, err)
		}
	}
	return nil
}
