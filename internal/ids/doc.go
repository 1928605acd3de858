// Package ids makes identifiers and secrets in the formats Auth0 uses, so
// clients and SDKs that validate their shape accept them: 32-character
// client ids, 64-character client secrets, 24-hex resource server ids,
// "cgr_" client grant ids and 26-character ULIDs for hooks. Randomness is
// injected (crypto/rand in production).
package ids
