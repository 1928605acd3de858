// Package keys owns a tenant's signing keys: generation (RSA-2048 with a
// self-signed certificate, published as x5c like Auth0), rotation in
// Auth0's next → current → previous order, the JWKS document, and the
// parsed in-memory Set the token endpoint signs with.
//
// Keys come in families (storage.SigningKey.Alg): RSA for RS256 and PS256,
// which every tenant has, and beyond Auth0 P-256 for ES256 and Ed25519 for
// EdDSA, made when an API first chooses them. Each family has its own
// next/current/previous keys and kids; Rotate rotates them all together.
//
// A rotated-out key stays in the JWKS until every token it may have signed
// has expired (its current_until plus the longest token lifetime an API may
// choose), so tokens issued before a rotation or a restart keep verifying.
// Signing goes through crypto.Signer and one compact-JWS writer (jws.go),
// so the backend (crypto/rsa, or OpenSSL) changes nothing in the tokens. Signers chooses the backend (--signer go|openssl|auto) and keeps
// one signer per kid across the catalog's rebuilds, so a key is handed to
// OpenSSL and self-tested once, not every minute.
package keys
