package storagetest

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func sampleLog(tenant string, n int, typ, clientID string) storage.LogEvent {
	return storage.LogEvent{
		Tenant:      tenant,
		LogID:       fmt.Sprintf("log-%04d", n),
		Date:        at(n),
		Type:        typ,
		Description: "event " + fmt.Sprint(n),
		ClientID:    clientID,
		ClientName:  "App " + clientID,
		IP:          "203.0.113.7",
		UserAgent:   "curl/8",
		Audience:    "https://a",
		Scope:       "read:x",
		Details:     map[string]any{"code": "ok", "n": float64(n), "nested": map[string]any{"hook": true}},
	}
}

func testLogEvents(t *testing.T, open func(t *testing.T) storage.Storage) {
	s, ctx := open(t), t.Context()
	// Appended out of order and mixed with another tenant on purpose.
	events := []storage.LogEvent{
		sampleLog("t1", 3, "seccft", "c1"),
		sampleLog("t1", 1, "seccft", "c2"),
		sampleLog("t2", 9, "seccft", "c1"),
		sampleLog("t1", 4, "feccft", "c1"),
		sampleLog("t1", 2, "feccft", "c2"),
		sampleLog("t1", 5, "seccft", "c1"),
	}
	mustNil(t, s.AppendLogEvents(ctx, events), "append")

	t.Run("get round-trips every field", func(t *testing.T) {
		got, err := s.GetLogEvent(ctx, "t1", "log-0003")
		mustNil(t, err, "get")
		mustEqual(t, got, events[0], "event")
		_, err = s.GetLogEvent(ctx, "t1", "log-0009")
		mustIs(t, err, storage.ErrNotFound, "other tenant's event")
	})
	t.Run("an event stored again is ignored", func(t *testing.T) {
		// A spool replayed after a crash writes events storage may
		// already hold: the stored one stays, the batch goes in.
		again := sampleLog("t1", 1, "seccft", "c1")
		again.Description = "replayed"
		mustNil(t, s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog("t1", 100, "seccft", "c1"), again}), "append again")
		got, err := s.GetLogEvent(ctx, "t1", "log-0001")
		mustNil(t, err, "get")
		mustEqual(t, got, events[1], "event stored first")
		_, err = s.GetLogEvent(ctx, "t1", "log-0100")
		mustNil(t, err, "the other event of the batch")
	})
	t.Run("a bad row does not take its batch with it", func(t *testing.T) {
		// Invalid UTF-8 and NUL in the columns: PostgreSQL refuses both,
		// and used to refuse the whole multi-row INSERT with them.
		var batch []storage.LogEvent
		for n := 1; n <= 150; n++ {
			e := sampleLog("t4", n, "seccft", "c1")
			switch n {
			case 7:
				e.ClientID = "bad\xff\xfe"
			case 70:
				e.ClientID = "nul\x00id"
			case 140:
				e.Type = "f\x00ecc\xc3"
			}
			batch = append(batch, e)
		}
		mustNil(t, s.AppendLogEvents(ctx, batch), "append a batch with bad rows")
		_, total, err := s.ListLogEvents(ctx, "t4", storage.LogQuery{})
		mustNil(t, err, "list")
		mustEqual(t, total, 150, "events stored")
		for _, n := range []int{7, 70, 140} {
			got, err := s.GetLogEvent(ctx, "t4", fmt.Sprintf("log-%04d", n))
			mustNil(t, err, "get the bad row")
			for _, v := range []string{got.ClientID, got.Type} {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
					t.Fatalf("event %d stored %q: not valid UTF-8 without NUL", n, v)
				}
			}
		}
	})
	t.Run("a batch of several statements", func(t *testing.T) {
		// More events than one INSERT carries, so chunk boundaries are
		// crossed.
		var big []storage.LogEvent
		for n := 1; n <= 150; n++ {
			big = append(big, sampleLog("t3", n, "seccft", "c1"))
		}
		mustNil(t, s.AppendLogEvents(ctx, big), "append 150")
		_, total, err := s.ListLogEvents(ctx, "t3", storage.LogQuery{})
		mustNil(t, err, "list")
		mustEqual(t, total, 150, "events appended")
		got, err := s.GetLogEvent(ctx, "t3", "log-0150")
		mustNil(t, err, "get the last")
		mustEqual(t, got, big[149], "last event")
		list, _, err := s.ListLogEvents(ctx, "t3", storage.LogQuery{OldestFirst: true, Page: storage.Page{Page: 1, PerPage: 100}})
		mustNil(t, err, "oldest first, second page")
		mustEqual(t, len(list), 50, "events on the second page")
		mustEqual(t, list[0].LogID, "log-0101", "first of the second page")
	})
	t.Run("prune deletes the oldest, in batches, one tenant only", func(t *testing.T) {
		var batch []storage.LogEvent
		for n := 1; n <= 30; n++ {
			batch = append(batch, sampleLog("t5", n, "seccft", "c1"), sampleLog("t6", n, "seccft", "c1"))
		}
		mustNil(t, s.AppendLogEvents(ctx, batch), "append")
		n, err := s.PruneLogEvents(ctx, "t5", at(21), 15)
		mustNil(t, err, "prune")
		mustEqual(t, n, 15, "pruned in the first batch")
		n, err = s.PruneLogEvents(ctx, "t5", at(21), 15)
		mustNil(t, err, "prune again")
		mustEqual(t, n, 5, "pruned in the second batch")
		list, total, err := s.ListLogEvents(ctx, "t5", storage.LogQuery{OldestFirst: true, Page: storage.Page{PerPage: 1}})
		mustNil(t, err, "list")
		mustEqual(t, total, 10, "events kept")
		mustEqual(t, list[0].LogID, "log-0021", "oldest kept")
		_, total, err = s.ListLogEvents(ctx, "t6", storage.LogQuery{})
		mustNil(t, err, "list the other tenant")
		mustEqual(t, total, 30, "other tenant's events")
	})
	t.Run("CountUpTo stops the total", func(t *testing.T) {
		var batch []storage.LogEvent
		for n := 1; n <= 105; n++ {
			typ := "seccft"
			if n%50 == 0 {
				typ = "feccft"
			}
			batch = append(batch, sampleLog("t7", n, typ, "c1"))
		}
		mustNil(t, s.AppendLogEvents(ctx, batch), "append")
		list, total, err := s.ListLogEvents(ctx, "t7", storage.LogQuery{Page: storage.Page{PerPage: 2}, CountUpTo: 100})
		mustNil(t, err, "list")
		mustEqual(t, total, 100, "total of more events than the cap")
		mustEqual(t, list[0].LogID, "log-0105", "newest")
		_, total, err = s.ListLogEvents(ctx, "t7", storage.LogQuery{Page: storage.Page{PerPage: 2}})
		mustNil(t, err, "list without a cap")
		mustEqual(t, total, 105, "total without a cap")
		_, total, err = s.ListLogEvents(ctx, "t7", storage.LogQuery{Type: "feccft", CountUpTo: 100})
		mustNil(t, err, "list by type")
		mustEqual(t, total, 2, "total below the cap")
		_, total, err = s.ListLogEvents(ctx, "t7", storage.LogQuery{After: "log-0010", CountUpTo: 100})
		mustNil(t, err, "list after")
		mustEqual(t, total, 95, "events after the tenth")
	})
	t.Run("by user", func(t *testing.T) {
		var batch []storage.LogEvent
		for n := 1; n <= 12; n++ {
			e := sampleLog("t8", n, []string{"sepft", "fepft", "seccft"}[n%3], "c1")
			if n%3 != 0 {
				e.UserID, e.UserName = []string{"auth0|ann", "auth0|bob"}[n%2], "someone@example.com"
			}
			batch = append(batch, e)
		}
		mustNil(t, s.AppendLogEvents(ctx, batch), "append")
		got, err := s.GetLogEvent(ctx, "t8", "log-0001")
		mustNil(t, err, "get")
		mustEqual(t, got, batch[0], "event of a user")
		ids := func(q storage.LogQuery) ([]string, int) {
			list, total, err := s.ListLogEvents(ctx, "t8", q)
			mustNil(t, err, "list by user")
			var out []string
			for _, e := range list {
				out = append(out, e.LogID)
			}
			return out, total
		}
		list, total := ids(storage.LogQuery{UserID: "auth0|bob"})
		mustEqual(t, list, []string{"log-0011", "log-0007", "log-0005", "log-0001"}, "bob's events, newest first")
		mustEqual(t, total, 4, "bob's total")
		list, total = ids(storage.LogQuery{UserID: "auth0|ann", OldestFirst: true, Page: storage.Page{Page: 1, PerPage: 2}})
		mustEqual(t, list, []string{"log-0008", "log-0010"}, "ann's second page, oldest first")
		mustEqual(t, total, 4, "ann's total")
		list, _ = ids(storage.LogQuery{UserID: "auth0|ann", Type: "fepft"})
		mustEqual(t, list, []string{"log-0010", "log-0004"}, "ann's fepft events")
		list, total = ids(storage.LogQuery{UserID: "auth0|nobody"})
		mustEqual(t, len(list), 0, "events of a user without any")
		mustEqual(t, total, 0, "total of a user without any")
		_, total, err = s.ListLogEvents(ctx, "t1", storage.LogQuery{UserID: "auth0|ann"})
		mustNil(t, err, "list another tenant by user")
		mustEqual(t, total, 0, "another tenant's events of the user")
	})
	t.Run("count by day", func(t *testing.T) {
		day := 24 * 3600
		var batch []storage.LogEvent
		for i, ev := range []struct {
			sec int
			typ string
		}{{10, "sepft"}, {20, "sepft"}, {30, "ss"}, {40, "fepft"}, {day + 5, "sepft"}, {2*day + 1, "ss"}, {3*day + 1, "sepft"}} {
			batch = append(batch, sampleLog("t9", i+1, ev.typ, "c1"))
			batch[i].Date = at(ev.sec)
		}
		other := sampleLog("t10", 1, "sepft", "c1")
		other.Date = at(10)
		mustNil(t, s.AppendLogEvents(ctx, append(batch, other)), "append")
		got, err := s.CountLogEventsByDay(ctx, "t9", []string{"sepft", "ss"}, at(0), at(3*day))
		mustNil(t, err, "count by day")
		counts := map[string]int{}
		for _, c := range got {
			key := c.Day.Format(time.DateOnly) + " " + c.Type
			counts[key] = c.Count
			if key == at(0).Format(time.DateOnly)+" sepft" && (!c.First.Equal(at(10)) || !c.Last.Equal(at(20))) {
				t.Fatalf("first and last of %s: %v %v", key, c.First, c.Last)
			}
		}
		d := func(n int) string { return at(n * day).Format(time.DateOnly) }
		mustEqual(t, counts, map[string]int{d(0) + " sepft": 2, d(0) + " ss": 1, d(1) + " sepft": 1, d(2) + " ss": 1}, "counts")
	})
	t.Run("huge pages are empty, not errors", func(t *testing.T) {
		for _, p := range []storage.Page{{Page: 1 << 62, PerPage: 100}, {Page: 9223372036854775807, PerPage: 2}} {
			list, _, err := s.ListLogEvents(ctx, "t1", storage.LogQuery{Page: p})
			mustNil(t, err, "list a huge page")
			mustEqual(t, len(list), 0, "events on a huge page")
		}
	})
	cases := []struct {
		name  string
		q     storage.LogQuery
		want  []string
		total int
	}{
		{"all newest first", storage.LogQuery{}, []string{"log-0100", "log-0005", "log-0004", "log-0003", "log-0002", "log-0001"}, 6},
		{"oldest first", storage.LogQuery{OldestFirst: true, Page: storage.Page{PerPage: 3}}, []string{"log-0001", "log-0002", "log-0003"}, 6},
		{"oldest first, filtered page", storage.LogQuery{OldestFirst: true, ClientID: "c1", Page: storage.Page{Page: 1, PerPage: 2}}, []string{"log-0005", "log-0100"}, 4},
		{"without total", storage.LogQuery{Type: "feccft", SkipTotal: true}, []string{"log-0004", "log-0002"}, -1},
		{"by type", storage.LogQuery{Type: "feccft"}, []string{"log-0004", "log-0002"}, 2},
		{"by client", storage.LogQuery{ClientID: "c2"}, []string{"log-0002", "log-0001"}, 2},
		{"by type and client", storage.LogQuery{Type: "seccft", ClientID: "c1"}, []string{"log-0100", "log-0005", "log-0003"}, 3},
		{"first page", storage.LogQuery{Page: storage.Page{Page: 0, PerPage: 2}}, []string{"log-0100", "log-0005"}, 6},
		{"last page", storage.LogQuery{Page: storage.Page{Page: 2, PerPage: 2}}, []string{"log-0002", "log-0001"}, 6},
		{"past the end", storage.LogQuery{Page: storage.Page{Page: 3, PerPage: 2}}, nil, 6},
		{"filtered page", storage.LogQuery{Type: "seccft", Page: storage.Page{Page: 1, PerPage: 1}}, []string{"log-0005"}, 4},
		{"no match", storage.LogQuery{Type: "nope"}, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, total, err := s.ListLogEvents(ctx, "t1", tc.q)
			mustNil(t, err, "list")
			mustEqual(t, total, tc.total, "total")
			var ids []string
			for _, e := range list {
				ids = append(ids, e.LogID)
			}
			mustEqual(t, ids, tc.want, "ids")
		})
	}
}
