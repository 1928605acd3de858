//go:build !unix

package server

// fileLimit is unknown here: the connection budget falls back to its
// default.
func fileLimit() uint64 { return 0 }
