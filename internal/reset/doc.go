// Package reset serves the page a password-change ticket links to
// (POST /api/v2/tickets/password-change, created in internal/mgmt):
// GET /lo/reset?ticket=... answers a form, and its form-encoded POST sets
// the new password under the password policy, uses up the ticket, stores
// the post-change-password execution with the new password (outbox) and
// sends the user to the ticket's result_url. Tickets are single-use and
// expiring, and only their SHA-256 is stored. The form's CSRF token is
// bound to a cookie (double submit), compared in constant time.
//
// Its tests drive the page over HTTP through the whole server, in
// internal/server/reset_test.go, so that they share the server's test binary.
package reset
