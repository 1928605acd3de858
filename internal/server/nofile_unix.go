//go:build unix

package server

import "syscall"

// fileLimit is the process's open-file limit (RLIMIT_NOFILE, soft: what
// open and accept fail against; the Go runtime raises it to the hard limit
// at start-up), or 0 when unknown.
func fileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}
