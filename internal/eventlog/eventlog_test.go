package eventlog_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
)

// TestEveryEventIsWritten: many goroutines record more events than one
// batch (and than the in-memory queue) holds, on the real SQLite store;
// after Close every one is stored once, with unique, time-sortable ids.
func TestEveryEventIsWritten(t *testing.T) {
	ctx := context.Background()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "events.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w := eventlog.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))

	const writers, each = 8, 1500 // 12,000 events: past batchSize and queueSize
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for range each {
				w.Record(storage.LogEvent{Tenant: "t", Type: eventlog.SuccessCredentialsExchange, ClientID: string(rune('a' + i))})
			}
		})
	}
	wg.Wait()
	w.Close()

	_, total, err := store.ListLogEvents(ctx, "t", storage.LogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if total != writers*each {
		t.Fatalf("%d events stored, want %d", total, writers*each)
	}
	for i := range writers {
		_, n, err := store.ListLogEvents(ctx, "t", storage.LogQuery{ClientID: string(rune('a' + i))})
		if err != nil || n != each {
			t.Fatalf("client %c: %d events (%v), want %d", 'a'+i, n, err, each)
		}
	}
	// Recording after Close neither blocks nor panics.
	w.Record(storage.LogEvent{Tenant: "t", Type: eventlog.SuccessCredentialsExchange})
}
