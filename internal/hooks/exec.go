package hooks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/oauth"
)

// ExecRequest is code run outside the hook points: the caller (package
// actions) builds the arguments and reads the raw answer itself, while the
// runner keeps what every execution shares: the engine choice, the npm
// tree, secrets in process.env, limits, isolation and live logs.
type ExecRequest struct {
	// Script is the code to run; its module.exports must be a function
	// taking Args then a callback. Script.ID keys warm state ("" = none).
	Script Script
	// Key names the warm state of Script when something shorter than its
	// source identifies it (an immutable version); "" = the source.
	Key  string
	Args []json.RawMessage
	// Timeout bounds this execution (0 = the engine's default).
	Timeout time.Duration
	// Isolated runs on fresh module state thrown away after (test runs).
	Isolated  bool
	RequestID string
}

// ExecResult is the raw outcome of an ExecRequest.
type ExecResult struct {
	// Response is the value given to cb(null, v) or resolved.
	Response json.RawMessage
	// Thrown is what the script failed with (cb(err), a throw, a
	// rejection); the caller decides what it answers.
	Thrown *sandbox.HookError
	// Err is a failure of the engine (timeout, memory, compile, no
	// runtime), mapped as for hooks (compat-spec §3.5).
	Err       *oauth.Error
	Logs      []sandbox.LogLine
	Duration  time.Duration
	QueueTime time.Duration
}

// Exec runs req on the runtime its Script names. No storage is attached:
// the arguments carry everything the code may read.
func (r *Runner) Exec(ctx context.Context, req ExecRequest) ExecResult {
	s := req.Script
	engine, modules, err := r.engineFor(s)
	if err != nil {
		return ExecResult{Err: runtimeError(err)}
	}
	onLog := func(l sandbox.LogLine) {
		if r.Logs != nil {
			r.Logs.Publish(LogEntry{Time: l.Time, HookID: s.ID, HookName: s.Name, RequestID: req.RequestID, Level: l.Level, Text: l.Text})
		}
	}
	inv := sandbox.Invocation{
		Script:     s.Source,
		ScriptKey:  req.Key,
		Args:       req.Args,
		Timeout:    req.Timeout,
		Env:        s.Secrets,
		ContextArg: -1,
		Isolated:   req.Isolated,
		ModulesDir: modules,
	}
	if inv.ScriptKey == "" {
		inv.ScriptKey = scriptKey(s)
	}
	out, err := engine.Run(ctx, inv, onLog)
	res := ExecResult{Response: out.Response, Thrown: out.Err, Logs: out.Logs, Duration: out.Duration, QueueTime: out.QueueTime}
	if err != nil {
		res.Err = engineError(err)
	}
	return res
}

// WarmExec readies req's script on its runtime ahead of its first
// execution (a Node worker with the module loaded), as Warm does for a
// saved hook; the same Script and Key must be used to run it after.
func (r *Runner) WarmExec(ctx context.Context, req ExecRequest) error {
	s := req.Script
	engine, modules, err := r.engineFor(s)
	if err != nil {
		return err
	}
	pr, ok := engine.(preparer)
	if !ok {
		return nil
	}
	key := req.Key
	if key == "" {
		key = scriptKey(s)
	}
	return pr.Prepare(ctx, sandbox.Invocation{Script: s.Source, ScriptKey: key, Env: s.Secrets, ContextArg: -1, ModulesDir: modules})
}

// AppendJSONString appends s as a JSON string (as the hook arguments are
// encoded), for callers that write arguments by hand on the token path.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }

// AppendStringMap appends m as a JSON object with sorted keys, leaving out
// those in skip (HiddenParams for a token request's parameters).
func AppendStringMap(b []byte, m map[string]string, skip map[string]bool) []byte {
	return appendStringMap(b, m, skip)
}
