// Package dashboard is the web UI for operators: sign-in, sessions, the
// embedded single-page application (source in web/, built into dist/) and
// the few endpoints under /dashboard/api/ that the Management API cannot
// serve itself.
//
// The dashboard implements no rule of its own. Every read and write the
// pages make goes to the same /api/v2 handlers other clients call: a
// signed-in session is one more way to authenticate there
// (mgmt.SessionAuthenticator), holding every Management API scope. The
// only endpoints here are those that exist because a browser is the
// client: sign in and out, read the session (and its CSRF token), and
// "Try it", which gets a token for an application without the operator
// typing its secret — it looks the secret up server-side and runs the real
// token endpoint handler in process.
//
// Security model:
//   - Operators sign in with email and password (bcrypt, sealed at rest).
//     Attempts are throttled per IP and per email in storage (shared by
//     replicas), counted before the compare so concurrency cannot overrun
//     the limit; an unknown email is
//     counted alike and costs the same bcrypt work as a wrong password.
//     Sign-in takes application/json only (no preflight-free form posts).
//   - A session is a random 256-bit id in an HttpOnly, SameSite=Strict
//     cookie (Secure and __Host- prefixed under TLS). Storage keeps only
//     its SHA-256. Sessions end after an idle period and after an absolute
//     lifetime; signing out deletes the row.
//   - Every state-changing request made with the cookie must carry the
//     session's CSRF token in X-CSRF-Token (read from GET
//     /dashboard/api/session, never from a cookie). SameSite=Strict already
//     stops cross-site sends; the token is the second, independent lock.
//   - The pages are served with a Content-Security-Policy that allows only
//     this origin's scripts and styles (no inline script), frame-ancestors
//     'none', and no-store on every API answer.
package dashboard
