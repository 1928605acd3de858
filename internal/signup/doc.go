// Package signup is the Authentication API's database signup,
// POST /dbconnections/signup (compat-spec §3.7): it checks the request,
// applies the password policy, runs the tenant's pre-user-registration
// hook, stores the user and answers in Auth0's shape. Its errors use the
// Authentication API's {name, code, description, statusCode} body, not the
// OAuth error shape of /oauth/token.
//
// Its tests drive the endpoint over HTTP through the whole server, in
// internal/server/signup_test.go and signup_hook_test.go, so that they share
// the server's test binary.
package signup
