//go:build !linux

package noderun

import "os/exec"

func setProcAttr(cmd *exec.Cmd) {}

// batchScheduling does nothing: SCHED_BATCH is Linux-only.
func batchScheduling(pid int) {}
