package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// deliveryTimeout bounds how long a change may take to arrive. Backends
// that notify across processes deliver asynchronously, even to themselves.
const deliveryTimeout = 5 * time.Second

// matches says whether c is want, ignoring want's Key and Seq when they
// are unset.
func matches(c, want storage.Change) bool {
	return c.Tenant == want.Tenant && c.Kind == want.Kind &&
		(want.Key == "" || c.Key == want.Key) && (want.Seq == 0 || c.Seq == want.Seq)
}

// waitFor reads ch until a change matching want arrives and returns the
// changes seen before it. Changes caused by earlier setup writes may still
// be in flight on asynchronous backends, so other changes are not errors
// here; callers that care inspect the returned prefix.
func waitFor(t *testing.T, ch <-chan storage.Change, want storage.Change) []storage.Change {
	t.Helper()
	var before []storage.Change
	timer := time.NewTimer(deliveryTimeout)
	defer timer.Stop()
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed while waiting for %+v (saw %+v)", want, before)
			}
			if matches(c, want) {
				return before
			}
			before = append(before, c)
		case <-timer.C:
			t.Fatalf("no %+v within %v (saw %+v)", want, deliveryTimeout, before)
		}
	}
}

// barrier writes settings of a dedicated tenant and waits for that change:
// everything committed before it has then been delivered too, so what was
// not seen before the barrier was never sent.
func barrier(t *testing.T, s storage.Storage, ch <-chan storage.Change, name string) []storage.Change {
	t.Helper()
	_, err := s.UpdateTenantSettings(t.Context(), "barrier", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
		ts.FriendlyName = name
		return ts, nil
	})
	mustNil(t, err, "barrier write")
	return waitFor(t, ch, storage.Change{Tenant: "barrier", Kind: "settings"})
}

func mustNotMention(t *testing.T, seen []storage.Change, tenant, what string) {
	t.Helper()
	for _, c := range seen {
		if c.Tenant == tenant || c.Kind == storage.KindResync {
			t.Fatalf("%s announced %+v", what, c)
		}
	}
}

func testSubscribe(t *testing.T, open func(t *testing.T) storage.Storage) {
	keysFor := func(tenant string) func([]storage.SigningKey) ([]storage.SigningKey, error) {
		return func([]storage.SigningKey) ([]storage.SigningKey, error) {
			return []storage.SigningKey{sampleKey(tenant, "k1", "current", 0)}, nil
		}
	}
	writes := []struct {
		name string
		kind string
		// key is the record the change must name ("": none).
		key string
		// setup runs before subscribing; write is the change under test.
		setup func(ctx context.Context, s storage.Storage) error
		write func(ctx context.Context, s storage.Storage) error
	}{
		{"create client", "clients", "c1", nil, func(ctx context.Context, s storage.Storage) error {
			return s.CreateClient(ctx, sampleClient("w", "c1", 0))
		}},
		{"update client", "clients", "c1", func(ctx context.Context, s storage.Storage) error {
			return s.CreateClient(ctx, sampleClient("w", "c1", 0))
		}, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateClient(ctx, "w", "c1", func(c storage.Client) (storage.Client, error) { c.Name = "x"; return c, nil })
			return err
		}},
		{"delete client", "clients", "c1", func(ctx context.Context, s storage.Storage) error {
			return s.CreateClient(ctx, sampleClient("w", "c1", 0))
		}, func(ctx context.Context, s storage.Storage) error { return s.DeleteClient(ctx, "w", "c1") }},
		{"create api", "resource_servers", "https://a", nil, func(ctx context.Context, s storage.Storage) error {
			return s.CreateResourceServer(ctx, sampleAPI("w", "rs1", "https://a", 0))
		}},
		{"update api", "resource_servers", "https://a", func(ctx context.Context, s storage.Storage) error {
			return s.CreateResourceServer(ctx, sampleAPI("w", "rs1", "https://a", 0))
		}, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateResourceServer(ctx, "w", "rs1", func(rs storage.ResourceServer) (storage.ResourceServer, error) { return rs, nil })
			return err
		}},
		{"delete api", "resource_servers", "https://a", func(ctx context.Context, s storage.Storage) error {
			return s.CreateResourceServer(ctx, sampleAPI("w", "rs1", "https://a", 0))
		}, func(ctx context.Context, s storage.Storage) error { return s.DeleteResourceServer(ctx, "w", "rs1") }},
		{"delete api cascades to grants", "client_grants", "c1", func(ctx context.Context, s storage.Storage) error {
			if err := s.CreateResourceServer(ctx, sampleAPI("w", "rs1", "https://a", 0)); err != nil {
				return err
			}
			return s.CreateClientGrant(ctx, sampleGrant("w", "g1", "c1", "https://a", 0))
		}, func(ctx context.Context, s storage.Storage) error { return s.DeleteResourceServer(ctx, "w", "rs1") }},
		{"delete client cascades to grants", "client_grants", "c1", func(ctx context.Context, s storage.Storage) error {
			if err := s.CreateClient(ctx, sampleClient("w", "c1", 0)); err != nil {
				return err
			}
			return s.CreateClientGrant(ctx, sampleGrant("w", "g1", "c1", "https://a", 0))
		}, func(ctx context.Context, s storage.Storage) error { return s.DeleteClient(ctx, "w", "c1") }},
		{"create grant", "client_grants", "c1", nil, func(ctx context.Context, s storage.Storage) error {
			return s.CreateClientGrant(ctx, sampleGrant("w", "g1", "c1", "https://a", 0))
		}},
		{"update grant", "client_grants", "c1", func(ctx context.Context, s storage.Storage) error {
			return s.CreateClientGrant(ctx, sampleGrant("w", "g1", "c1", "https://a", 0))
		}, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateClientGrant(ctx, "w", "g1", func(g storage.ClientGrant) (storage.ClientGrant, error) { return g, nil })
			return err
		}},
		{"delete grant", "client_grants", "c1", func(ctx context.Context, s storage.Storage) error {
			return s.CreateClientGrant(ctx, sampleGrant("w", "g1", "c1", "https://a", 0))
		}, func(ctx context.Context, s storage.Storage) error { return s.DeleteClientGrant(ctx, "w", "g1") }},
		{"signing keys", "signing_keys", "", nil, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateSigningKeys(ctx, "w", keysFor("w"))
			return err
		}},
		{"settings", "settings", "", nil, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateTenantSettings(ctx, "w", func(ts storage.TenantSettings) (storage.TenantSettings, error) { return ts, nil })
			return err
		}},
		{"create hook", "hooks", "", nil, func(ctx context.Context, s storage.Storage) error {
			return s.CreateHook(ctx, sampleHook("w", "h1", "n1", triggerCCE, true, 0))
		}},
		{"update hook", "hooks", "", func(ctx context.Context, s storage.Storage) error {
			return s.CreateHook(ctx, sampleHook("w", "h1", "n1", triggerCCE, true, 0))
		}, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateHook(ctx, "w", "h1", func(h storage.Hook) (storage.Hook, error) { h.Enabled = false; return h, nil })
			return err
		}},
		{"delete hook", "hooks", "", func(ctx context.Context, s storage.Storage) error {
			return s.CreateHook(ctx, sampleHook("w", "h1", "n1", triggerCCE, true, 0))
		}, func(ctx context.Context, s storage.Storage) error { return s.DeleteHook(ctx, "w", "h1") }},
	}
	for _, w := range writes {
		t.Run(w.name+" announces "+w.kind, func(t *testing.T) {
			s, ctx := open(t), t.Context()
			if w.setup != nil {
				mustNil(t, w.setup(ctx, s), "setup")
			}
			ch := s.Subscribe(ctx)
			mustNil(t, w.write(ctx, s), "write")
			waitFor(t, ch, storage.Change{Tenant: "w", Kind: w.kind, Key: w.key})
			// The change log holds it too, at the end of the sequence.
			logged, latest, err := s.CatalogChanges(ctx, "w", 0, 100)
			mustNil(t, err, "change log")
			mustEqual(t, s.CommittedCatalogSeq("w"), latest, "committed seq")
			found := false
			for _, c := range logged {
				found = found || (c.Kind == w.kind && c.Key == w.key)
			}
			if !found || logged[len(logged)-1].Seq != latest {
				t.Fatalf("change log %+v (latest %d) lacks %s %q at its end", logged, latest, w.kind, w.key)
			}
		})
	}

	t.Run("every subscriber gets every change", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a, b := s.Subscribe(ctx), s.Subscribe(ctx)
		mustNil(t, s.CreateClient(ctx, sampleClient("w", "c1", 0)), "write")
		waitFor(t, a, storage.Change{Tenant: "w", Kind: "clients"})
		waitFor(t, b, storage.Change{Tenant: "w", Kind: "clients"})
	})

	quiet := []struct {
		name  string
		setup func(ctx context.Context, s storage.Storage) error
		write func(ctx context.Context, s storage.Storage) error
	}{
		{"log events", nil, func(ctx context.Context, s storage.Storage) error {
			return s.AppendLogEvents(ctx, []storage.LogEvent{sampleLog("q", 1, "seccft", "c1")})
		}},
		{"an aborted update", func(ctx context.Context, s storage.Storage) error {
			return s.CreateClient(ctx, sampleClient("q", "c1", 0))
		}, func(ctx context.Context, s storage.Storage) error {
			_, err := s.UpdateClient(ctx, "q", "c1", func(c storage.Client) (storage.Client, error) { return c, errBoom })
			if err == errBoom {
				return nil
			}
			return err
		}},
		{"a conflicting create", func(ctx context.Context, s storage.Storage) error {
			return s.CreateClient(ctx, sampleClient("q", "c1", 0))
		}, func(ctx context.Context, s storage.Storage) error {
			if err := s.CreateClient(ctx, sampleClient("q", "c1", 0)); err == nil {
				return errBoom
			}
			return nil
		}},
	}
	for _, w := range quiet {
		t.Run(w.name+" announce nothing", func(t *testing.T) {
			s, ctx := open(t), t.Context()
			if w.setup != nil {
				mustNil(t, w.setup(ctx, s), "setup")
			}
			ch := s.Subscribe(ctx)
			barrier(t, s, ch, "setup flushed")
			mustNil(t, w.write(ctx, s), "write")
			mustNotMention(t, barrier(t, s, ch, "after write"), "q", w.name)
		})
	}

	t.Run("cancelling ctx closes the channel", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		ch := s.Subscribe(ctx)
		cancel()
		timer := time.NewTimer(deliveryTimeout)
		defer timer.Stop()
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-timer.C:
				t.Fatal("channel still open after its ctx ended")
			}
		}
	})

	t.Run("a slow subscriber gets a resync and never blocks writers", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		slow := s.Subscribe(ctx)
		const writes = 300 // well past any sane buffer
		done := make(chan error, 1)
		go func() {
			for i := range writes {
				_, err := s.UpdateTenantSettings(ctx, "w", func(ts storage.TenantSettings) (storage.TenantSettings, error) {
					ts.UpdatedAt = at(i)
					return ts, nil
				})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		select {
		case err := <-done:
			mustNil(t, err, "writes")
		case <-time.After(60 * time.Second):
			t.Fatal("writes blocked on a subscriber that does not read")
		}
		waitFor(t, slow, storage.Change{Kind: storage.KindResync})
	})
}
