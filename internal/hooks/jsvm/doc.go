// Package jsvm is tokenhook's JavaScript runtime for hooks, and the only
// package that imports the JS engine (goja, with goja_nodejs for Buffer and
// URL). It runs Auth0-Hooks-compatible CommonJS modules
// (`module.exports = function (client, scope, audience, context, cb) {...}`)
// synchronously inside token requests; compat-spec §3 fixes the behaviour.
// Building the arguments per extensibility point, filtering claims and
// mapping errors to OAuth responses belong to internal/hooks, not here. The
// types it shares with the Node.js runtime (Invocation, Outcome, the engine
// errors, the Engine interface) are in internal/hooks/sandbox.
//
// # Execution model
//
// Compile once, run many (as k6 does): a script is parsed and compiled once
// per process into a goja.Program, cached by its key (Invocation.ScriptKey:
// hook id, source and dependencies; the source itself when empty). A
// runtime is bound to one key and reused only under it, so module
// scope (helpers, constants, caches) persists between runs like a warm webtask,
// and whatever a script leaves on its globals or on built-in prototypes is
// never seen by another script or another version of it. Idle runtimes are
// pooled per script (at most 8 per script, 256 overall, 128 scripts, LRU). A
// runtime is used by one goroutine at a time, and is thrown away after an
// interrupt (deadline, cancellation), a stack overflow, a module that failed to
// load or any engine failure (architecture rule 5). An Isolated invocation
// (the test runner) gets a fresh runtime that is never cached.
//
// Each execution has its own small event loop on the executing goroutine
// (timers in a heap; Promise jobs are drained by goja; completions of host
// operations, fetch and storage, arrive in an inbox). The answer is when cb
// is first called or the returned Promise settles, and it is returned at
// once; work still pending then (fire-and-forget) runs on, on the same
// runtime and holding its execution place, until the loop is empty or the
// deadline, its console lines still reaching onLog; only then is the runtime
// reused. Later cb calls are ignored with a warn line. An exception escaping a
// timer callback fails the execution before its answer and is logged after
// it. Arguments are
// decoded from JSON for every execution, giving exactly what JSON.parse would
// (args_json.go walks the bytes directly, faster than goja's JSON.parse), so
// each run gets fresh copies. A script that never completes runs to its
// deadline (sandbox.ErrTimeout), as in Auth0, even when nothing is pending.
//
// # What a hook sees
//
// The globals are pinned by TestGlobals (testdata/globals.golden). Beyond the
// ECMAScript built-ins: InvalidScopeError, InvalidRequestError, ServerError,
// console (captured, never written to the process's stdout; console.dir),
// timers, Buffer, URL, URLSearchParams, TextEncoder/TextDecoder,
// queueMicrotask, global, fetch with Headers/Request/Response and
// AbortController/AbortSignal (fetch.go: net/http in the worker, every
// connection through the egress policy, bodies capped, counted against the
// deadline), and a frozen `process` stub ({env, version, versions, platform,
// argv: [], nextTick}: no exit, no cwd, no real environment; env is a fresh
// object per execution seeded with Invocation.Env). context.webtask.storage is
// attached to the argument Invocation.ContextArg names (host.go). require is a module-scope parameter
// with an allowlist: assert, buffer, crypto (createHash, createHmac,
// randomBytes, randomUUID, timingSafeEqual, getHashes; written in Go), events,
// querystring, string_decoder, url (goja_nodejs's URL plus Node's legacy
// parse/format/resolve, written in JavaScript), util. Other Node built-ins throw "not
// available to hooks", anything else says npm dependencies are not supported
// yet (HasModule tells which names are provided). goja makes stack overflow
// uncatchable by the script itself; it is reported as the script's RangeError.
// Console lines are capped per execution (1000 lines / 256 KiB), error names
// and messages before they leave the engine (sandbox.MaxErrorMessage).
//
// # Why worker processes
//
// goja's Interrupt only stops JavaScript code: a native built-in such as
// `new Array(2e7).fill(0)` runs to its end however late, and goja has no
// memory cap: `'x'.repeat(2**30)` can kill the whole Go process with an
// unrecoverable out-of-memory error. NewPool therefore runs scripts in
// supervised worker processes (the `tokenhook hook-worker` subcommand, whose
// body is ServeWorker). NewInProcess has the same semantics in the server
// process for trusted setups and benchmarks; it bounds JavaScript time but
// cannot bound native built-ins' CPU or memory.
//
// # Protocol
//
// Length-prefixed binary frames over the worker's stdin/stdout (protocol.go):
// a config frame (memory limit), script frames (a source, sent once per
// worker process under an id; the parent keeps at most 128 per worker and
// tells the worker which one it drops), run requests carrying a script id and
// the raw JSON arguments, the environment and flags, cancel requests; the
// worker streams log frames as lines are produced (so the parent can call
// onLog live and keep the logs of an execution that is later killed), then
// one result frame, and an end frame later when the execution left work
// running after its answer. Storage calls go worker→parent as host frames
// and come back as reply frames: the storage lives in the server. Requests are
// multiplexed: every request runs on its own goroutine in the worker (an idle one is
// reused, its stack already grown to goja's depth), so one stuck execution
// never holds up the others. The worker environment is
// reduced to PATH/TMPDIR/GODEBUG plus GOMEMLIMIT: no server secrets reach it.
//
// # Routing, limits and recovery
//
// A pool has sandbox.Options.Workers slots (default max(2, GOMAXPROCS)), each
// running at most Options.MaxConcurrent executions at once (a semaphore taken
// under the request's context, the deadline running; the wait is
// Outcome.QueueTime). Executions are routed by a hash of the script's key, so
// a script's warm runtimes are found
// again and its failures land on its own worker as far as possible. The
// worker enforces the deadline itself (in-VM interrupt); the parent allows
// 250 ms of grace after it and then kills the worker (a native built-in
// spinning). Memory is bounded three ways: GOMEMLIMIT/debug.SetMemoryLimit at
// 3/4 of the limit makes the worker's GC work hard first; RLIMIT_DATA at twice
// the limit (RLIMIT_AS would break Go's start-up, which reserves address
// space) makes a single huge allocation fail at once, killing the worker with
// "out of memory"; and a watchdog polls /proc/<pid>/statm of busy workers
// every 25 ms and kills one whose RSS exceeds the limit. When a worker dies,
// the blamed executions (not their scripts) fail with sandbox.ErrTimeout,
// sandbox.ErrMemory or sandbox.ErrCrashed: the one that timed out, or else the
// one running JavaScript at that moment (the worker marks them in a page of
// memory it shares with the parent, busy_linux.go; when several were, each
// runs once more alone on a single-use worker, where the cause dies again
// and the others answer), or else the one in
// flight that last ran JavaScript (waiting on the fetches whose bodies
// filled the memory), or else the oldest in flight. The other executions in
// flight on it, the same hook's included, run once more on the fresh
// process the slot starts, and fail with sandbox.ErrCrashed if that dies too
// (their live-streamed logs may then repeat). The parent never holds a lock
// across an execution and its own memory does not grow from a hostile hook.
//
// onLog is called on the goroutine that reads the worker's replies: it must
// not block.
package jsvm
