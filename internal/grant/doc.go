// Package grant is the POST /oauth/token pipeline. Endpoint.ServeHTTP
// parses the body once and picks the grant; Endpoint.run then runs the
// phases every grant shares: authenticate the client → the grant type
// enabled on it → the grant's own parameters → the audience → the grant's
// own authorization → the point's hook → mint → write. A grant file
// (client_credentials.go, password.go) holds only its parameter checks and
// its authorization, so no grant can skip a shared phase.
//
// Every failure is an *oauth.Error written by oauth.WriteError; every
// outcome is counted in metrics, and every outcome of a known grant type is
// recorded as a tenant log event.
//
// Reads come from the catalog snapshot, never from the database (the
// password grants read their one user), so a warm request costs little more
// than its signature.
package grant
