package server

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/noderun"
	"github.com/tokenhook/tokenhook/internal/npm"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// newTrees prepares <data dir>/npm, where hooks' dependency trees live,
// and keeps the trees the tenant's hooks name installed on this machine:
// at start-up and whenever hooks change (here or on another replica), in
// the background, from the lockfiles in the database.
func newTrees(life context.Context, cfg config.Config, store storage.Storage, runner *hooks.Runner, acts *actions.Runner, log *slog.Logger, now func() time.Time) (*npm.Trees, error) {
	dir := cfg.DataDir
	if dir == "" {
		// PostgreSQL with the master key from the environment needs no
		// data directory otherwise; trees are a cache, so the user's
		// cache directory will do.
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "tokenhook")
	}
	inst, err := npm.New(npm.Options{Dir: filepath.Join(dir, "npm"), Registry: cfg.NPMRegistry})
	if err != nil {
		return nil, err
	}
	trees := npm.NewTrees(life, inst, store, cfg.Tenant, log, now)
	runner.Modules = trees // before keepTrees warms hooks through the runner
	changes := store.Subscribe(life)
	go keepTrees(life, store, cfg.Tenant, trees, runner, acts, changes, log)
	return trees, nil
}

// keepTrees keeps the dependency trees of the tenant's hooks and bound
// Actions installed and its enabled Node hooks and bound Node Actions
// warm, at start-up and after every change of hooks or Actions (here or
// on another replica, which built the tree there).
func keepTrees(life context.Context, store storage.Storage, tenant string, trees *npm.Trees, runner *hooks.Runner, acts *actions.Runner, changes <-chan storage.Change, log *slog.Logger) {
	prepare := func() {
		list, _, err := store.ListHooks(life, tenant, storage.HookFilter{}, storage.Page{})
		if err != nil {
			if life.Err() == nil {
				log.Warn("listing hooks to install their dependencies", "error", err.Error())
			}
			return
		}
		for _, h := range list {
			trees.Prepare(h.Modules)
			if h.Enabled && h.Runtime == storage.RuntimeNode {
				go warmHook(life, trees, runner, h, log)
			}
		}
	}
	prepareActions := func() {
		list, err := store.ListBoundActions(life, tenant)
		if err != nil {
			if life.Err() == nil {
				log.Warn("listing bound Actions to install their dependencies", "error", err.Error())
			}
			return
		}
		for _, ba := range list {
			trees.Prepare(ba.Version.Modules)
			if ba.Version.Engine == storage.RuntimeNode {
				go warmAction(life, trees, acts, ba, log)
			}
		}
	}
	prepare()
	prepareActions()
	for c := range changes {
		resync := c.Kind == storage.KindResync
		if resync || (c.Tenant == tenant && c.Kind == "hooks") {
			prepare()
		}
		if resync || (c.Tenant == tenant && c.Kind == "actions") {
			prepareActions()
		}
	}
}

// warmAction is warmHook for a bound Action's deployed version.
func warmAction(life context.Context, trees *npm.Trees, acts *actions.Runner, ba storage.BoundAction, log *slog.Logger) {
	if ba.Version.Modules != "" {
		if err := trees.Wait(life, ba.Version.Modules); err != nil {
			return // the token path reports the missing tree
		}
	}
	if err := acts.Warm(life, ba); err != nil && life.Err() == nil {
		log.Warn("starting a Node Action ahead of its first token", "action", ba.ActionName, "error", err.Error())
	}
}

// warmHook starts an enabled Node hook's worker once its dependency tree
// is installed, so that the first token after a save or a start does not
// wait for Node to start and load the module. Warming an already warm
// hook costs nothing: the runtime reuses its worker.
func warmHook(life context.Context, trees *npm.Trees, runner *hooks.Runner, h storage.Hook, log *slog.Logger) {
	if h.Modules != "" {
		if err := trees.Wait(life, h.Modules); err != nil {
			return // the token path reports the missing tree
		}
	}
	if err := runner.Warm(life, h.TriggerID, hooks.ScriptOf(h)); err != nil && life.Err() == nil {
		log.Warn("starting a Node hook ahead of its first token", "hook", h.Name, "error", err.Error())
	}
}

// nodeAvailable says whether hooks that need Node.js can run here: the
// runner has its Node.js engine, or why not.
func nodeAvailable(runner *hooks.Runner, node string) func() error {
	return func() error {
		if runner.Node != nil {
			return nil
		}
		if _, err := noderun.Find(node); err != nil {
			return err
		}
		return errors.New("the Node.js runtime was not started on this server")
	}
}

// nodeCheck compiles a script with the runner's Node.js engine for the
// save-time check of hooks that run on Node; like nodeAvailable, it reads
// the runner's engine at each save.
func nodeCheck(runner *hooks.Runner) func(context.Context, string) error {
	return func(ctx context.Context, script string) error {
		n, ok := runner.Node.(interface {
			Check(context.Context, string) error
		})
		if !ok {
			return errors.New("the Node.js runtime was not started on this server")
		}
		return n.Check(ctx, script)
	}
}
