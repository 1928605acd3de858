package jsvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Invocation is one execution of a CommonJS hook module's exported function.
type Invocation struct {
	Script  string            // module source; `module.exports` must be a function
	Args    []json.RawMessage // JSON arguments passed before the callback (an empty one is undefined); never logged
	Timeout time.Duration     // 0 = Options.Timeout
}

// LogLine is one console line written by a hook.
type LogLine struct {
	Time  time.Time
	Level string // log|info|warn|error
	Text  string
}

// HookError is what the script failed with: cb(err), a throw, or a rejected
// Promise. Name is the error's `name` ("InvalidScopeError", "Error", ...); for a
// value that is not an Error, Name is "" and Message its String().
type HookError struct {
	Name, Message string
}

func (e *HookError) Error() string {
	if e.Name == "" {
		return e.Message
	}
	return e.Name + ": " + e.Message
}

// Outcome is the result of one Run.
type Outcome struct {
	Response json.RawMessage // value given to cb(null, v) or resolved; "null" when undefined
	Err      *HookError
	Logs     []LogLine
	Duration time.Duration
}

// Engine failures. Script failures are never reported through these; they are
// in Outcome.Err.
var (
	// ErrTimeout: the deadline passed (loops, a never-called cb, a never-settling
	// promise, timer storms, a native built-in spinning).
	ErrTimeout = errors.New("jsvm: hook exceeded its execution time")
	// ErrMemory: the execution exceeded the memory cap.
	ErrMemory = errors.New("jsvm: hook exceeded its memory limit")
	// ErrTooLarge: the response JSON is over Options.MaxResponseBytes.
	ErrTooLarge = errors.New("jsvm: hook response too large")
	// ErrCrashed: the worker running the hook died for another reason.
	ErrCrashed = errors.New("jsvm: hook worker crashed")
)

// CompileError is returned by Run and Check when the script does not compile,
// and by Run when module.exports is not a function (Line 0 then).
type CompileError struct {
	Line, Column int
	Message      string
}

func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("jsvm: compile error at line %d, column %d: %s", e.Line, e.Column, e.Message)
	}
	return "jsvm: compile error: " + e.Message
}

// Engine runs hook invocations. Implementations are safe for concurrent use.
type Engine interface {
	// Run executes inv. onLog (may be nil) is called for each console line as
	// soon as it is produced, in order; Outcome.Logs also holds them. Script
	// failures are in Outcome.Err with a nil error; engine failures (ErrTimeout,
	// ErrMemory, ErrTooLarge, ErrCrashed, *CompileError, ctx errors) are the
	// error, with the logs captured so far still in Outcome.Logs.
	Run(ctx context.Context, inv Invocation, onLog func(LogLine)) (Outcome, error)
	Close() error
}

// Options configures an engine. Zero values mean the defaults.
type Options struct {
	Timeout          time.Duration // default 20s (compat-spec §3.4)
	MemoryLimit      int64         // bytes per worker, default 256 MiB (pool mode only)
	Workers          int           // worker processes, default max(2, GOMAXPROCS)
	MaxResponseBytes int           // default 256 KiB; the hooks layer enforces 100 KB on claims
	Command          []string      // how to start a worker, e.g. {os.Args[0], "hook-worker"}; required for NewPool
}

const (
	defaultTimeout          = 20 * time.Second
	defaultMemoryLimit      = 256 << 20
	defaultMaxResponseBytes = 256 << 10
)

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = defaultMemoryLimit
	}
	if o.Workers <= 0 {
		o.Workers = max(2, runtime.GOMAXPROCS(0))
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = defaultMaxResponseBytes
	}
	return o
}

// Check parses and compiles script without executing any of it, for save-time
// validation. It returns nil or a *CompileError. Whether module.exports is a
// function can only be known by running the module, so Check does not tell.
func Check(script string) error {
	_, err := compileModule(script)
	return err
}
