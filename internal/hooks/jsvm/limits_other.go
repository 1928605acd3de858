//go:build !linux

package jsvm

// Outside Linux the worker processes still separate hooks from the server
// and the deadline still kills a worker, but the memory limit rests on
// /proc and setrlimit(RLIMIT_DATA) and the scheduling policy on
// SCHED_BATCH, which these systems lack.

// IsolationGaps lists what worker isolation lacks on this system, for the
// server to say at start-up.
func IsolationGaps() []string {
	return []string{
		"no per-worker memory limit (RLIMIT_DATA and the /proc RSS watchdog are Linux-only; --hook-memory-limit only sets the worker's Go soft limit)",
		"hook workers keep the default scheduling policy (SCHED_BATCH is Linux-only)",
	}
}

func limitWorker(pid int, limit int64) {}

func batchScheduling() {}
