// Package e2e tests tokenhook the way its users meet it: it builds the real
// binary once, starts `tokenhook serve` processes on temporary data
// directories (and on the PostgreSQL server of the machine), and talks to
// them only over HTTP, with real clients such as golang.org/x/oauth2.
package e2e
