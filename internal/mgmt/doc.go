// Package mgmt is the Auth0-compatible Management API, /api/v2 (compat-spec
// §4). It owns the HTTP surface only: bearer authentication and scope checks,
// body and query decoding, Auth0's JSON shapes, status codes and error body.
// Persistence is storage.Storage, key rotation is behind KeyRotator, token
// verification is token.Verifier: all injected through Deps, together with
// the clock and the randomness used for ids and secrets.
//
// Layout: routes.go lists every route with its method, path and scopes;
// each resource lives in one file (clients.go, resource_servers.go, ...)
// with its wire type, its validation and its handlers. Adding a resource is
// one file plus its lines in routes.go and its scopes in scopes.go.
//
// Shared plumbing, each in one place:
//   - auth.go: Authorization: Bearer, audience <issuer>api/v2/, any-of scopes;
//   - errors.go: the only writer of {statusCode, error, message, errorCode};
//   - decode.go: JSON and form bodies decoded strictly (unknown fields are
//     400, as on Auth0), size-limited;
//   - paging.go: page/per_page/include_totals/fields/include_fields.
//
// Where this API is deliberately stricter than Auth0, or guesses at a
// detail Auth0 does not document, it says so at the code. In short:
// client grants may only carry scopes their API defines; a public client
// (token_endpoint_auth_method "none") cannot have client_credentials;
// unsupported values Auth0 would accept (non-OIDC-conformant clients, Auth0
// tenant settings this server does not implement) are a 400 rather than silently ignored, so nobody believes a
// setting took effect; bodies of another media type are a 415. Beyond
// Auth0, a resource server's signing_alg may also be ES256 or EdDSA
// (resource_servers.go): the tenant's P-256 or Ed25519 key, made on first
// use and rotated with the RSA key by POST /keys/signing/rotate. Users
// (users.go): q understands only email:"x" (exact) or a plain substring of
// email, username or name, not Auth0's Lucene syntax; usernames may not
// contain "@" so a login name is never ambiguous; no Gravatar picture is
// made up (nothing about a user is sent to a third party); DELETE of an
// unknown user is a 404 like every other resource here.
//
// Every response carries Cache-Control: no-store: API answers contain
// secrets and must never sit in a shared cache.
package mgmt
