// Command tokenhook-bench loads a real tokenhook server on loopback and
// reports tokens/s, latency and the server's CPU per token next to the CPU
// cost of one bare RS256 signature measured in the same run: the floor a
// token cannot go below. `make bench` runs it.
//
// The RS256 signature has two backends (crypto/rsa, and OpenSSL in a
// binary built with -tags openssl), so with -openssl-bin the token
// scenarios run again against that binary started with --signer openssl,
// and each row's floor is the bare signature of its own backend. The bench
// measures OpenSSL's bare signature in-process, so it must itself be
// built with -tags openssl for that column (the Makefile does both).
//
// The hook scenario runs once more against the Go build started with
// --hook-isolation none (rows "go/inproc"): what the worker processes cost.
//
// -run picks scenarios by name, e.g. -run 'hook' for both hook rows.
//
// The ES256 scenario creates an ES256 API and a grant to it through
// /api/v2 and loads client credentials for that API; its floor is a bare
// P-256 signature by crypto/ecdsa, which signs ES256 with either --signer.
package main
