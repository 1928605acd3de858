// Package token mints and verifies JWT access tokens and mints OIDC ID
// tokens. It knows nothing about HTTP: the grant pipeline hands it the
// claims to sign, the Management API hands it bearer tokens to verify.
//
// Minting builds the payload JSON directly and signs it with the cached
// keys.Signer of the tenant's current key, which writes the compact JWS
// itself (keys/jws.go), so the only significant cost of a token is the
// signature (compat-spec §2.2 lists the claims). Verifying parses and
// checks tokens with go-jose.
package token
