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
// per process into a goja.Program, cached by its exact source. A runtime is
// bound to one script version and reused only for that exact source, so module
// scope (helpers, constants, caches) persists between runs like a warm webtask,
// and whatever a script leaves on its globals or on built-in prototypes is
// never seen by another script or another version of it. Idle runtimes are
// pooled per script (at most 8 per script, 256 overall, 128 scripts, LRU). A
// runtime is used by one goroutine at a time, and is thrown away after an
// interrupt (deadline, cancellation), a stack overflow, a module that failed to
// load or any engine failure (architecture rule 5).
//
// Each execution has its own small event loop on the executing goroutine
// (timers in a heap; Promise jobs are drained by goja). Completion is when cb
// is first called or the returned Promise settles; timers still pending then
// are dropped, not waited for. Later cb calls are ignored with a warn line. An
// exception escaping a timer callback fails the execution. Arguments are
// decoded from JSON for every execution, giving exactly what JSON.parse would
// (args_json.go walks the bytes directly, faster than goja's JSON.parse), so
// each run gets fresh copies. A script that never completes runs to its
// deadline (sandbox.ErrTimeout), as in Auth0, even when nothing is pending.
//
// # What a hook sees
//
// The globals are pinned by TestGlobals (testdata/globals.golden). Beyond the
// ECMAScript built-ins: InvalidScopeError, InvalidRequestError, ServerError,
// console (captured, never written to the process's stdout), timers, Buffer,
// URL, URLSearchParams, TextEncoder/TextDecoder, queueMicrotask and a frozen
// `process` stub ({env: {}, version, versions, platform, argv: [], nextTick}:
// no exit, no cwd, no real environment). require is a module-scope parameter
// with an allowlist: assert, buffer, crypto (createHash, createHmac,
// randomBytes, randomUUID, timingSafeEqual, getHashes; written in Go), events,
// querystring, string_decoder, url, util. Other Node built-ins throw "not
// available to hooks", anything else says npm dependencies are not supported
// yet. goja makes stack overflow uncatchable by the script itself; it is
// reported as the script's RangeError. Console lines are capped per execution
// (1000 lines / 256 KiB).
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
// the raw JSON arguments, cancel requests; the worker streams log frames as
// lines are produced (so the parent can call onLog live and keep the logs of
// an execution that is later killed), then one result frame. Requests are
// multiplexed: every request runs on its own goroutine in the worker (an idle one is
// reused, its stack already grown to goja's depth), so one stuck execution
// never holds up the others. The worker environment is
// reduced to PATH/TMPDIR/GODEBUG plus GOMEMLIMIT: no server secrets reach it.
//
// # Routing, limits and recovery
//
// A pool has sandbox.Options.Workers slots (default max(2, GOMAXPROCS)). Executions
// are routed by a hash of the script, so a script's warm runtimes are found
// again and its failures land on its own worker as far as possible. The
// worker enforces the deadline itself (in-VM interrupt); the parent allows
// 250 ms of grace after it and then kills the worker (a native built-in
// spinning). Memory is bounded three ways: GOMEMLIMIT/debug.SetMemoryLimit at
// 3/4 of the limit makes the worker's GC work hard first; RLIMIT_DATA at twice
// the limit (RLIMIT_AS would break Go's start-up, which reserves address
// space) makes a single huge allocation fail at once, killing the worker with
// "out of memory"; and a watchdog polls /proc/<pid>/statm of busy workers
// every 25 ms and kills one whose RSS exceeds the limit. When a worker dies,
// executions of the blamed script (the one that timed out, or else the oldest
// in flight) fail with sandbox.ErrTimeout/sandbox.ErrMemory/sandbox.ErrCrashed; the other executions
// in flight on it are retried once on the next worker, and fail with
// sandbox.ErrCrashed if that dies too (their live-streamed logs may then repeat). The
// slot starts a fresh process on next use. The parent never holds a lock
// across an execution and its own memory does not grow from a hostile hook.
//
// onLog is called on the goroutine that reads the worker's replies: it must
// not block.
package jsvm
