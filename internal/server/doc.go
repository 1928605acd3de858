// Package server is the composition root: it opens storage, makes sure the
// tenant has keys and a way in (bootstrap.go), builds the catalog cache,
// the tenant event log, the token endpoint and the Management API, and
// lists every HTTP route in routes.go. Nothing else wires components.
//
// It also owns what sits between the network and the handlers: the
// http.Server's timeouts and header limit, the per-address connection cap
// (listener.go), the process-wide connection budget that sheds the slowest
// clients before file descriptors run out (conn_budget.go), the JSON answer to oversized headers and net/http's own
// error answers, and who the client is behind --trusted-proxies
// (client_ip.go), which it writes into RemoteAddr once so every handler
// reads the same address.
package server
