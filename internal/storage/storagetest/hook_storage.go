package storagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// testHookStorage checks the webtask storage document of hooks: versioned
// conditional writes, force, the size cap, and that a document lives and
// dies with its hook.
func testHookStorage(t *testing.T, open func(t *testing.T) storage.Storage) {
	doc := func(s string) json.RawMessage { return json.RawMessage(s) }
	t.Run("conditional writes and force", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "n1", triggerCCE, true, 0)), "create hook")
		got, err := s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get before any write")
		mustEqual(t, got, storage.HookDocument{}, "no document yet")

		v1, err := s.SetHookDocument(ctx, "t1", "h1", doc(`{"count":1}`), "", false)
		mustNil(t, err, "first write")
		if v1 == "" {
			t.Fatal("first write returned an empty version")
		}
		got, err = s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get")
		mustEqual(t, got, storage.HookDocument{Data: doc(`{"count":1}`), Version: v1}, "after the first write")

		_, err = s.SetHookDocument(ctx, "t1", "h1", doc(`{"count":9}`), "", false)
		mustIs(t, err, storage.ErrStaleVersion, "a write expecting no document when there is one")
		v2, err := s.SetHookDocument(ctx, "t1", "h1", doc(`{"count":2}`), v1, false)
		mustNil(t, err, "write based on v1")
		if v2 == v1 {
			t.Fatalf("version did not change: %q", v2)
		}
		_, err = s.SetHookDocument(ctx, "t1", "h1", doc(`{"count":9}`), v1, false)
		mustIs(t, err, storage.ErrStaleVersion, "a second write based on v1")
		_, err = s.SetHookDocument(ctx, "t1", "h1", doc(`{"count":9}`), "not-a-version", false)
		mustIs(t, err, storage.ErrStaleVersion, "a version never handed out")
		v3, err := s.SetHookDocument(ctx, "t1", "h1", doc(`[1, "two"]`), v1, true)
		mustNil(t, err, "force ignores the version")
		got, err = s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get")
		mustEqual(t, got, storage.HookDocument{Data: doc(`[1, "two"]`), Version: v3}, "after force")
		if v3 == v2 {
			t.Fatalf("force did not change the version: %q", v3)
		}
	})
	t.Run("force creates, size cap, JSON only, unknown hook", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "n1", triggerCCE, true, 0)), "create hook")
		_, err := s.SetHookDocument(ctx, "t1", "h1", doc(`"x"`), "7", true)
		mustNil(t, err, "force without a document")

		fill := func(n int) json.RawMessage { return doc(`"` + strings.Repeat("a", n-2) + `"`) }
		_, err = s.SetHookDocument(ctx, "t1", "h1", fill(storage.MaxHookStorageBytes+1), "", true)
		mustIs(t, err, storage.ErrDocumentTooLarge, "one byte over the cap")
		v, err := s.SetHookDocument(ctx, "t1", "h1", fill(storage.MaxHookStorageBytes), "", true)
		mustNil(t, err, "exactly the cap")
		got, err := s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get")
		if got.Version != v || len(got.Data) != storage.MaxHookStorageBytes {
			t.Fatalf("stored %d bytes at %q, want %d at %q", len(got.Data), got.Version, storage.MaxHookStorageBytes, v)
		}
		if _, err := s.SetHookDocument(ctx, "t1", "h1", doc(`{not json`), "", true); err == nil {
			t.Fatal("a document that is not JSON was stored")
		}
		_, err = s.SetHookDocument(ctx, "t1", "missing", doc(`1`), "", true)
		mustIs(t, err, storage.ErrNotFound, "write for an unknown hook")
		got, err = s.GetHookDocument(ctx, "t1", "missing")
		mustNil(t, err, "get for an unknown hook")
		mustEqual(t, got, storage.HookDocument{}, "unknown hook")
	})
	t.Run("kept across edits, deleted with the hook, per tenant", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "n1", triggerCCE, true, 0)), "create hook")
		mustNil(t, s.CreateHook(ctx, sampleHook("t2", "h1", "n1", triggerCCE, true, 0)), "same id, other tenant")
		v, err := s.SetHookDocument(ctx, "t1", "h1", doc(`{"k":"t1"}`), "", false)
		mustNil(t, err, "write")
		got, err := s.GetHookDocument(ctx, "t2", "h1")
		mustNil(t, err, "other tenant")
		mustEqual(t, got, storage.HookDocument{}, "another tenant's hook of the same id")

		_, err = s.UpdateHook(ctx, "t1", "h1", func(h storage.Hook) (storage.Hook, error) {
			h.Script, h.Name, h.Secrets = "module.exports = function () {};", "renamed", nil
			return h, nil
		})
		mustNil(t, err, "edit hook")
		got, err = s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get after edit")
		mustEqual(t, got, storage.HookDocument{Data: doc(`{"k":"t1"}`), Version: v}, "after an edit")

		mustNil(t, s.DeleteHook(ctx, "t1", "h1"), "delete hook")
		got, err = s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get after delete")
		mustEqual(t, got, storage.HookDocument{}, "deleted with the hook")
		// A new hook that happens to reuse the id starts empty.
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "n1", triggerCCE, true, 1)), "recreate")
		got, err = s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "get after recreate")
		mustEqual(t, got, storage.HookDocument{}, "recreated hook")
		_, err = s.SetHookDocument(ctx, "t1", "h1", doc(`1`), "", false)
		mustNil(t, err, "first write of the new hook")
	})
	t.Run("concurrent read-modify-write counters lose nothing", func(t *testing.T) {
		// Each writer reads, increments and writes conditionally, retrying
		// on a stale version: what webtask's storage users do. A store
		// whose conditional write is not atomic loses increments.
		const workers, each = 6, 10
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateHook(ctx, sampleHook("t1", "h1", "n1", triggerCCE, true, 0)), "create hook")
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					for {
						d, err := s.GetHookDocument(ctx, "t1", "h1")
						if err != nil {
							errs <- err
							return
						}
						var n int
						if d.Data != nil {
							_ = json.Unmarshal(d.Data, &n)
						}
						_, err = s.SetHookDocument(ctx, "t1", "h1", doc(fmt.Sprint(n+1)), d.Version, false)
						if err == nil {
							break
						}
						if !isStale(err) {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustNil(t, err, "counter writer")
		}
		d, err := s.GetHookDocument(ctx, "t1", "h1")
		mustNil(t, err, "final get")
		mustEqual(t, string(d.Data), fmt.Sprint(workers*each), "counter")
	})
}

func isStale(err error) bool { return errors.Is(err, storage.ErrStaleVersion) }
