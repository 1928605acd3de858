// Package eventlog writes tenant log events (seccft, feccft, ...) off the
// token path: Record appends the event to an in-memory queue under a mutex
// and returns; one goroutine, woken once a batch is ready or every 200 ms,
// writes what is queued in a single storage call. Close flushes what is
// queued, so a clean shutdown loses nothing. When the queue is full Record
// waits rather than drop an event: the log is an audit trail.
package eventlog
