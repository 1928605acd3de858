package noderun

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill a runner when the server dies, so no
// worker outlives it, and gives it its own process group.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
