//go:build !linux

package noderun

import "os/exec"

func setProcAttr(cmd *exec.Cmd) {}
