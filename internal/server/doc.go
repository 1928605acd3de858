// Package server is the composition root: it opens storage, makes sure the
// tenant has keys and a way in (bootstrap.go), builds the catalog cache,
// the tenant event log, the token endpoint and the Management API, and
// lists every HTTP route in routes.go. Nothing else wires components.
package server
