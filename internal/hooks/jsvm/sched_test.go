package jsvm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestWorkerThreadsAreBatch: every thread of a worker that has run hooks
// (including threads the runtime started after batchScheduling) runs
// under SCHED_BATCH, policy 3 in /proc/<pid>/task/<tid>/stat.
func TestWorkerThreadsAreBatch(t *testing.T) {
	e := testPool(t, sandbox.Options{Workers: 1, Timeout: 5 * time.Second})
	// Concurrent executions with timers make the worker start more threads.
	src := `module.exports = function (c, s, a, ctx, cb) { setTimeout(function () { cb(null, {}); }, 5); };`
	done := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := e.Run(context.Background(), sandbox.Invocation{Script: src}, nil)
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	pid := e.(*pool).workers[0].current().cmd.Process.Pid
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) < 2 {
		t.Fatalf("worker %d tasks: %v %v", pid, tasks, err)
	}
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread just ended
		}
		// Fields after "pid (comm) "; policy is field 41 of the whole line.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		if policy := f[41-3]; policy != "3" {
			t.Errorf("%s: scheduling policy %s, want 3 (SCHED_BATCH)", path, policy)
		}
	}
}
