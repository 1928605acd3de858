// Package servertest runs the real tokenhook server inside a test: the
// whole handler tree from server.New on a real SQLite database in a
// temporary directory, served by Server.Serve on a loopback port, with
// hooks on the in-process engine and a clock the test steps. Tests of the
// token endpoint, /userinfo, the dashboard sessions and the Management API
// use it instead of the real binary, so they run in the edit-test loop
// (`make test-unit`) and never wait out real time; internal/e2e keeps what
// needs the binary (signals, worker processes, TLS, the CLI, replicas, the
// browser).
package servertest
