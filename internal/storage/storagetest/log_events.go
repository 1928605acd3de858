package storagetest

import (
	"fmt"
	"testing"

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
	t.Run("duplicate log id conflicts", func(t *testing.T) {
		mustIs(t, s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog("t1", 1, "seccft", "c1")}), storage.ErrConflict, "append again")
	})
	t.Run("a failed batch appends nothing", func(t *testing.T) {
		err := s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog("t1", 100, "seccft", "c1"), sampleLog("t1", 1, "seccft", "c1")})
		mustIs(t, err, storage.ErrConflict, "batch with a duplicate")
		_, err = s.GetLogEvent(ctx, "t1", "log-0100")
		mustIs(t, err, storage.ErrNotFound, "first event of the failed batch")
	})
	t.Run("a batch of several statements", func(t *testing.T) {
		// More events than one INSERT carries, so chunk boundaries are
		// crossed; a duplicate in the last chunk undoes the earlier ones.
		var big []storage.LogEvent
		for n := 1; n <= 150; n++ {
			big = append(big, sampleLog("t3", n, "seccft", "c1"))
		}
		bad := append(append([]storage.LogEvent{}, big...), sampleLog("t3", 7, "seccft", "c1"))
		mustIs(t, s.AppendLogEvents(ctx, bad), storage.ErrConflict, "batch with a late duplicate")
		_, total, err := s.ListLogEvents(ctx, "t3", storage.LogQuery{})
		mustNil(t, err, "list after the failed batch")
		mustEqual(t, total, 0, "events kept from the failed batch")
		mustNil(t, s.AppendLogEvents(ctx, big), "append 150")
		_, total, err = s.ListLogEvents(ctx, "t3", storage.LogQuery{})
		mustNil(t, err, "list")
		mustEqual(t, total, 150, "events appended")
		got, err := s.GetLogEvent(ctx, "t3", "log-0150")
		mustNil(t, err, "get the last")
		mustEqual(t, got, big[149], "last event")
	})
	cases := []struct {
		name  string
		q     storage.LogQuery
		want  []string
		total int
	}{
		{"all newest first", storage.LogQuery{}, []string{"log-0005", "log-0004", "log-0003", "log-0002", "log-0001"}, 5},
		{"by type", storage.LogQuery{Type: "feccft"}, []string{"log-0004", "log-0002"}, 2},
		{"by client", storage.LogQuery{ClientID: "c2"}, []string{"log-0002", "log-0001"}, 2},
		{"by type and client", storage.LogQuery{Type: "seccft", ClientID: "c1"}, []string{"log-0005", "log-0003"}, 2},
		{"first page", storage.LogQuery{Page: storage.Page{Page: 0, PerPage: 2}}, []string{"log-0005", "log-0004"}, 5},
		{"last page", storage.LogQuery{Page: storage.Page{Page: 2, PerPage: 2}}, []string{"log-0001"}, 5},
		{"past the end", storage.LogQuery{Page: storage.Page{Page: 3, PerPage: 2}}, nil, 5},
		{"filtered page", storage.LogQuery{Type: "seccft", Page: storage.Page{Page: 1, PerPage: 1}}, []string{"log-0003"}, 3},
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
