//go:build unix

package jsvm

import (
	"os"
	"syscall"
)

// pollable returns a non-blocking duplicate of a pipe the worker was given
// as a blocking file descriptor (os/exec hands children blocking ends).
// With GOMAXPROCS=1, a read blocked in the kernel holds the worker's only P
// until sysmon takes it back for the goroutine that runs the hook, an extra
// thread hand-off per request; a pollable descriptor parks the reading
// goroutine instead. Anything else is returned as is.
func pollable(v any) any {
	f, ok := v.(*os.File)
	if !ok {
		return v
	}
	raw, err := f.SyscallConn()
	if err != nil {
		return v
	}
	dup := -1
	_ = raw.Control(func(fd uintptr) { dup, _ = syscall.Dup(int(fd)) })
	if dup < 0 {
		return v
	}
	if err := syscall.SetNonblock(dup, true); err != nil {
		syscall.Close(dup)
		return v
	}
	return os.NewFile(uintptr(dup), f.Name())
}
