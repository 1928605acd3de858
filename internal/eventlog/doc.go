// Package eventlog writes tenant log events (seccft, feccft, ...) off the
// token path. Record cleans an event (valid UTF-8, capped fields) and
// appends it to memory; a spooler goroutine appends what is queued to a
// spool of files in the data directory about every 10 ms; a store
// goroutine writes spooled events to storage in batches and deletes the
// files storage holds. Record never waits for storage: while storage is
// slow or down, the spool absorbs events up to its byte budget, past
// which events are dropped, counted and warned about. A process killed
// loses the events of its last ~10 ms; files left in the spool are
// written on the next start. With a retention, a third goroutine deletes
// old events in small batches. docs/architecture.md says more.
package eventlog
