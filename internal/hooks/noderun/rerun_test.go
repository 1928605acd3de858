package noderun

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// gateStorage is a sandbox.Storage whose first Get blocks until released:
// an execution in flight, waiting on the host, while another runs.
type gateStorage struct {
	reached chan struct{}
	release chan struct{}
	gets    chan struct{} // one token per Get
}

func (g *gateStorage) Get(ctx context.Context) (json.RawMessage, string, error) {
	select {
	case g.gets <- struct{}{}:
		g.reached <- struct{}{}
		select {
		case <-g.release:
		case <-ctx.Done():
		}
	default: // later Gets (the re-run) answer at once
	}
	return json.RawMessage(`{"ok":1}`), "1", nil
}

func (g *gateStorage) Set(context.Context, json.RawMessage, string, bool) (string, error) {
	return "", errors.New("read only")
}

// TestMemoryKillRerunsInnocentAlone (issue 12 item 11): two executions of
// one hook version share its warm worker; one blows the memory while the
// other waits on the host. Node cannot say which filled the process, so
// both run once more, each alone on a fresh worker: the bomb dies again
// and fails with ErrMemory, the innocent one answers. Before, the oldest
// execution in flight (the innocent) was blamed and the other got
// ErrCrashed.
func TestMemoryKillRerunsInnocentAlone(t *testing.T) {
	for name, bomb := range map[string]string{
		"heap":     `const k = []; for (;;) k.push('x'.repeat(1 << 20) + k.length);`,
		"watchdog": `const k = []; setInterval(() => { for (let i = 0; i < 16; i++) k.push(Buffer.alloc(1 << 20, 1)); }, 1);`,
		"crash":    `process.abort();`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, Options{Options: sandbox.Options{MemoryLimit: 64 << 20}})
			script := `let runs = 0;
module.exports = (client, scope, audience, context, cb) => {
  runs++;
  if (client.bomb) { ` + bomb + ` return; }
  context.webtask.storage.get((err, data) => cb(err, {data, runs}));
};`
			gate := &gateStorage{reached: make(chan struct{}, 1), release: make(chan struct{}), gets: make(chan struct{}, 1)}
			inv := func(bomb bool) sandbox.Invocation {
				return sandbox.Invocation{Script: script, ScriptKey: "k", Timeout: 20 * time.Second, Storage: gate,
					Args: args(map[string]any{"bomb": bomb}, nil, "a", map[string]any{}), ContextArg: 3}
			}
			type result struct {
				out sandbox.Outcome
				err error
			}
			innocent := make(chan result, 1)
			go func() {
				out, err := e.Run(context.Background(), inv(false), nil)
				innocent <- result{out, err}
			}()
			select {
			case <-gate.reached:
			case <-time.After(20 * time.Second):
				t.Fatal("the innocent execution never reached storage")
			}
			_, err := e.Run(context.Background(), inv(true), nil)
			want := sandbox.ErrMemory
			if name == "crash" {
				want = sandbox.ErrCrashed
			}
			if !errors.Is(err, want) {
				t.Fatalf("the bomb: %v, want %v", err, want)
			}
			close(gate.release)
			r := <-innocent
			if r.err != nil || r.out.Err != nil {
				t.Fatalf("the innocent execution: %v %v", r.err, r.out.Err)
			}
			// It answered from a fresh process of its own (runs starts over).
			if got := string(r.out.Response); got != `{"data":{"ok":1},"runs":1}` {
				t.Fatalf("the innocent execution answered %s", got)
			}
			// The hook's warm worker serves the next token.
			out, err := e.Run(context.Background(), inv(false), nil)
			if err != nil || out.Err != nil || string(out.Response) != `{"data":{"ok":1},"runs":1}` {
				t.Fatalf("next: %s %v %v", out.Response, err, out.Err)
			}
		})
	}
}
