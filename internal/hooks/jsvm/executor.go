package jsvm

import (
	"github.com/tokenhook/tokenhook/internal/egress"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"

	"container/list"
	"context"
	"sync"

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
	// extraCAs is the PEM file of CAs fetch trusts besides the system's
	// (sandbox.Options.ExtraCACerts); set before the first run.
	extraCAs string
	netOnce  sync.Once
	net      *netClient
}

type scriptEntry struct {
	key  string // sandbox.Invocation.Key(): warm state is shared under it only
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
	key string // "" = src
	src string
	se  *scriptEntry
}

func (r *scriptRef) cacheKey() string {
	if r.key != "" {
		return r.key
	}
	return r.src
}

// acquire returns the entry for ref's script and an idle runtime, or nil when
// a new one must be built (always for an isolated execution). The lock is
// never held while JavaScript runs.
func (e *executor) acquire(ref *scriptRef, isolated bool) (*scriptEntry, *vmState) {
	e.mu.Lock()
	se := ref.se
	if se == nil || se.evicted {
		se = e.lookup(ref.cacheKey(), ref.src)
		ref.se = se
	} else {
		e.lru.MoveToFront(se.elem)
	}
	var v *vmState
	if n := len(se.vms); n > 0 && !isolated {
		v = se.vms[n-1]
		se.vms[n-1] = nil
		se.vms = se.vms[:n-1]
		e.idle--
	}
	e.mu.Unlock()
	se.once.Do(func() { se.prog, se.err = compileModule(se.src) })
	return se, v
}

// lookup finds or creates the entry for key; e.mu is held.
func (e *executor) lookup(key, src string) *scriptEntry {
	se, ok := e.scripts[key]
	if !ok || se.src != src {
		if ok {
			e.evict(se) // a key reused for another source: never mix them
		}
		se = &scriptEntry{key: key, src: src}
		e.scripts[key] = se
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
	delete(e.scripts, se.key)
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
	if e.scripts[se.key] != se || len(se.vms) >= maxIdlePerScript {
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

// netClient is the HTTP client of fetch, built on first use (a worker
// learns its egress policy from its config frame, before any run).
func (e *executor) netClient() *netClient {
	e.netOnce.Do(func() { e.net = newNetClient(e.egress, e.extraCAs) })
	return e.net
}

// run executes one invocation on the calling goroutine until its answer.
// When the hook left work running, rest is non-nil and must be called (on
// any goroutine) after answering: it runs that work and then returns the
// runtime to the cache. An isolated execution gets a fresh runtime that is
// never cached, so it shares module state with no other execution.
func (e *executor) run(ctx context.Context, script *scriptRef, p *runParams, isolated bool, onLog func(sandbox.LogLine)) (sandbox.Outcome, error, func()) {
	if err := ctx.Err(); err != nil {
		return sandbox.Outcome{}, err, nil
	}
	se, v := e.acquire(script, isolated)
	if se.err != nil {
		return sandbox.Outcome{}, se.err, nil
	}
	if v == nil {
		v = newVMState()
	}
	if p.net == nil {
		p.net = e.netClient()
	}
	out, err, rest := v.execute(ctx, se.prog, p, onLog)
	if rest == nil {
		if !isolated {
			e.release(se, v)
		}
		return out, err, nil
	}
	return out, err, func() {
		rest()
		if !isolated {
			e.release(se, v)
		}
	}
}
