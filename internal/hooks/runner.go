package hooks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/oauth"
)

// Script is the hook to run: what the runner needs of a stored hook.
type Script struct {
	ID      string // empty for unsaved code
	Name    string
	Source  string
	Secrets map[string]string
}

// Execution is the record of one run: the filtered changes or the OAuth
// error to answer with, plus the console lines and the time taken.
type Execution struct {
	Changes  Changes
	Err      *oauth.Error
	Logs     []sandbox.LogLine
	Duration time.Duration
}

// Runner runs hooks at their points.
type Runner struct {
	Engine sandbox.Engine
	Logs   *LogHub
}

// Run executes script at trigger with in. Secrets go into
// context.webtask.secrets for this execution only.
func (r *Runner) Run(ctx context.Context, trigger string, s Script, in Input, requestID string) Execution {
	in.Context.Secrets = s.Secrets
	a, err := args(trigger, in)
	if err != nil {
		return Execution{Err: oauth.ServerError("", err)}
	}
	return r.execute(ctx, trigger, s, a, requestID)
}

func (r *Runner) execute(ctx context.Context, trigger string, s Script, a []json.RawMessage, requestID string) Execution {
	onLog := func(l sandbox.LogLine) {
		if r.Logs != nil {
			r.Logs.Publish(LogEntry{Time: l.Time, HookID: s.ID, HookName: s.Name, RequestID: requestID, Level: l.Level, Text: l.Text})
		}
	}
	out, err := r.Engine.Run(ctx, sandbox.Invocation{Script: s.Source, Args: a}, onLog)
	ex := Execution{Logs: out.Logs, Duration: out.Duration}
	switch {
	case err != nil:
		ex.Err = engineError(err)
	case out.Err != nil:
		ex.Err = scriptError(trigger, out.Err)
	default:
		ex.Changes, ex.Err = parseResponse(trigger, out.Response)
	}
	return ex
}
