package jsvm

import (
	"github.com/tokenhook/tokenhook/internal/egress"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"

	"container/list"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// Bounds of the per-process runtime cache. A runtime costs roughly 100-300 KiB
// once warm; these keep a worker's baseline well under its memory limit.
const (
	maxCachedScripts     = 128
	maxIdlePerScript     = 8
	maxIdleRuntimesTotal = 256
)

// executor is the engine core shared by in-process mode and the worker: a
// cache of compiled scripts keyed by their exact source, each holding idle
// runtimes bound to that script only. Binding a runtime to one script version
// is the isolation: whatever a script leaves on its globals or on built-in
// prototypes is only ever seen by later runs of the very same source.
type executor struct {
	mu      sync.Mutex
	scripts map[string]*scriptEntry
	lru     list.List // of *scriptEntry, most recently used at the front
	idle    int       // idle runtimes over all scripts
	// egress is the outbound policy of fetch; set before the first run.
	egress *egress.Policy
}

type scriptEntry struct {
	src  string
	once sync.Once
	prog *goja.Program
	err  error
	vms  []*vmState
	elem *list.Element
	// evicted is set (under executor.mu) when the entry leaves the cache, so
	// a scriptRef still pointing at it looks the source up again.
	evicted bool
}

func newExecutor() *executor {
	return &executor{scripts: make(map[string]*scriptEntry), egress: egress.Default()}
}

// scriptRef names a script for the executor and remembers the entry it was
// last found under, so that a worker running the same script again skips
// hashing the whole source in the scripts map. se is guarded by executor.mu.
type scriptRef struct {
	src string
	se  *scriptEntry
}

// acquire returns the entry for ref's script and an idle runtime, or nil when
// a new one must be built. The lock is never held while JavaScript runs.
func (e *executor) acquire(ref *scriptRef) (*scriptEntry, *vmState) {
	e.mu.Lock()
	se := ref.se
	if se == nil || se.evicted {
		se = e.lookup(ref.src)
		ref.se = se
	} else {
		e.lru.MoveToFront(se.elem)
	}
	var v *vmState
	if n := len(se.vms); n > 0 {
		v = se.vms[n-1]
		se.vms[n-1] = nil
		se.vms = se.vms[:n-1]
		e.idle--
	}
	e.mu.Unlock()
	se.once.Do(func() { se.prog, se.err = compileModule(se.src) })
	return se, v
}

// lookup finds or creates the entry for script; e.mu is held.
func (e *executor) lookup(script string) *scriptEntry {
	se, ok := e.scripts[script]
	if !ok {
		se = &scriptEntry{src: script}
		e.scripts[script] = se
		se.elem = e.lru.PushFront(se)
		for e.lru.Len() > maxCachedScripts {
			e.evict(e.lru.Back().Value.(*scriptEntry))
		}
	} else {
		e.lru.MoveToFront(se.elem)
	}
	return se
}

func (e *executor) evict(se *scriptEntry) {
	e.lru.Remove(se.elem)
	delete(e.scripts, se.src)
	se.evicted = true
	e.idle -= len(se.vms)
	se.vms = nil
}

func (e *executor) release(se *scriptEntry, v *vmState) {
	if v.broken {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.scripts[se.src] != se || len(se.vms) >= maxIdlePerScript {
		return
	}
	for e.idle >= maxIdleRuntimesTotal {
		// Drop idle runtimes of the least recently used script first.
		back := e.lru.Back()
		for back != nil && len(back.Value.(*scriptEntry).vms) == 0 {
			back = back.Prev()
		}
		if back == nil {
			return
		}
		old := back.Value.(*scriptEntry)
		old.vms[0] = nil
		old.vms = old.vms[1:]
		e.idle--
	}
	se.vms = append(se.vms, v)
	e.idle++
}

// run executes one invocation on the calling goroutine.
func (e *executor) run(ctx context.Context, script *scriptRef, args []json.RawMessage, timeout time.Duration, maxResp int, onLog func(sandbox.LogLine)) (sandbox.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return sandbox.Outcome{}, err
	}
	se, v := e.acquire(script)
	if se.err != nil {
		return sandbox.Outcome{}, se.err
	}
	if v == nil {
		v = newVMState()
	}
	out, err := v.execute(ctx, se.prog, args, timeout, maxResp, onLog)
	e.release(se, v)
	return out, err
}
