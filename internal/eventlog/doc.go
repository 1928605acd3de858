// Package eventlog writes tenant log events (seccft, feccft, ...) off the
// token path: Record hands an event to a buffered queue and returns; one
// goroutine writes batches in a single storage call. Close flushes what is
// queued, so a clean shutdown loses nothing. When the queue is full Record
// waits rather than drop an event: the log is an audit trail.
package eventlog
