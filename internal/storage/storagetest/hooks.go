package storagetest

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

const (
	triggerCCE = "credentials-exchange"
	triggerPUR = "pre-user-registration"
)

func sampleHook(tenant, id, name, trigger string, enabled bool, created int) storage.Hook {
	return storage.Hook{
		Tenant:       tenant,
		ID:           id,
		Name:         name,
		Script:       "module.exports = function(client, scope, audience, context, cb) { cb(null, {}); };",
		TriggerID:    trigger,
		Enabled:      enabled,
		Dependencies: map[string]string{"lodash": "4.17.21"},
		Secrets:      map[string]string{"API_KEY": "hook-secret-of-" + id},
		Runtime:      storage.RuntimeNode,
		Modules:      "sha256-of-" + id,
		Resolved:     map[string]string{"lodash": "4.17.21"},
		CreatedAt:    at(created),
		UpdatedAt:    at(created),
	}
}

func enabledIDs(t *testing.T, s storage.Storage, tenant, trigger string) []string {
	t.Helper()
	on := true
	list, _, err := s.ListHooks(t.Context(), tenant, storage.HookFilter{TriggerID: trigger, Enabled: &on}, storage.Page{})
	mustNil(t, err, "list enabled")
	var ids []string
	for _, h := range list {
		ids = append(ids, h.ID)
	}
	return ids
}

func testHooks(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("create get round-trips secrets and everything else", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := sampleHook("t1", "01HOOK0000000000000000000A", "rate-limit", triggerCCE, true, 0)
		mustNil(t, s.CreateHook(ctx, want), "create")
		got, err := s.GetHook(ctx, "t1", want.ID)
		mustNil(t, err, "get")
		mustEqual(t, got, want, "hook")
	})
	t.Run("not found and name conflicts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.GetHook(ctx, "t1", "missing")
		mustIs(t, err, storage.ErrNotFound, "get")
		mustIs(t, s.DeleteHook(ctx, "t1", "missing"), storage.ErrNotFound, "delete")
		_, err = s.UpdateHook(ctx, "t1", "missing", func(h storage.Hook) (storage.Hook, error) { return h, nil })
		mustIs(t, err, storage.ErrNotFound, "update")

		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "one", triggerCCE, false, 0)), "create h1")
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h2", "two", triggerCCE, false, 0)), "create h2")
		mustIs(t, s.CreateHook(ctx, sampleHook("t1", "h3", "one", triggerPUR, false, 0)), storage.ErrConflict, "same name")
		mustIs(t, s.CreateHook(ctx, sampleHook("t1", "h1", "three", triggerCCE, false, 0)), storage.ErrConflict, "same id")
		_, err = s.UpdateHook(ctx, "t1", "h2", func(h storage.Hook) (storage.Hook, error) { h.Name = "one"; return h, nil })
		mustIs(t, err, storage.ErrConflict, "rename onto a taken name")
	})
	t.Run("at most one enabled hook per trigger", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "a", "a", triggerCCE, true, 0)), "create a")
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "p", "p", triggerPUR, true, 0)), "create p")
		mustEqual(t, enabledIDs(t, s, "t1", triggerCCE), []string{"a"}, "after a")

		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "b", "b", triggerCCE, true, 1)), "create b enabled")
		mustEqual(t, enabledIDs(t, s, "t1", triggerCCE), []string{"b"}, "creating b enabled disables a")
		mustEqual(t, enabledIDs(t, s, "t1", triggerPUR), []string{"p"}, "other trigger untouched")

		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "c", "c", triggerCCE, false, 2)), "create c disabled")
		mustEqual(t, enabledIDs(t, s, "t1", triggerCCE), []string{"b"}, "a disabled hook disables nothing")

		_, err := s.UpdateHook(ctx, "t1", "a", func(h storage.Hook) (storage.Hook, error) { h.Enabled = true; return h, nil })
		mustNil(t, err, "enable a")
		mustEqual(t, enabledIDs(t, s, "t1", triggerCCE), []string{"a"}, "enabling a disables b")

		// Moving an enabled hook to another trigger takes that trigger over.
		_, err = s.UpdateHook(ctx, "t1", "a", func(h storage.Hook) (storage.Hook, error) { h.TriggerID = triggerPUR; return h, nil })
		mustNil(t, err, "move a")
		mustEqual(t, enabledIDs(t, s, "t1", triggerPUR), []string{"a"}, "a took over its new trigger")
		b, err := s.GetHook(ctx, "t1", "b")
		mustNil(t, err, "get b")
		if b.Enabled {
			t.Fatal("b was re-enabled")
		}
	})
	t.Run("list filters orders and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, h := range []storage.Hook{
			sampleHook("t1", "h3", "n3", triggerCCE, false, 0),
			sampleHook("t1", "h1", "n1", triggerCCE, true, 1),
			sampleHook("t1", "h2", "n2", triggerPUR, false, 0),
		} {
			mustNil(t, s.CreateHook(ctx, h), "create "+h.ID)
		}
		on, off := true, false
		cases := []struct {
			name   string
			filter storage.HookFilter
			page   storage.Page
			want   []string
			total  int
		}{
			{"all", storage.HookFilter{}, storage.Page{}, []string{"h2", "h3", "h1"}, 3},
			{"by trigger", storage.HookFilter{TriggerID: triggerCCE}, storage.Page{}, []string{"h3", "h1"}, 2},
			{"enabled", storage.HookFilter{Enabled: &on}, storage.Page{}, []string{"h1"}, 1},
			{"disabled", storage.HookFilter{Enabled: &off}, storage.Page{}, []string{"h2", "h3"}, 2},
			{"trigger and disabled", storage.HookFilter{TriggerID: triggerCCE, Enabled: &off}, storage.Page{}, []string{"h3"}, 1},
			{"paged", storage.HookFilter{}, storage.Page{Page: 0, PerPage: 2}, []string{"h2", "h3"}, 3},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				list, total, err := s.ListHooks(ctx, "t1", tc.filter, tc.page)
				mustNil(t, err, "list")
				mustEqual(t, total, tc.total, "total")
				var ids []string
				for _, h := range list {
					ids = append(ids, h.ID)
				}
				mustEqual(t, ids, tc.want, "ids")
			})
		}
	})
	t.Run("update keeps what fn does not touch and aborts on error", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		orig := sampleHook("t1", "h1", "n1", triggerCCE, true, 0)
		mustNil(t, s.CreateHook(ctx, orig), "create")
		got, err := s.UpdateHook(ctx, "t1", "h1", func(h storage.Hook) (storage.Hook, error) {
			mustEqual(t, h, orig, "fn input")
			h.Script, h.UpdatedAt = "module.exports = 1;", at(9)
			h.Secrets = map[string]string{"API_KEY": "rotated", "OTHER": "x"}
			return h, nil
		})
		mustNil(t, err, "update")
		want := orig
		want.Script, want.UpdatedAt = "module.exports = 1;", at(9)
		want.Secrets = map[string]string{"API_KEY": "rotated", "OTHER": "x"}
		mustEqual(t, got, want, "returned")
		_, err = s.UpdateHook(ctx, "t1", "h1", func(h storage.Hook) (storage.Hook, error) {
			h.Enabled = false
			return h, errBoom
		})
		if err != errBoom {
			t.Fatalf("update error = %v, want errBoom itself", err)
		}
		read, err := s.GetHook(ctx, "t1", "h1")
		mustNil(t, err, "get")
		mustEqual(t, read, want, "stored")
	})
	t.Run("delete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "n1", triggerCCE, true, 0)), "create")
		mustNil(t, s.DeleteHook(ctx, "t1", "h1"), "delete")
		_, err := s.GetHook(ctx, "t1", "h1")
		mustIs(t, err, storage.ErrNotFound, "get deleted")
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h2", "n1", triggerCCE, true, 0)), "name is free again")
	})
}
