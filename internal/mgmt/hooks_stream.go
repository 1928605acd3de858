package mgmt

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/token"
)

// defaultHeartbeat keeps idle streams alive through proxies that close
// silent connections (many do after 30-60 s) and lets the server notice a
// client that went away without a FIN.
const defaultHeartbeat = 15 * time.Second

// streams ends every open log stream when the server shuts down, so a
// graceful shutdown does not wait for watchers that never hang up.
type streams struct {
	once sync.Once
	done chan struct{}
}

func newStreams() *streams { return &streams{done: make(chan struct{})} }

func (s *streams) close() { s.once.Do(func() { close(s.done) }) }

// CloseStreams ends the open /hooks/logs/stream responses. The server
// registers it with http.Server.RegisterOnShutdown.
func (a *API) CloseStreams() { a.streams.close() }

// streamHookLogs is GET /hooks/logs/stream: Server-Sent Events, one event
// per console line of any hook (or of the one named by ?hook=, id or
// name), each a "data:" line of JSON tagged with the hook, the time and the
// token request's id. What the Auth0 CLI's `logs` verb showed, over a
// transport any HTTP client and browser EventSource can read.
func (a *API) streamHookLogs(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, noParams, "hook")
	if err != nil {
		return err
	}
	if a.d.HookLogs == nil {
		return newError(http.StatusServiceUnavailable, codeOperationForbidden, "Hooks are not enabled on this server")
	}
	filter, filtered := q.filters["hook"]
	rc := http.NewResponseController(w)
	// The stream is meant to outlive --read-timeout and any write deadline.
	// net/http already clears the read deadline of an HTTP/1 request
	// without a body once it is read; saying so here keeps that true over
	// HTTP/2 and if a write timeout is ever set. A client that went away is
	// found by the next heartbeat's failed write.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// Subscribing before the headers go out: a client that saw the
	// response start is sure to receive every line published afterwards.
	lines := a.d.HookLogs.Subscribe(r.Context())
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": tokenhook hook logs\n\n"); err != nil {
		return nil
	}
	if rc.Flush() != nil {
		return nil
	}
	beat := time.NewTicker(a.d.StreamHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-a.streams.done:
			return nil
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case e, ok := <-lines:
			if !ok {
				return nil
			}
			if filtered && e.HookID != filter && e.HookName != filter {
				continue
			}
			if err := writeEvent(w, e); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}

// writeEvent writes one SSE event. JSON escapes newlines, so the data is
// always a single "data:" line.
func writeEvent(w http.ResponseWriter, e hooks.LogEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: log\ndata: %s\n\n", b)
	return err
}
