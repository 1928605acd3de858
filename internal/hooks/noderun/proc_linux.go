package noderun

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// setProcAttr makes the kernel kill a runner when the server dies, so no
// worker outlives it, and gives it its own process group.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// batchScheduling puts a started runner's threads under Linux's
// SCHED_BATCH policy, as the embedded engine's workers run
// (internal/hooks/jsvm): a runner woken by a run frame does not preempt a
// thread that is signing a token; it runs at the next scheduling point,
// often for several queued executions, whose answers then share one write.
// An idle CPU still runs it at once. Called once the runner is ready, when
// Node's own threads exist; threads it starts later (libuv's pool) inherit
// the policy from the thread that starts them. Lowering the policy of one's
// own child needs no privilege; on failure a thread keeps the default.
func batchScheduling(pid int) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		// Only the policy changes: the thread's nice value stays (raising it
		// back would need a privilege).
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			continue
		}
		attr.Policy = unix.SCHED_BATCH
		_ = unix.SchedSetAttr(tid, attr, 0)
	}
}
