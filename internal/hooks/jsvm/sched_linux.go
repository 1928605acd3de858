package jsvm

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// batchScheduling puts every thread of the worker process under Linux's
// SCHED_BATCH policy (threads the Go runtime starts later inherit it). A
// batch thread that wakes up does not preempt the thread running on its
// CPU: on a server whose cores are busy signing tokens, each hook request
// otherwise forced two context switches onto a signing thread and evicted
// its caches. The worker then runs at the next scheduling point instead,
// often for several queued requests at once. An idle CPU still runs it at
// once, so latency is unchanged when there is spare capacity, and a
// runaway script is mildly disfavoured against the token path (figures in
// docs/hooks.md). Lowering one's own policy needs no privilege; failures
// are ignored (the default policy works). Other systems get a no-op
// (limits_other.go).
func batchScheduling() {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_BATCH}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			_ = unix.SchedSetAttr(tid, attr, 0)
		}
	}
}
