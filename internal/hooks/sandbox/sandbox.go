package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/tokenhook/tokenhook/internal/egress"
)

// Invocation is one execution of a CommonJS hook module's exported function.
// The semantics of every field bind all runtimes alike (docs/hooks.md).
type Invocation struct {
	Script string // CommonJS module source; module.exports must be a function
	// ScriptKey is the cache key of (hook id, source, dependencies). Runtimes
	// reuse warm state (module scope) only under the same key. "" = Script.
	ScriptKey string
	Args      []json.RawMessage // JSON arguments before the callback ("" = undefined); never logged
	Timeout   time.Duration     // 0 = Options.Timeout
	// Env seeds process.env of this execution (webtask put the hook's secrets
	// there). Every execution gets a fresh object; its writes stay inside it.
	Env map[string]string
	// ContextArg is the index in Args of the hook's `context`; the runtime
	// attaches context.webtask.storage to it. -1 (or out of range) = none.
	ContextArg int
	// Storage backs context.webtask.storage. nil: get() yields undefined and
	// set() fails with a clear error.
	Storage Storage
	// Isolated asks for fresh module state shared with no other execution
	// (the test runner: issue 12 item 6). The runtime is thrown away after.
	Isolated bool
	// ModulesDir is the directory containing node_modules of the hook's
	// installed dependencies (Node runtime only; "" = none).
	ModulesDir string
}

// Key is the key warm state is cached under: ScriptKey, or the source itself.
func (inv *Invocation) Key() string {
	if inv.ScriptKey != "" {
		return inv.ScriptKey
	}
	return inv.Script
}

// Storage is one hook's webtask storage document (compat-spec §3.8).
type Storage interface {
	// Get returns the document (nil = none yet) and its version.
	Get(ctx context.Context) (data json.RawMessage, version string, err error)
	// Set writes data; unless force, it fails with ErrStorageConflict when
	// the stored version is not ifVersion (ifVersion "" = no document yet).
	// It returns the new version.
	Set(ctx context.Context, data json.RawMessage, ifVersion string, force bool) (version string, err error)
}

// ErrStorageConflict is what Storage.Set returns when someone else wrote the
// document since the version given; the hook sees an error with code 409.
var ErrStorageConflict = errors.New("sandbox: storage conflict")

// MaxStorageBytes bounds one hook's storage document (webtask's limit).
const MaxStorageBytes = 500 * 1024

// MaxErrorMessage bounds HookError.Message: a runtime cuts longer messages
// (appending "…") before they leave the worker, so a hook cannot blow up
// token answers, log events or runner reports (issue 12 item 7).
const MaxErrorMessage = 400

// CapMessage cuts s to MaxErrorMessage bytes at a UTF-8 boundary, marking
// the cut with "…".
func CapMessage(s string) string { return Truncate(s, MaxErrorMessage) }

// Truncate cuts s to at most n bytes at a UTF-8 boundary, appending "…"
// when it cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
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
	// Logs are the console lines up to the answer. With fire-and-forget work
	// still running after it, later lines reach only onLog.
	Logs     []LogLine
	Duration time.Duration // from the start of the execution to its answer
	// QueueTime is how long the execution waited for a free execution slot
	// before it started (bounded concurrency per worker).
	QueueTime time.Duration
}

// Engine failures. Script failures are never reported through these; they are
// in Outcome.Err.
var (
	// ErrTimeout: the deadline passed (loops, a never-called cb, a never-settling
	// promise, timer storms, a native built-in spinning).
	ErrTimeout = errors.New("hook exceeded its execution time")
	// ErrMemory: the execution exceeded the memory cap.
	ErrMemory = errors.New("hook exceeded its memory limit")
	// ErrTooLarge: the response JSON is over Options.MaxResponseBytes.
	ErrTooLarge = errors.New("hook response too large")
	// ErrCrashed: the worker running the hook died for another reason.
	ErrCrashed = errors.New("hook worker crashed")
	// ErrClosed: Run after Close.
	ErrClosed = errors.New("hook engine closed")
)

// CompileError is returned by Run (and a runtime's save-time check) when the
// script does not compile, and by Run when module.exports is not a function
// (Line 0 then).
type CompileError struct {
	Line, Column int
	Message      string
}

func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("compile error at line %d, column %d: %s", e.Line, e.Column, e.Message)
	}
	return "compile error: " + e.Message
}

// Engine runs hook invocations; implemented by jsvm (embedded goja) and
// noderun (Node.js). Implementations are safe for concurrent use.
type Engine interface {
	// Run executes inv. onLog (may be nil) is called for each console line as
	// soon as it is produced, in order, also for lines written after the
	// answer by work the hook left running; Outcome.Logs holds the lines up
	// to the answer. Script failures are in Outcome.Err with a nil error;
	// engine failures (ErrTimeout, ErrMemory, ErrTooLarge, ErrCrashed,
	// *CompileError, ctx errors) are the error, with the logs captured so far
	// still in Outcome.Logs.
	Run(ctx context.Context, inv Invocation, onLog func(LogLine)) (Outcome, error)
	Close() error
}

// Options configures an engine. Zero values mean the defaults.
type Options struct {
	Timeout          time.Duration // default 20s (compat-spec §3.4)
	MemoryLimit      int64         // bytes per worker, default 256 MiB (worker processes only)
	Workers          int           // worker processes, default max(2, GOMAXPROCS)
	MaxResponseBytes int           // default 256 KiB; the hooks layer enforces 100 KB on claims
	// MaxConcurrent bounds the executions running at once on one worker (or
	// in the in-process engine); the rest queue, their deadline running.
	// Default 32.
	MaxConcurrent int
	// Egress is the outbound network policy of hook code; nil = the default
	// policy (public addresses only).
	Egress *egress.Policy
	// ExtraCACerts is a PEM file of certificate authorities the TLS
	// connections of hook code trust besides the system's, as Node's
	// NODE_EXTRA_CA_CERTS ("" = none).
	ExtraCACerts string
	// Command starts a worker process, e.g. {os.Args[0], "hook-worker"};
	// required by engines that run workers.
	Command []string
}

// Defaults of Options.
const (
	DefaultTimeout          = 20 * time.Second
	DefaultMemoryLimit      = 256 << 20
	DefaultMaxResponseBytes = 256 << 10
	DefaultMaxConcurrent    = 32
)

// WithDefaults fills in the zero values.
func (o Options) WithDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = DefaultMemoryLimit
	}
	if o.Workers <= 0 {
		o.Workers = max(2, runtime.GOMAXPROCS(0))
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Egress == nil {
		o.Egress = egress.Default()
	}
	return o
}

// PackFriendly carries PreUserRegistrationError's two texts (the internal
// message and the one for the user) in HookError.Message, so no runtime's
// wire format needs another field: a JSON array of the two, each cut so
// the whole fits MaxErrorMessage.
func PackFriendly(message, friendly string) string {
	for {
		b, _ := json.Marshal([]string{message, friendly})
		if len(b) <= MaxErrorMessage {
			return string(b)
		}
		if len(message) >= len(friendly) {
			message = Truncate(message, len(message)*3/4)
		} else {
			friendly = Truncate(friendly, len(friendly)*3/4)
		}
	}
}

// UnpackFriendly reverses PackFriendly; a message it did not pack is both
// texts (PreUserRegistrationError's friendlyMessage defaults to message).
func UnpackFriendly(s string) (message, friendly string) {
	var parts []string
	if json.Unmarshal([]byte(s), &parts) == nil && len(parts) == 2 {
		return parts[0], parts[1]
	}
	return s, s
}
