package hooks

import (
	"context"
	"sync"
	"time"
)

// LogEntry is one console line of a hook, tagged for the live stream.
type LogEntry struct {
	Time      time.Time `json:"time"`
	HookID    string    `json:"hook_id,omitempty"`
	HookName  string    `json:"hook_name"`
	RequestID string    `json:"request_id,omitempty"`
	Level     string    `json:"level"`
	Text      string    `json:"message"`
}

// RecentPerHook bounds the lines kept per hook for GET /hooks/{id}/logs.
const RecentPerHook = 200

// subscriberBuffer bounds how far a slow stream reader may lag; past it,
// lines are dropped for that reader rather than slowing token requests.
const subscriberBuffer = 512

// LogHub fans hook console lines out to live subscribers and keeps the
// recent lines of each hook. Publishing never blocks.
type LogHub struct {
	mu     sync.Mutex
	subs   map[chan LogEntry]struct{}
	recent map[string][]LogEntry
}

// NewLogHub returns an empty hub.
func NewLogHub() *LogHub {
	return &LogHub{subs: map[chan LogEntry]struct{}{}, recent: map[string][]LogEntry{}}
}

// Publish delivers e to every subscriber that keeps up and remembers it.
func (h *LogHub) Publish(e LogEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.HookID != "" {
		lines := append(h.recent[e.HookID], e)
		if len(lines) > RecentPerHook {
			lines = append(lines[:0:0], lines[len(lines)-RecentPerHook:]...)
		}
		h.recent[e.HookID] = lines
	}
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of lines published from now on, closed when
// ctx ends.
func (h *LogHub) Subscribe(ctx context.Context) <-chan LogEntry {
	ch := make(chan LogEntry, subscriberBuffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, ch)
		close(ch)
		h.mu.Unlock()
	}()
	return ch
}

// Recent returns the kept lines of a hook, oldest first.
func (h *LogHub) Recent(hookID string) []LogEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogEntry(nil), h.recent[hookID]...)
}

// Forget drops the lines of a deleted hook.
func (h *LogHub) Forget(hookID string) {
	h.mu.Lock()
	delete(h.recent, hookID)
	h.mu.Unlock()
}
