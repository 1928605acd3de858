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

func testPool(t testing.TB, opts sandbox.Options) sandbox.Engine {
	t.Helper()
	opts.Command = []string{os.Args[0]}
	e, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
