package eventlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore/sqlitetest"
)

// TestEveryEventIsWritten: many goroutines record more events than one
// batch holds and than one storage call writes (maxRows), on the real
// SQLite store; after Close every one is stored once, with unique,
// time-sortable ids.
func TestEveryEventIsWritten(t *testing.T) {
	ctx := context.Background()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlitetest.Path(t, "events.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w := eventlog.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), eventlog.Options{SpoolDir: t.TempDir()})

	const writers, each = 8, 600 // 4,800 events: past batchSize and maxRows
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

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRecordNeverWaitsForStorage: with log_events locked, recording more
// events than the in-memory queue used to hold (8192; a full queue made
// the token path wait) returns at once; the events reach the spool, and
// storage once the lock is released.
func TestRecordNeverWaitsForStorage(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		store := b.open(t)
		w := eventlog.New(store, discard(), eventlog.Options{SpoolDir: t.TempDir()})
		defer w.Close()
		unlock := b.lock(t)
		const n = 10000
		recorded := make(chan struct{})
		go func() {
			for i := range n {
				w.Record(storage.LogEvent{Tenant: "t", Type: eventlog.SuccessCredentialsExchange, ClientID: fmt.Sprint("c", i%7)})
			}
			close(recorded)
		}()
		select {
		case <-recorded:
		case <-time.After(time.Minute):
			t.Fatal("Record blocked while storage was locked")
		}
		eventually(t, "every event in the spool", func() bool { return w.Stats().Spooled == n })
		if st := w.Stats(); st.Stored == n || st.Dropped != 0 {
			t.Fatalf("while locked: %+v", st)
		}
		unlock()
		eventually(t, "every event in storage", func() bool { return w.Stats().Stored == n })
		_, total, err := store.ListLogEvents(t.Context(), "t", storage.LogQuery{})
		if err != nil || total != n {
			t.Fatalf("%d events stored (%v), want %d", total, err, n)
		}
		// Storage holds them all: the spool is emptied.
		eventually(t, "an empty spool", func() bool { return w.Stats().SpoolBytes == 0 })
	})
}

// TestSpoolOutlivesTheProcess: events a process spooled but never wrote
// (its storage gone, as when it is killed) are written by the next
// process that opens the spool.
func TestSpoolOutlivesTheProcess(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		dir := t.TempDir()
		// The first writer never reaches storage: its store is closed
		// before it starts and it is never closed itself, as a killed
		// process leaves things. (Locking the table instead races: an
		// insert already waiting on the lock lands after the unlock.)
		dead := b.open(t)
		dead.Close()
		first := eventlog.New(dead, discard(), eventlog.Options{SpoolDir: dir})
		const n = 3000
		for i := range n {
			first.Record(storage.LogEvent{Tenant: "t", Type: eventlog.FailedCredentialsExchange, ClientID: fmt.Sprint("c", i)})
		}
		eventually(t, "every event in the spool", func() bool { return first.Stats().Spooled == n })
		if st := first.Stats(); st.Stored != 0 {
			t.Fatalf("the dead writer stored events: %+v", st)
		}

		store := b.open(t)
		second := eventlog.New(store, discard(), eventlog.Options{SpoolDir: dir})
		eventually(t, "the spooled events in storage", func() bool {
			_, total, err := store.ListLogEvents(t.Context(), "t", storage.LogQuery{})
			return err == nil && total == n
		})
		// The replayed events count as stored and as replayed, never as
		// spooled: this process did not spool them.
		eventually(t, "the replay counted", func() bool {
			st := second.Stats()
			return st.Stored == n && st.Replayed == n && st.Spooled == 0
		})
		second.Close()
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Fatalf("spool files left after everything was stored: %d", len(files))
		}
	})
}

// TestSpoolBudgetDropsAndWarnsOncePerMinute: past the spool's byte budget
// events are dropped, counted and warned about once per minute of the
// (injected) clock; Record still never waits.
func TestSpoolBudgetDropsAndWarnsOncePerMinute(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		store := b.open(t)
		logs := &bytes.Buffer{}
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(lockedWriter{&mu, logs}, nil))
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		var clockMu sync.Mutex
		clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
		w := eventlog.New(store, log, eventlog.Options{SpoolDir: t.TempDir(), SpoolBytes: 64 << 10, Now: clock})
		defer w.Close()
		unlock := b.lock(t)
		defer unlock()
		big := strings.Repeat("x", 100<<10) // capped to a few hundred bytes per field
		const n, batchOf = 30000, 512
		for i := range n {
			w.Record(storage.LogEvent{Tenant: "t", Type: eventlog.FailedCredentialsExchange, ClientID: big, UserAgent: big, Description: big})
			if i == n/2 {
				// Let the first half reach the spool and memory before
				// the clock moves.
				eventually(t, "drops", func() bool { return w.Stats().Dropped > 0 })
			}
		}
		eventually(t, "every event spooled or dropped", func() bool {
			st := w.Stats()
			return st.Spooled+st.Dropped+st.Unspooled == n
		})
		st := w.Stats()
		if st.SpoolBytes > 64<<10 {
			t.Fatalf("spool holds %d bytes, budget %d", st.SpoolBytes, 64<<10)
		}
		mu.Lock()
		warnings := strings.Count(logs.String(), "tenant log events dropped")
		mu.Unlock()
		if warnings != 1 {
			t.Fatalf("%d drop warnings within one minute, want 1:\n%s", warnings, logs)
		}
		clockMu.Lock()
		now = now.Add(time.Minute)
		clockMu.Unlock()
		// Memory may still have room: the spooler takes whatever waits,
		// and a loaded machine hands it batches far above batchOf, each
		// dropped whole, which can leave more than a batch free. Record
		// until something is dropped again (memory is bounded, so this
		// ends), letting each batch settle first.
		before, recorded := st.Dropped, int64(n)
		for w.Stats().Dropped == before {
			if recorded > 3*n {
				t.Fatalf("nothing dropped after %d more events: %+v", recorded-n, w.Stats())
			}
			for range batchOf {
				w.Record(storage.LogEvent{Tenant: "t", Type: eventlog.FailedCredentialsExchange, ClientID: big, UserAgent: big, Description: big})
			}
			recorded += batchOf
			eventually(t, "the batch spooled or dropped", func() bool {
				st := w.Stats()
				return st.Spooled+st.Dropped+st.Unspooled == recorded
			})
		}
		eventually(t, "a second warning a minute later", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return strings.Count(logs.String(), "tenant log events dropped") == 2
		})
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestStoredFieldsAreCapped: an event made of oversized, invalid UTF-8
// and NUL-carrying strings (what an unauthenticated token request can
// send) is stored with every field valid and at most its cap.
func TestStoredFieldsAreCapped(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		store := b.open(t)
		w := eventlog.New(store, discard(), eventlog.Options{SpoolDir: t.TempDir()})
		huge := strings.Repeat("é", 40<<10) + "\xff\x00"
		w.Record(storage.LogEvent{
			Tenant: "t", Type: eventlog.FailedCredentialsExchange, ClientID: huge, ClientName: huge, IP: huge,
			UserAgent: huge, UserID: huge, UserName: huge, Audience: huge, Scope: huge, Description: huge,
			Details: map[string]any{"error": huge, huge: "key", "deep": map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": huge}}}}},
		})
		w.Close()
		list, _, err := store.ListLogEvents(t.Context(), "t", storage.LogQuery{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d events (%v)", len(list), err)
		}
		e := list[0]
		for name, v := range map[string]string{"client_id": e.ClientID, "client_name": e.ClientName, "ip": e.IP,
			"user_agent": e.UserAgent, "user_id": e.UserID, "user_name": e.UserName, "audience": e.Audience,
			"scope": e.Scope, "description": e.Description} {
			if len(v) > 2048 || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Errorf("%s stored as %d bytes (valid UTF-8: %v)", name, len(v), utf8.ValidString(v))
			}
		}
		enc, _ := json.Marshal(e.Details)
		if len(enc) > 4096 {
			t.Errorf("details stored as %d bytes", len(enc))
		}
	})
}

// TestRetentionPrunesOldEvents (issue 14 item 4): events older than the
// retention are deleted in batches, off the Record path; newer ones and
// other tenants' stay.
func TestRetentionPrunesOldEvents(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		store := b.open(t)
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		var old []storage.LogEvent
		for i := range 2500 { // past one batch of 1000
			// Log ids sort by age: these sort before the ULIDs Record makes.
			id := fmt.Sprintf("00000OLD%05d", i)
			old = append(old, storage.LogEvent{Tenant: "t", LogID: id, Date: now.Add(-31 * 24 * time.Hour), Type: "seccft"},
				storage.LogEvent{Tenant: "other", LogID: id, Date: now.Add(-31 * 24 * time.Hour), Type: "seccft"})
		}
		if err := store.AppendLogEvents(t.Context(), old); err != nil {
			t.Fatal(err)
		}
		w := eventlog.New(store, discard(), eventlog.Options{SpoolDir: t.TempDir(), Tenant: "t", Retention: 30 * 24 * time.Hour,
			Now: func() time.Time { return now }})
		w.Record(storage.LogEvent{Tenant: "t", Type: "seccft", Date: now.Add(-29 * 24 * time.Hour)})
		eventually(t, "the old events pruned", func() bool { return w.Stats().Pruned == 2500 })
		w.Close()
		if _, total, err := store.ListLogEvents(t.Context(), "t", storage.LogQuery{}); err != nil || total != 1 {
			t.Fatalf("tenant t keeps %d events (%v), want the recent one", total, err)
		}
		if _, total, err := store.ListLogEvents(t.Context(), "other", storage.LogQuery{}); err != nil || total != 2500 {
			t.Fatalf("another tenant keeps %d events (%v), want 2500", total, err)
		}
	})
}

// TestPresetLogIDKept: an event recorded with a log id (a token request's
// Actions execution id) is stored under that id, through the spool too.
func TestPresetLogIDKept(t *testing.T) {
	ctx := context.Background()
	sealer, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, sqlitetest.Path(t, "events.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	spool := t.TempDir()
	w := eventlog.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), eventlog.Options{SpoolDir: spool})
	at := time.Now().UTC()
	id := eventlog.NewID(at)
	w.Record(storage.LogEvent{Tenant: "t", LogID: id, Date: at, Type: eventlog.SuccessCredentialsExchange,
		Details: map[string]any{"actions": map[string]any{"executions": []string{id}}}})
	w.Record(storage.LogEvent{Tenant: "t", Date: at, Type: eventlog.SuccessCredentialsExchange})
	w.Close()
	ev, err := store.GetLogEvent(ctx, "t", id)
	if err != nil {
		t.Fatalf("the preset id was not kept: %v", err)
	}
	if ev.LogID != id {
		t.Fatalf("log id %q, want %q", ev.LogID, id)
	}
	_, total, err := store.ListLogEvents(ctx, "t", storage.LogQuery{})
	if err != nil || total != 2 {
		t.Fatalf("%d events, %v", total, err)
	}
}
