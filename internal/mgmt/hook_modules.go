package mgmt

import (
	"context"
	"errors"
	"maps"
	"net/http"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/npm"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// HookModules installs hooks' npm dependencies (implemented by *npm.Trees).
type HookModules interface {
	// Install resolves and installs deps and records the lockfile; a
	// failure the user can act on is an *npm.Error.
	Install(ctx context.Context, deps map[string]string) (npm.Tree, error)
	// Status says whether a tree is installed on this machine.
	Status(hash string) (npm.State, error)
}

// hookCode is what saving code decides beyond Auth0's fields: the runtime
// and, for dependencies, the installed tree.
type hookCode struct {
	Runtime  string
	Modules  string
	Resolved map[string]string
}

// errModules turns an installation failure into the Management API's
// answer: npm's message as a 400 for what the request asked (unknown
// package or version, a native package, over the size limit), a 503 when
// the registry could not be reached.
func errModules(err error) error {
	var e *npm.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Unavailable {
		return newErrorf(http.StatusServiceUnavailable, "temporarily_unavailable", "The hook's dependencies could not be installed now (the npm registry did not answer); the hook was not saved. %s", e.Error())
	}
	return newErrorf(http.StatusBadRequest, codeInvalidBody, "The hook's dependencies could not be installed, so the hook was not saved: %s", e.Error())
}

// prepareCode chooses the runtime of script with its declared
// dependencies and installs what it needs, before anything is saved: a
// failure leaves the stored hook (and what runs) as it was. prev, when
// set, is the hook being edited: its tree is reused without asking npm
// when the wanted set did not change and the tree is installed here.
func (a *API) prepareCode(ctx context.Context, script string, declared map[string]string, prev *storage.Hook) (hookCode, error) {
	wanted, err := npm.Wanted(script, declared)
	if err != nil {
		return hookCode{}, errModules(err)
	}
	choice := npm.ChooseRuntime(script, wanted, jsvm.HasModule)
	// validateScript let through a script the embedded parser refuses only
	// because Node parses it (for await, written for Node 12): it runs on
	// Node rather than being refused.
	var ce *sandbox.CompileError
	if choice.Runtime == storage.RuntimeEmbedded && a.d.CheckNode != nil && errors.As(hooks.Check(script), &ce) {
		choice = npm.Choice{Runtime: storage.RuntimeNode, Reason: "uses syntax the embedded engine does not parse (" + ce.Message + ")"}
	}
	out := hookCode{Runtime: choice.Runtime}
	if choice.Runtime != storage.RuntimeNode {
		// A hook using what the embedded engine has only in part or not at
		// all (Intl beyond en-US, structuredClone, the Web Crypto global)
		// runs on Node when there is one, as Actions do, else embedded.
		if npm.NodeGlobal(script) != "" && a.d.NodeAvailable != nil && a.d.NodeAvailable() == nil {
			out.Runtime = storage.RuntimeNode
		}
		return out, nil
	}
	if a.d.NodeAvailable == nil {
		return out, newErrorf(http.StatusBadRequest, codeInvalidBody, "This hook needs Node.js: it %s. This server cannot run Node.js hooks.", choice.Reason)
	}
	if err := a.d.NodeAvailable(); err != nil {
		return out, newErrorf(http.StatusBadRequest, codeInvalidBody, "This hook needs Node.js: it %s. This server has no usable Node.js (%v), so the hook was not saved; hooks without npm dependencies or Node built-ins still run on the embedded engine.", choice.Reason, err)
	}
	if len(wanted) == 0 {
		return out, nil
	}
	if prev != nil && prev.Modules != "" && a.d.Modules != nil {
		if before, err := npm.Wanted(prev.Script, prev.Dependencies); err == nil && maps.Equal(before, wanted) {
			if st, _ := a.d.Modules.Status(prev.Modules); st == npm.StateReady {
				out.Modules, out.Resolved = prev.Modules, prev.Resolved
				return out, nil
			}
		}
	}
	if a.d.Modules == nil {
		return out, newError(http.StatusBadRequest, codeInvalidBody, "npm dependencies cannot be installed on this server.")
	}
	tree, err := a.d.Modules.Install(ctx, wanted)
	if err != nil {
		return out, errModules(err)
	}
	out.Modules, out.Resolved = tree.Hash, tree.Resolved
	return out, nil
}

// runsOnNode tells whether saving script with deps would choose the
// Node.js runtime (prepareCode's choice, without installing anything).
func runsOnNode(script string, deps map[string]string) bool {
	wanted, err := npm.Wanted(script, deps)
	return err == nil && npm.ChooseRuntime(script, wanted, jsvm.HasModule).Runtime == storage.RuntimeNode
}

func (c hookCode) apply(h *storage.Hook) {
	h.Runtime, h.Modules, h.Resolved = c.Runtime, c.Modules, c.Resolved
}

// hookInstall is the install state a hook's JSON shows (beyond Auth0).
type hookInstall struct {
	Status string `json:"status"` // ready, installing, failed, missing
	Error  string `json:"error,omitempty"`
}

func (a *API) installOf(h storage.Hook) *hookInstall {
	if h.Modules == "" || a.d.Modules == nil {
		return nil
	}
	st, err := a.d.Modules.Status(h.Modules)
	out := &hookInstall{Status: string(st)}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}
