package sqlstore

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// TestLogEventRowRefusedAlone: a row the database refuses (here by a
// constraint the test adds, standing for any refusal the writer cannot
// foresee) is left out alone; the other rows of its batch are stored.
func TestLogEventRowRefusedAlone(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := openSQLiteTest(t)
		if _, err := s.writer.ExecContext(t.Context(), `CREATE TRIGGER refuse_row BEFORE INSERT ON log_events
			WHEN NEW.client_id = 'refuse-me' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`); err != nil {
			t.Fatal(err)
		}
		checkRowRefusedAlone(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s := openPostgresAt(t, freshSchema(t, postgresAdmin(t)))
		if _, err := s.writer.ExecContext(t.Context(), `ALTER TABLE log_events ADD CONSTRAINT refuse_row CHECK (client_id <> 'refuse-me')`); err != nil {
			t.Fatal(err)
		}
		checkRowRefusedAlone(t, s)
	})
}

func checkRowRefusedAlone(t *testing.T, s *Store) {
	ctx := t.Context()
	var batch []storage.LogEvent
	for n := range 100 {
		e := storage.LogEvent{Tenant: "t", LogID: fmt.Sprintf("log-%03d", n), Date: time.Unix(int64(n), 0), Type: "seccft", ClientID: "c"}
		if n == 42 {
			e.ClientID = "refuse-me"
		}
		batch = append(batch, e)
	}
	err := s.AppendLogEvents(ctx, batch)
	var rejected *storage.RejectedEventsError
	if !errors.As(err, &rejected) || rejected.Count != 1 {
		t.Fatalf("append: %v, want one rejected row", err)
	}
	_, total, err := s.ListLogEvents(ctx, "t", storage.LogQuery{})
	if err != nil || total != 99 {
		t.Fatalf("%d events stored (%v), want 99", total, err)
	}
}
