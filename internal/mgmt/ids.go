package mgmt

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlphanumeric draws n characters uniformly from [A-Za-z0-9]: bytes
// ≥ 248 are rejected so that no character is more likely than another.
func randomAlphanumeric(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("mgmt: randomness: %w", err)
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62
				continue
			}
			out = append(out, alphanumerics[int(b)%len(alphanumerics)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// randomHex returns n hex characters (n even).
func randomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n/2)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("mgmt: randomness: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newClientID is Auth0's shape: 32 alphanumerics.
func newClientID(r io.Reader) (string, error) { return randomAlphanumeric(r, 32) }

// newClientSecret is 64 URL-safe characters carrying 384 random bits.
func newClientSecret(r io.Reader) (string, error) {
	b := make([]byte, 48)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("mgmt: randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newGrantID is Auth0's shape: "cgr_" and 16 alphanumerics.
func newGrantID(r io.Reader) (string, error) {
	s, err := randomAlphanumeric(r, 16)
	return "cgr_" + s, err
}
