//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "tokenhook-bench: runs on Linux only (it reads the server's CPU time from /proc)")
	os.Exit(2)
}
