package jsvm

import (
	"os"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestMain doubles as the worker binary: the pool tests start this test
// binary again with workerTestEnv set, and it then serves the protocol.
func TestMain(m *testing.M) {
	if os.Getenv(workerTestEnv) == "1" {
		if err := ServeWorker(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString("worker: " + err.Error() + "\n")
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Setenv(workerTestEnv, "1")
	os.Exit(m.Run())
}

var (
	sharedPoolOnce sync.Once
	sharedPool     sandbox.Engine
	sharedPoolErr  error
)

// testPool starts a worker pool for a test. Under -short (make test-unit) it
// skips the test: every worker is a new process of this test binary, and
// the pool's limits (memory kills, hostile scripts) take seconds to show.
// TestPoolSemantics keeps one pool in the fast loop through startPool.
func testPool(t testing.TB, opts sandbox.Options) sandbox.Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the worker pool's own tests run in make test")
	}
	return startPool(t, opts)
}

// startPool starts a worker pool whatever the test mode.
func startPool(t testing.TB, opts sandbox.Options) sandbox.Engine {
	t.Helper()
	opts.Command = []string{os.Args[0]}
	e, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
