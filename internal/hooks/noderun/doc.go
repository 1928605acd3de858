// Package noderun is tokenhook's Node.js runtime for hooks: it implements
// sandbox.Engine with supervised `node` processes (Node 18 or later, from
// --node or PATH) running an embedded runner script (runner.js). Hooks that
// need npm packages or Node built-ins (http, https, stream, zlib, tls, full
// crypto) run here; the others stay on the embedded engine (internal/hooks/jsvm).
// Choosing per hook is internal/hooks' business, not this package's.
//
// # Workers
//
// One warm worker process per active hook version (sandbox.Invocation.Key
// plus ModulesDir), started on first use: module state (a hook's top-level
// caches, what its packages keep) lives on between executions of that
// version, like a warm webtask container, and is never shared with another
// hook or another version of it. Several executions of one version may be in
// flight on its worker at once (Node's event loop interleaves them); each
// runs in its own AsyncLocalStorage context, so console lines,
// process.env, storage calls and the timers it starts are attributed to it.
// At most Options.MaxWorkers warm workers are kept (least recently used idle
// ones are stopped first) and a worker idle for Options.IdleTimeout stops.
// Invocation.Isolated runs on a fresh process used once and stopped when the
// execution's work has ended.
//
// Prepare starts a hook version's worker and loads its module ahead of the
// first execution (at save time, so no token pays the cold start); Check
// compiles a script as Node would, without running it (save-time validation
// of Node hooks, whose syntax the embedded engine's parser may not know).
//
// # Protocol
//
// The frame format of jsvm's workers (u32 length | u8 type | u64 id |
// payload) over two pipes, the runner's fd 3 (parent→runner) and fd 4
// (runner→parent); the runner's stdout/stderr are only kept (bounded) for
// crash reports, so hook code writing to process.stdout cannot corrupt the
// stream. A config frame carries the hook's source, its modules directory
// and the egress policy (egress.Policy.Spec); run frames carry the raw JSON
// arguments and the execution's environment; the runner streams log frames,
// one result frame (the answer), host-call frames for
// context.webtask.storage (served by the parent from Invocation.Storage),
// and a done frame when the execution's work has ended.
//
// Waking a runner is most of what an execution costs it, so wake-ups are
// shared: run frames are written by a per-worker sandbox.DeferredFlush once the runnable
// goroutines had their turn (concurrent token requests share one write),
// the runner writes the frames of one event-loop turn together, and on
// Linux the runner's threads run under SCHED_BATCH, as the embedded
// engine's workers do: a runner woken by a run frame does not preempt a
// thread signing a token, it runs at the next scheduling point, often for
// several executions at once.
//
// # Fire-and-forget
//
// The answer (cb or the returned Promise) is returned at once; work the
// hook left running (a notification sent after cb) goes on, and its console
// lines still reach onLog, until that execution's timers, sockets and
// pending requests are gone (an async_hooks init hook tracks them per
// execution) or its deadline passes. There is no destroy hook: with one,
// Node tracks the end of every promise, which makes promise-heavy hook code
// several times slower; ended timers and closed handles are recognised
// when looked at, requests by the after hook of their one callback. At the deadline its timers are cleared and new ones it
// tries to start are cancelled; its lines are no longer delivered.
//
// # Isolation and limits
//
// Node's permission model (--experimental-permission on 20 and 21,
// --permission from 22) with read access to the runner and the hook's
// dependency tree only: no file writes, no child processes, no worker
// threads, no native addons, no inspector. Node 18 and 19 have no permission
// model; there the runner's own guards (below) are all there is, which
// docs/hooks.md says. The worker's environment is empty (no server
// variables, no NODE_OPTIONS); process.env is a per-execution object seeded
// with Invocation.Env. process.binding, process.dlopen, process.kill and
// process.exit are replaced before hook code runs; v8, dgram, cluster, repl,
// inspector, trace_events and wasi cannot be required. Memory:
// --max-old-space-size at 3/4 of the memory limit, plus a watchdog polling
// every worker's resident set (limit + Node's own ~64 MiB baseline);
// either kills the worker. Deadline: the runner answers its own timeout;
// when its event loop is blocked the parent kills the process 500 ms later.
// A killed or crashed worker answers the execution that caused it with
// sandbox.ErrTimeout, ErrMemory or ErrCrashed and is replaced on next use.
// The cause is the execution it was killed for (deadline, cancel) or the
// only one alive on it; when several were, Node cannot say which filled
// or crashed the process, so each unanswered one runs once more alone on a
// fresh worker used once (at most four such at once, within its original
// deadline): the culprit's new process dies again and it fails alone. Console output is
// capped per execution (1000 lines / 256 KiB) and TCP connections per
// worker (Options.MaxSockets).
//
// # Egress
//
// Every TCP connection a Node process makes (net, tls, http, https, fetch
// and the npm clients on top of them) ends in the TCP handle's connect with
// a resolved address: the runner checks the egress policy there, so IP
// literals, names after DNS resolution, every address happy eyeballs tries
// and every hop of a redirect are checked. A refusal is Node's own
// ECONNREFUSED error, its message naming the policy's rule. UDP (dgram) and
// changing DNS servers are refused outright.
package noderun
