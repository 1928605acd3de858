// Package grant is the POST /oauth/token pipeline, read top to bottom in
// Endpoint.ServeHTTP: parse the body once → authenticate the client →
// the grant's own authorization (one file per grant) → mint → write.
// Every failure is an *oauth.Error written by oauth.WriteError; every
// outcome is counted in metrics and recorded as a tenant log event.
//
// Reads come from the catalog snapshot, never from the database, so a warm
// request costs little more than its RS256 signature.
package grant
