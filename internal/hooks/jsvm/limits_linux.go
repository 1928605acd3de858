package jsvm

import "golang.org/x/sys/unix"

// IsolationGaps lists what worker isolation lacks on this system, for the
// server to say at start-up: nothing on Linux.
func IsolationGaps() []string { return nil }

// limitWorker sets RLIMIT_DATA on a started worker. The Go runtime reserves
// address space without writing to it, so RLIMIT_AS would break its start-up;
// RLIMIT_DATA counts only writable private mappings, i.e. what the heap
// actually commits. A single huge allocation (`'x'.repeat(2**30)`) is then
// refused at once and the worker dies with "out of memory" instead of growing
// until the watchdog notices. Twice the limit leaves room for the runtime's
// own overheads; the RSS watchdog enforces the limit itself. A race-detector
// build (tests only) sets none: its shadow mappings count as data, and the
// worker would die at start (exit status 66) before serving anything.
func limitWorker(pid int, limit int64) {
	if raceDetector {
		return
	}
	l := uint64(limit) * 2
	_ = unix.Prlimit(pid, unix.RLIMIT_DATA, &unix.Rlimit{Cur: l, Max: l}, nil)
}
