// Package oauth is the protocol vocabulary of /oauth/token: grant type
// names, the *Error value every failure is expressed as (compat-spec §2.3),
// and the one place that writes token and error responses (RFC 6749 §5.1,
// §5.2), with the no-store caching headers both require.
package oauth
