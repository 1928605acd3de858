// Package sandbox holds what every hook runtime shares: the Invocation a
// runtime executes, its Outcome and console lines, the engine failures, the
// Engine interface the hooks layer calls, and the Storage contract behind
// context.webtask.storage. It imports no JavaScript engine. Two runtimes
// implement Engine: internal/hooks/jsvm (goja, embedded in the binary) and
// internal/hooks/noderun (Node.js worker processes); internal/hooks picks one
// per hook. The semantics written on Invocation's fields bind both runtimes
// alike, so a hook behaves the same whichever runs it. Both runtimes' worker
// supervisors also share the frame decoder of their wire format, the stderr
// tail kept for a crashed worker's reason, the deferred flush of their run
// frames, and the resident-memory reading of their watchdogs.
package sandbox
