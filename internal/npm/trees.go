package npm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// LockfileStore is what Trees needs of storage (storage.Storage has it).
type LockfileStore interface {
	PutNPMLockfile(ctx context.Context, tenant, hash string, lockfile []byte) error
	GetNPMLockfile(ctx context.Context, tenant, hash string) ([]byte, error)
}

// State of a tree on this machine.
type State string

const (
	StateReady      State = "ready"      // installed here
	StateInstalling State = "installing" // being installed in the background
	StateFailed     State = "failed"     // the last background install failed (Status says why)
	StateMissing    State = "missing"    // not installed, nothing started yet
)

// RetryAfter is how long a failed background install waits before the next
// request for its tree starts another one.
const RetryAfter = time.Minute

// Trees keeps the trees of one tenant's hooks installed: Install at save
// (recording the lockfile), Dir on the token path (never blocking on npm),
// Prepare at start-up and when the catalog names trees not installed here.
type Trees struct {
	inst   *Installer
	store  LockfileStore
	tenant string
	log    *slog.Logger
	now    func() time.Time
	life   context.Context

	mu    sync.Mutex
	state map[string]*treeState
	// ready remembers trees found installed (hash → dir): Dir is on the
	// token path, and a tree, once in place, is never replaced.
	ready sync.Map
}

type treeState struct {
	done     chan struct{} // closed when the background install ends
	err      error
	failedAt time.Time
}

// NewTrees returns a Trees whose background installs stop when life ends.
func NewTrees(life context.Context, inst *Installer, store LockfileStore, tenant string, log *slog.Logger, now func() time.Time) *Trees {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Trees{inst: inst, store: store, tenant: tenant, log: log, now: now, life: life, state: map[string]*treeState{}}
}

// Installer is the installer Trees runs.
func (t *Trees) Installer() *Installer { return t.inst }

// Install installs deps now (the save path) and stores the lockfile, so
// every replica can install the same tree. Errors are as Installer.Install.
func (t *Trees) Install(ctx context.Context, deps map[string]string) (Tree, error) {
	tree, err := t.inst.Install(ctx, deps)
	if err != nil {
		return Tree{}, err
	}
	if err := t.store.PutNPMLockfile(ctx, t.tenant, tree.Hash, tree.Lockfile); err != nil {
		return Tree{}, fmt.Errorf("npm: storing the lockfile: %w", err)
	}
	t.log.Info("npm dependencies installed", "tree", tree.String())
	return tree, nil
}

// Dir returns the directory of the tree named hash, which holds its
// node_modules. When the tree is not installed here it starts installing
// it in the background (from the stored lockfile) and returns an error
// wrapping ErrNotReady at once: the token path never waits for npm.
func (t *Trees) Dir(hash string) (string, error) {
	if dir, ok := t.installed(hash); ok {
		return dir, nil
	}
	st, err := t.start(hash)
	if st == StateFailed {
		return "", fmt.Errorf("%w: installing tree %.12s failed: %v", ErrNotReady, hash, err)
	}
	return "", fmt.Errorf("%w: tree %.12s is being installed", ErrNotReady, hash)
}

// installed returns the directory of the tree if it is installed here.
func (t *Trees) installed(hash string) (string, bool) {
	if dir, ok := t.ready.Load(hash); ok {
		return dir.(string), true
	}
	tree, ok := t.inst.Lookup(hash)
	if !ok {
		return "", false
	}
	t.ready.Store(hash, tree.Dir)
	return tree.Dir, true
}

// Prepare starts installing, in the background, every named tree not
// installed here yet.
func (t *Trees) Prepare(hashes ...string) {
	for _, h := range hashes {
		if h == "" {
			continue
		}
		if _, ok := t.installed(h); !ok {
			t.start(h)
		}
	}
}

// Status reports the state of the tree named hash, with the error of a
// failed install.
func (t *Trees) Status(hash string) (State, error) {
	if _, ok := t.installed(hash); ok {
		return StateReady, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.state[hash]
	if !ok {
		return StateMissing, nil
	}
	select {
	case <-s.done:
		if s.err != nil {
			return StateFailed, s.err
		}
		return StateReady, nil
	default:
		return StateInstalling, nil
	}
}

// Wait blocks until the background install of hash ends (or ctx does),
// and reports its result. For tests and start-up probes, never the token
// path.
func (t *Trees) Wait(ctx context.Context, hash string) error {
	if _, ok := t.inst.Lookup(hash); ok {
		return nil
	}
	t.start(hash)
	t.mu.Lock()
	s := t.state[hash]
	t.mu.Unlock()
	select {
	case <-s.done:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start begins a background install of hash unless one is running or
// failed less than RetryAfter ago; it reports the state it leaves.
func (t *Trees) start(hash string) (State, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.state[hash]; ok {
		select {
		case <-s.done:
			if s.err == nil {
				return StateReady, nil
			}
			if t.now().Sub(s.failedAt) < RetryAfter {
				return StateFailed, s.err
			}
		default:
			return StateInstalling, nil
		}
	}
	s := &treeState{done: make(chan struct{})}
	t.state[hash] = s
	go t.ensure(hash, s)
	return StateInstalling, nil
}

func (t *Trees) ensure(hash string, s *treeState) {
	err := t.ensureNow(hash)
	t.mu.Lock()
	s.err = err
	if err != nil {
		s.failedAt = t.now()
	}
	close(s.done)
	t.mu.Unlock()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			t.log.Warn("npm dependencies could not be installed", "tree", hash, "error", err.Error())
		}
		return
	}
	t.log.Info("npm dependencies installed from the stored lockfile", "tree", hash)
}

func (t *Trees) ensureNow(hash string) error {
	if !validHash(hash) {
		return fmt.Errorf("npm: %q is not a tree hash", hash)
	}
	lock, err := t.store.GetNPMLockfile(t.life, t.tenant, hash)
	if err != nil {
		return fmt.Errorf("npm: reading the stored lockfile: %w", err)
	}
	_, err = t.inst.Ensure(t.life, hash, lock)
	return err
}
