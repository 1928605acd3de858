package mgmt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/npm"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// An Action's build is real: code without dependencies is built when it
// is saved; code with npm dependencies is saved "pending" and npm installs
// them in the background, off the request (Auth0's status goes pending →
// building → built | failed the same way), under the server's lifetime.
// The engine (embedded or Node.js) is chosen from the code as hooks choose
// theirs at save.

// buildPlan is what saving code decides about its build.
type buildPlan struct {
	engine string
	// modules is a tree already installed for the same dependencies,
	// reused without asking npm.
	modules string
	// background: npm must install the dependencies first.
	background bool
}

// apply records the plan on the draft being saved.
func (p buildPlan) apply(act *storage.Action, now time.Time) {
	act.Engine, act.BuildError = p.engine, ""
	if p.background {
		act.Status, act.Modules, act.BuiltAt = storage.ActionPending, "", time.Time{}
		return
	}
	act.Status, act.Modules, act.BuiltAt = storage.ActionBuilt, p.modules, now
}

func dependencyMap(deps []storage.ActionDependency) map[string]string {
	out := make(map[string]string, len(deps))
	for _, d := range deps {
		out[d.Name] = d.Version
	}
	return out
}

// validateNPM checks dependency names and versions as npm will read them
// (registry packages only), before anything is saved.
func validateNPM(deps []storage.ActionDependency) error {
	var e *npm.Error
	if err := npm.Validate(dependencyMap(deps)); errors.As(err, &e) {
		return errBodyOn("dependencies", "%s", e.Error())
	} else if err != nil {
		return err
	}
	return nil
}

// checkActionCode refuses code that does not compile, naming the line and
// column, as hooks do at save: the embedded parser judges first, and
// Node's own compiler has the last word when the server has Node: code
// only Node parses (for await, the RegExp d and v flags) then runs there
// (planBuild).
func (a *API) checkActionCode(ctx context.Context, code string, deps []storage.ActionDependency) error {
	err := hooks.Check(code)
	var ce *sandbox.CompileError
	if errors.As(err, &ce) && a.d.CheckNode != nil && (runsOnNode(code, dependencyMap(deps)) || a.d.NodeAvailable == nil || a.d.NodeAvailable() == nil) {
		if nodeErr := a.d.CheckNode(ctx, code); nodeErr == nil || errors.As(nodeErr, &ce) {
			err = nodeErr
		}
	}
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Line > 0 {
		return errBodyOn("code", "Code does not compile: line %d, column %d: %s", ce.Line, ce.Column, ce.Message)
	}
	return errBodyOn("code", "Code does not compile: %s", ce.Message)
}

// planBuild decides the engine of code with deps and whether npm must run.
// prev, when set, is the draft being edited: its installed tree is reused
// when the wanted set did not change.
func (a *API) planBuild(code string, deps []storage.ActionDependency, prev *storage.Action) (buildPlan, error) {
	wanted, err := npm.Wanted(code, dependencyMap(deps))
	var e *npm.Error
	if errors.As(err, &e) {
		return buildPlan{}, errBodyOn("dependencies", "%s", e.Error())
	}
	if err != nil {
		return buildPlan{}, err
	}
	choice := npm.ChooseRuntime(code, wanted, jsvm.HasModule)
	plan := buildPlan{engine: choice.Runtime}
	if choice.Runtime != storage.RuntimeNode {
		// Actions are written for current Node: one that uses a global the
		// embedded engine lacks (crypto.randomUUID(), structuredClone) or
		// syntax only Node parses (checkActionCode let it through) runs on
		// Node when there is one, else where it can.
		var ce *sandbox.CompileError
		if a.d.NodeAvailable != nil && a.d.NodeAvailable() == nil &&
			(npm.NodeGlobal(code) != "" || a.d.CheckNode != nil && errors.As(hooks.Check(code), &ce)) {
			plan.engine = storage.RuntimeNode
		}
		return plan, nil
	}
	if a.d.NodeAvailable == nil {
		return plan, newErrorf(http.StatusBadRequest, codeInvalidBody, "This action needs Node.js: it %s. This server cannot run Node.js code.", choice.Reason)
	}
	if err := a.d.NodeAvailable(); err != nil {
		return plan, newErrorf(http.StatusBadRequest, codeInvalidBody, "This action needs Node.js: it %s. This server has no usable Node.js (%v), so the action was not saved; code without npm dependencies or Node built-ins runs on the embedded engine.", choice.Reason, err)
	}
	if len(wanted) == 0 {
		return plan, nil
	}
	if a.d.Modules == nil {
		return plan, newError(http.StatusBadRequest, codeInvalidBody, "npm dependencies cannot be installed on this server.")
	}
	if prev != nil && prev.Modules != "" && prev.Status == storage.ActionBuilt {
		if before, err := npm.Wanted(prev.Code, dependencyMap(prev.Dependencies)); err == nil && maps.Equal(before, wanted) {
			if st, _ := a.d.Modules.Status(prev.Modules); st == npm.StateReady {
				plan.modules = prev.Modules
				return plan, nil
			}
		}
	}
	plan.background = true
	return plan, nil
}

// errStaleBuild ends a background build whose draft changed meanwhile:
// the change started a build of its own.
var errStaleBuild = errors.New("mgmt: the action changed during its build")

// sameBuildInput reports whether cur still has the code and dependencies
// a build started from.
func sameBuildInput(cur, started storage.Action) bool {
	return cur.Code == started.Code && slices.Equal(cur.Dependencies, started.Dependencies)
}

// startBuild installs the draft's dependencies in the background and
// records the result: built (Modules, BuiltAt) or failed (BuildError).
func (a *API) startBuild(act storage.Action) {
	a.builds.Add(1)
	a.buildMu.Lock()
	a.building[act.ID]++
	a.buildMu.Unlock()
	go func() {
		defer a.builds.Done()
		defer func() {
			a.buildMu.Lock()
			if a.building[act.ID]--; a.building[act.ID] <= 0 {
				delete(a.building, act.ID)
			}
			a.buildMu.Unlock()
		}()
		if err := a.build(a.d.Life, act); err != nil && !errors.Is(err, errStaleBuild) && !errors.Is(err, storage.ErrNotFound) {
			a.d.Logger.Error("mgmt: action build", "action_id", act.ID, "err", err)
		}
	}()
}

// resumeBuild restarts the build of a draft read as pending or building
// when no build of it runs in this server: the server that started it
// stopped (a restart), or another replica saved it. Reads call it, so an
// interrupted build finishes without the Action being saved again.
func (a *API) resumeBuild(act storage.Action) {
	if act.Status != storage.ActionPending && act.Status != storage.ActionBuilding || a.d.Modules == nil || a.d.Life.Err() != nil {
		return
	}
	a.buildMu.Lock()
	running := a.building[act.ID] > 0
	a.buildMu.Unlock()
	if !running {
		a.startBuild(act)
	}
}

func (a *API) build(ctx context.Context, act storage.Action) error {
	_, err := a.d.Store.UpdateAction(ctx, a.d.Tenant, act.ID, func(cur storage.Action) (storage.Action, error) {
		// Building too: a build resumed after an interruption.
		if !sameBuildInput(cur, act) || cur.Status != storage.ActionPending && cur.Status != storage.ActionBuilding {
			return cur, errStaleBuild
		}
		cur.Status = storage.ActionBuilding
		return cur, nil
	})
	if err != nil {
		return err
	}
	wanted, err := npm.Wanted(act.Code, dependencyMap(act.Dependencies))
	var tree npm.Tree
	if err == nil {
		tree, err = a.d.Modules.Install(ctx, wanted)
	}
	if ctx.Err() != nil {
		// The server is stopping: the draft stays "building" until a
		// server reads it again (resumeBuild).
		return ctx.Err()
	}
	_, uerr := a.d.Store.UpdateAction(ctx, a.d.Tenant, act.ID, func(cur storage.Action) (storage.Action, error) {
		if !sameBuildInput(cur, act) || cur.Status != storage.ActionBuilding {
			return cur, errStaleBuild
		}
		if err != nil {
			cur.Status, cur.BuildError = storage.ActionFailed, buildFailure(err)
			return cur, nil
		}
		cur.Status, cur.Modules, cur.Engine, cur.BuiltAt, cur.BuildError = storage.ActionBuilt, tree.Hash, storage.RuntimeNode, a.d.Now(), ""
		return cur, nil
	})
	return uerr
}

// buildFailure words an install failure for the Action's errors: npm's
// own message when it is one the user can act on.
func buildFailure(err error) string {
	var e *npm.Error
	if errors.As(err, &e) {
		if e.Unavailable {
			return fmt.Sprintf("The dependencies could not be installed (the npm registry did not answer): %s. Save the action again to retry.", e.Error())
		}
		return "The dependencies could not be installed: " + e.Error()
	}
	return "The dependencies could not be installed: " + err.Error()
}

// WaitBuilds waits for the Action builds running in the background (they
// stop early once Deps.Life is done).
func (a *API) WaitBuilds() { a.builds.Wait() }
