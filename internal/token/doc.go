// Package token mints and verifies JWT access tokens and mints OIDC ID
// tokens. It knows nothing about HTTP: the grant pipeline hands it the
// claims to sign, the Management API hands it bearer tokens to verify.
//
// Minting builds the payload JSON directly and signs it with a cached
// go-jose signer for the tenant's current key, so the only significant
// cost of a token is the signature itself (compat-spec §2.2 lists the
// claims).
package token
