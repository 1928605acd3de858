package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// Script is the hook to run: what the runner needs of a stored hook.
type Script struct {
	Tenant  string
	ID      string // empty for unsaved code
	Name    string
	Source  string
	Secrets map[string]string
	// Runtime is RuntimeNode or RuntimeEmbedded ("" = embedded), as chosen
	// when the hook was saved.
	Runtime string
	// Modules is the hash of the hook's installed npm tree ("" = none).
	Modules string
}

// ScriptOf is the Script of a stored hook.
func ScriptOf(h storage.Hook) Script {
	return Script{Tenant: h.Tenant, ID: h.ID, Name: h.Name, Source: h.Script, Secrets: h.SetSecrets(),
		Runtime: h.Runtime, Modules: h.Modules}
}

// Execution is the record of one run: the filtered changes or the OAuth
// error to answer with, plus the console lines and the time taken.
type Execution struct {
	Changes  Changes
	Err      *oauth.Error
	Logs     []sandbox.LogLine
	Duration time.Duration
	// QueueTime is how long the execution waited for a free place on its
	// worker (bounded concurrency) before it started.
	QueueTime time.Duration
}

// Runner runs hooks at their points, each on its runtime.
type Runner struct {
	// Engine is the embedded runtime (jsvm): hooks without npm
	// dependencies or Node built-ins.
	Engine sandbox.Engine
	// Node is the Node.js runtime (noderun); nil when this machine has no
	// Node, and then hooks that need it fail with ErrNoNode.
	Node sandbox.Engine
	// Modules finds the installed dependency trees of Node hooks.
	Modules ModuleTrees
	// Storage keeps context.webtask.storage; nil = none (get() yields
	// undefined, set() fails).
	Storage storage.HookStorage
	Logs    *LogHub
}

// Run executes script at trigger with in, for a token request. Secrets go
// into context.webtask.secrets and process.env for this execution only.
func (r *Runner) Run(ctx context.Context, trigger string, s Script, in Input, requestID string) Execution {
	p, ok := Lookup(trigger)
	if !ok {
		return Execution{Err: oauth.ServerError("", fmt.Errorf("hooks: unknown trigger %q", trigger))}
	}
	in.Context.Secrets = s.Secrets
	in.Context.HookName, in.Context.Trigger, in.Context.ID = s.Name, trigger, requestID
	a, err := args(p, in)
	if err != nil {
		return Execution{Err: oauth.ServerError("", err)}
	}
	return r.execute(ctx, p, s, a, requestID, r.tokenStorage(s), false)
}

// preparer is a runtime that can start a saved hook's warm state (a Node
// worker with the module loaded) before its first execution.
type preparer interface {
	Prepare(ctx context.Context, inv sandbox.Invocation) error
}

// Warm readies a saved hook on its runtime ahead of its first token, so no
// token request pays a cold start. Runtimes with nothing to start (the
// embedded engine) do nothing.
func (r *Runner) Warm(ctx context.Context, trigger string, s Script) error {
	p, ok := Lookup(trigger)
	if !ok {
		return fmt.Errorf("hooks: unknown trigger %q", trigger)
	}
	engine, modules, err := r.engineFor(s)
	if err != nil {
		return err
	}
	pr, ok := engine.(preparer)
	if !ok {
		return nil
	}
	return pr.Prepare(ctx, sandbox.Invocation{Script: s.Source, ScriptKey: scriptKey(s), Env: s.Secrets,
		ContextArg: p.contextArg(), ModulesDir: modules})
}

func (r *Runner) execute(ctx context.Context, p *Point, s Script, a []json.RawMessage, requestID string, st sandbox.Storage, isolated bool) Execution {
	onLog := func(l sandbox.LogLine) {
		if r.Logs != nil {
			r.Logs.Publish(LogEntry{Time: l.Time, HookID: s.ID, HookName: s.Name, RequestID: requestID, Level: l.Level, Text: l.Text})
		}
	}
	engine, modules, err := r.engineFor(s)
	if err != nil {
		return Execution{Err: runtimeError(err)}
	}
	inv := sandbox.Invocation{
		Script:     s.Source,
		ScriptKey:  scriptKey(s),
		Args:       a,
		Env:        s.Secrets,
		ContextArg: p.contextArg(),
		Storage:    st,
		Isolated:   isolated,
		ModulesDir: modules,
	}
	out, err := engine.Run(ctx, inv, onLog)
	ex := Execution{Logs: out.Logs, Duration: out.Duration, QueueTime: out.QueueTime}
	switch {
	case err != nil:
		ex.Err = engineError(err)
	case out.Err != nil:
		ex.Err = scriptError(p, out.Err)
	default:
		ex.Changes, ex.Err = parseResponse(p, out.Response)
	}
	return ex
}

// contextArg is the index of `context` among the point's arguments, -1
// when it has none.
func (p *Point) contextArg() int {
	for i, a := range p.Arguments {
		if a == "context" {
			return i
		}
	}
	return -1
}

// runtimeError is a hook that cannot run on this server as saved: no
// Node.js, or its dependencies not installed here yet.
func runtimeError(err error) *oauth.Error {
	if errors.Is(err, ErrNoNode) {
		return oauth.ServerError("The hook needs Node.js, which this server does not have", err)
	}
	return oauth.ServerError("The hook's dependencies are not installed on this server yet", err)
}
