package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultMaxBytes bounds one installed tree (issue 13: "say 64 MB per
// tree"); Options.MaxBytes overrides it.
const DefaultMaxBytes = 64 << 20

// DefaultTimeout bounds one npm run.
const DefaultTimeout = 5 * time.Minute

// Tree is one installed dependency tree.
type Tree struct {
	Hash     string // content hash of the resolved set; names the directory
	Dir      string // <data dir>/npm/<hash>; holds node_modules
	Lockfile []byte // package-lock.json as npm wrote it
	// Resolved is the installed version of each direct dependency.
	Resolved map[string]string
}

// Options configures an Installer.
type Options struct {
	// Dir is where trees live: <data dir>/npm. Created if missing.
	Dir string
	// NPM is the npm command; empty means "npm" on PATH.
	NPM string
	// Registry, when set, is passed as --registry (--npm-registry);
	// otherwise npm uses what the machine's configuration says.
	Registry string
	// Cache, when set, is npm's download cache (npm_config_cache); empty
	// keeps npm's own (~/.npm/_cacache).
	Cache string
	// MaxBytes bounds a tree; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds one npm run; 0 means DefaultTimeout.
	Timeout time.Duration
	// Env, when set, replaces the environment npm runs with (tests);
	// nil means this process's environment, so HOME and its .npmrc apply.
	Env []string
}

// Installer runs npm. It is safe for concurrent use; at most two npm
// processes run at a time, because each is a large Node process.
type Installer struct {
	o   Options
	sem chan struct{}
}

// New prepares the trees directory and removes what an interrupted install
// left behind (temporary directories are never used as trees).
func New(o Options) (*Installer, error) {
	if o.Dir == "" {
		return nil, errors.New("npm: Options.Dir is required")
	}
	if o.NPM == "" {
		o.NPM = "npm"
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("npm: trees directory: %w", err)
	}
	if stale, err := filepath.Glob(filepath.Join(o.Dir, tmpPrefix+"*")); err == nil {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}
	return &Installer{o: o, sem: make(chan struct{}, 2)}, nil
}

// MaxBytes is the size limit of one tree.
func (i *Installer) MaxBytes() int64 { return i.o.MaxBytes }

const tmpPrefix = ".tmp-"

// Lookup returns the tree named hash if it is installed here.
func (i *Installer) Lookup(hash string) (Tree, bool) {
	if !validHash(hash) {
		return Tree{}, false
	}
	dir := filepath.Join(i.o.Dir, hash)
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return Tree{}, false
	}
	l, err := parseLockfile(lock)
	if err != nil {
		return Tree{}, false
	}
	return Tree{Hash: hash, Dir: dir, Lockfile: lock, Resolved: l.direct()}, true
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Install resolves and installs deps (name → version or range). Failures
// the user can act on are *Error. The tree is complete and checked when
// Install returns it; on any error nothing is left behind.
func (i *Installer) Install(ctx context.Context, deps map[string]string) (Tree, error) {
	if len(deps) == 0 {
		return Tree{}, errors.New("npm: nothing to install")
	}
	if err := Validate(deps); err != nil {
		return Tree{}, err
	}
	manifest, err := json.MarshalIndent(map[string]any{
		"name": manifestName, "version": "0.0.0", "private": true, "dependencies": deps,
	}, "", "  ")
	if err != nil {
		return Tree{}, err
	}
	return i.build(ctx, manifest, nil, "install", "")
}

// Ensure installs the tree a stored lockfile describes with npm ci, which
// installs exactly the lockfile's versions and never resolves again. An
// installed tree is returned at once.
func (i *Installer) Ensure(ctx context.Context, hash string, lock []byte) (Tree, error) {
	if t, ok := i.Lookup(hash); ok {
		return t, nil
	}
	l, err := parseLockfile(lock)
	if err != nil {
		return Tree{}, err
	}
	if got := l.hash(); got != hash {
		return Tree{}, fmt.Errorf("npm: stored lockfile hashes to %s, not %s", got, hash)
	}
	manifest, err := l.manifest()
	if err != nil {
		return Tree{}, err
	}
	return i.build(ctx, manifest, lock, "ci", hash)
}

// build runs npm in a fresh temporary directory, checks the result and
// renames it into place.
func (i *Installer) build(ctx context.Context, manifest, lock []byte, verb, wantHash string) (Tree, error) {
	tmp, err := os.MkdirTemp(i.o.Dir, tmpPrefix)
	if err != nil {
		return Tree{}, fmt.Errorf("npm: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), manifest, 0o600); err != nil {
		return Tree{}, fmt.Errorf("npm: %w", err)
	}
	if lock != nil {
		if err := os.WriteFile(filepath.Join(tmp, "package-lock.json"), lock, 0o600); err != nil {
			return Tree{}, fmt.Errorf("npm: %w", err)
		}
	}
	if err := i.run(ctx, tmp, verb); err != nil {
		return Tree{}, err
	}
	written, err := os.ReadFile(filepath.Join(tmp, "package-lock.json"))
	if err != nil {
		return Tree{}, fmt.Errorf("npm: %s wrote no lockfile: %w", verb, err)
	}
	l, err := parseLockfile(written)
	if err != nil {
		return Tree{}, err
	}
	hash := l.hash()
	if wantHash != "" && hash != wantHash {
		return Tree{}, fmt.Errorf("npm: npm ci installed %s, not the stored %s", hash, wantHash)
	}
	if err := checkNative(tmp, l); err != nil {
		return Tree{}, err
	}
	size, err := treeSize(tmp, i.o.MaxBytes)
	if err != nil {
		return Tree{}, fmt.Errorf("npm: measuring the tree: %w", err)
	}
	if size > i.o.MaxBytes {
		return Tree{}, i.tooBig()
	}
	dir := filepath.Join(i.o.Dir, hash)
	// The tree becomes visible in one step; a concurrent build of the same
	// set may have won the race, and its tree is the same one.
	if err := os.Rename(tmp, dir); err != nil {
		if _, ok := i.Lookup(hash); !ok {
			return Tree{}, fmt.Errorf("npm: moving the tree into place: %w", err)
		}
	}
	return Tree{Hash: hash, Dir: dir, Lockfile: written, Resolved: l.direct()}, nil
}

func (i *Installer) run(ctx context.Context, dir, verb string) error {
	select {
	case i.sem <- struct{}{}:
		defer func() { <-i.sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, i.o.Timeout)
	defer cancel()
	args := []string{verb,
		"--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier",
		"--no-bin-links", "--no-progress", "--loglevel=error",
		"--package-lock=true", "--omit=dev",
	}
	if verb == "ci" {
		// The lockfile pins every package by integrity, so a cached
		// tarball is exactly the one wanted: no need to ask the registry.
		args = append(args, "--prefer-offline")
	}
	if i.o.Registry != "" {
		args = append(args, "--registry", i.o.Registry)
	}
	cmd := exec.CommandContext(ctx, i.o.NPM, args...)
	cmd.Dir = dir
	env := i.o.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(env[:len(env):len(env)], "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
	if i.o.Cache != "" {
		env = append(env, "npm_config_cache="+i.o.Cache)
	}
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
	cmd.Stdout = nil
	cmd.WaitDelay = 5 * time.Second
	// npm is stopped as soon as what it downloaded and unpacked passes the
	// limit, so a huge package cannot fill the disk before the check after
	// the install.
	var tooBig atomic.Bool
	if err := cmd.Start(); err != nil {
		return i.startFailure(verb, err)
	}
	watchDone := make(chan struct{})
	go func() {
		t := time.NewTicker(sizeCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-watchDone:
				return
			case <-t.C:
				if n, _ := treeSize(dir, i.o.MaxBytes); n > i.o.MaxBytes {
					tooBig.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	err := cmd.Wait()
	close(watchDone)
	if tooBig.Load() {
		return i.tooBig()
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &Error{Message: fmt.Sprintf("npm %s did not finish within %s", verb, i.o.Timeout), Unavailable: true}
		}
		return ctx.Err()
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return i.startFailure(verb, err)
	}
	return parseFailure(stderr.String())
}

// sizeCheckEvery is how often a running npm's directory is measured.
const sizeCheckEvery = time.Second

func (i *Installer) startFailure(verb string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return &Error{Message: "npm is not installed on this server (installing hook dependencies needs Node.js and npm)", Unavailable: true}
	}
	return fmt.Errorf("npm: %s: %s", verb, redact(err.Error()))
}

func (i *Installer) tooBig() error {
	return &Error{Message: fmt.Sprintf("the dependencies take more than %d MB installed, over the limit of %d MB per hook's dependency tree", i.o.MaxBytes>>20, i.o.MaxBytes>>20)}
}

// limitedWriter keeps the first n bytes: npm's first lines say what went
// wrong, and a runaway output must not grow without bound.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String is for logs: which tree, never how it was fetched.
func (t Tree) String() string {
	names := make([]string, 0, len(t.Resolved))
	for n, v := range t.Resolved {
		names = append(names, n+"@"+v)
	}
	return t.Hash[:min(12, len(t.Hash))] + " (" + strings.Join(names, ", ") + ")"
}
