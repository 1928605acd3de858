package noderun

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// MinMajor is the oldest Node.js major version the runtime accepts.
const MinMajor = 18

// ErrUnavailable wraps every reason Node.js cannot run hooks on this
// machine: not installed, not executable, or too old.
var ErrUnavailable = errors.New("Node.js is not available")

// Node is a Node.js executable found on this machine.
type Node struct {
	Path    string // absolute path of the executable
	Version string // as `node --version` prints it, e.g. "v20.11.1"
	Major   int
}

// Find locates Node.js: path names the executable (--node), or "" looks for
// `node` on PATH. The error wraps ErrUnavailable and says why.
func Find(path string) (Node, error) {
	name := path
	if name == "" {
		name = "node"
	}
	abs, err := exec.LookPath(name)
	if err != nil {
		if path == "" {
			return Node{}, fmt.Errorf("%w: no `node` on PATH (install Node.js %d or later, or name it with --node)", ErrUnavailable, MinMajor)
		}
		return Node{}, fmt.Errorf("%w: --node %s: %v", ErrUnavailable, path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, abs, "--version")
	cmd.Env = []string{} // no NODE_OPTIONS from the server's environment
	outb, err := cmd.Output()
	if err != nil {
		return Node{}, fmt.Errorf("%w: %s --version: %v", ErrUnavailable, abs, err)
	}
	v := strings.TrimSpace(string(outb))
	major, err := parseMajor(v)
	if err != nil {
		return Node{}, fmt.Errorf("%w: %s --version printed %q", ErrUnavailable, abs, v)
	}
	if major < MinMajor {
		return Node{}, fmt.Errorf("%w: %s is %s; hooks need Node.js %d or later", ErrUnavailable, abs, v, MinMajor)
	}
	return Node{Path: abs, Version: v, Major: major}, nil
}

func parseMajor(v string) (int, error) {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '.'); i >= 0 {
		v = v[:i]
	}
	return strconv.Atoi(v)
}

// permissionFlag is how this Node version turns its permission model on:
// experimental behind --experimental-permission on 20 and 21, --permission
// from 22. Node 18 and 19 have none ("" then; docs/hooks.md says what that
// leaves).
func (n Node) permissionFlag() string {
	switch {
	case n.Major >= 22:
		return "--permission"
	case n.Major >= 20:
		return "--experimental-permission"
	}
	return ""
}
