// Package userinfo serves the OIDC UserInfo endpoint (OpenID Connect Core
// §5.3): an access token whose audience includes <issuer>userinfo (the
// password grant adds it when openid is in the scope) buys the user's
// claims, selected by the token's scopes. Errors follow RFC 6750 §3.
//
// Users are read from storage on every call, so an edit or a block made
// through the Management API shows at once.
//
// Its test, in internal/server/userinfo_test.go, serves the handler on a
// real SQLite store from the server's test binary rather than linking one
// of its own.
package userinfo
