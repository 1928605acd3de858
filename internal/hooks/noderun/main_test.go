package noderun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/egress"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// testDeps are real npm packages the tests install from the registry npm is
// configured for, as hooks declare them on Auth0.
var testDeps = map[string]string{
	"axios":        "0.21.1",
	"jsonwebtoken": "8.5.1",
	"jwks-rsa":     "1.10.1",
	"lodash":       "4.17.21",
	"request":      "2.88.2",
}

var (
	depsOnce sync.Once
	depsDir  string
	depsErr  error
)

// modulesDir installs testDeps once (npm install --ignore-scripts into a
// directory under the system temp dir named by the dependency set, reused by
// later test runs) and returns it. Tests needing it skip without npm.
func modulesDir(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the real npm registry install runs in make test")
	}
	depsOnce.Do(func() {
		npm, err := exec.LookPath("npm")
		if err != nil {
			depsErr = err
			return
		}
		names := make([]string, 0, len(testDeps))
		for n, v := range testDeps {
			names = append(names, n+"@"+v)
		}
		sort.Strings(names)
		sum := sha256.Sum256([]byte(strings.Join(names, ",")))
		dir := filepath.Join(os.TempDir(), "tokenhook-noderun-test-"+hex.EncodeToString(sum[:6]))
		if _, err := os.Stat(filepath.Join(dir, "installed")); err == nil {
			depsDir = dir
			return
		}
		tmp, err := os.MkdirTemp(os.TempDir(), "tokenhook-noderun-install-")
		if err != nil {
			depsErr = err
			return
		}
		pkg, _ := json.Marshal(map[string]any{"name": "hook-deps", "private": true, "dependencies": testDeps})
		if err := os.WriteFile(filepath.Join(tmp, "package.json"), pkg, 0o644); err != nil {
			depsErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			depsErr = fmt.Errorf("npm install: %v\n%s", err, out)
			return
		}
		_ = os.WriteFile(filepath.Join(tmp, "installed"), nil, 0o644)
		if err := os.Rename(tmp, dir); err != nil {
			_ = os.RemoveAll(tmp)
			if _, serr := os.Stat(filepath.Join(dir, "installed")); serr != nil {
				depsErr = err
				return
			}
		}
		depsDir = dir
	})
	if depsErr != nil {
		t.Skipf("npm packages not installable here: %v", depsErr)
	}
	return depsDir
}

// newEngine starts an engine for a test, skipping when Node.js is absent
// and under -short (make test-unit): every Node process start costs seconds
// on a loaded machine.
func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: tests on the real Node.js runtime run in make test")
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	e, err := New(opts)
	if err != nil {
		t.Skipf("Node.js unavailable: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func allowLoopback(t testing.TB) *egress.Policy {
	t.Helper()
	p, err := egress.New([]string{"127.0.0.0/8", "::1/128"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// args encodes each value as one JSON argument.
func args(vals ...any) []json.RawMessage {
	out := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		b, _ := json.Marshal(v)
		out[i] = b
	}
	return out
}

// memStorage is an in-memory sandbox.Storage for the tests: the contract,
// not the server's storage layer.
type memStorage struct {
	mu      sync.Mutex
	data    json.RawMessage
	version int
}

func (m *memStorage) Get(context.Context) (json.RawMessage, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, "", nil
	}
	return m.data, fmt.Sprint(m.version), nil
}

func (m *memStorage) Set(_ context.Context, data json.RawMessage, ifVersion string, force bool) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := ""
	if m.data != nil {
		cur = fmt.Sprint(m.version)
	}
	if !force && ifVersion != cur {
		return "", sandbox.ErrStorageConflict
	}
	m.data = append(json.RawMessage(nil), data...)
	m.version++
	return fmt.Sprint(m.version), nil
}

// logSink collects the lines onLog receives and lets a test wait for one.
type logSink struct {
	mu    sync.Mutex
	lines []sandbox.LogLine
	added chan struct{}
}

func newLogSink() *logSink { return &logSink{added: make(chan struct{}, 1000)} }

func (s *logSink) add(l sandbox.LogLine) {
	s.mu.Lock()
	s.lines = append(s.lines, l)
	s.mu.Unlock()
	select {
	case s.added <- struct{}{}:
	default:
	}
}

func (s *logSink) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.lines))
	for i, l := range s.lines {
		out[i] = l.Text
	}
	return out
}

// waitFor waits until a line containing want arrived.
func (s *logSink) waitFor(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		for _, l := range s.texts() {
			if strings.Contains(l, want) {
				return
			}
		}
		select {
		case <-s.added:
		case <-deadline:
			t.Fatalf("no log line with %q; got %q", want, s.texts())
		}
	}
}

func sandboxInv(script string) sandbox.Invocation {
	return sandbox.Invocation{Script: script, Args: args(1), ContextArg: -1}
}
