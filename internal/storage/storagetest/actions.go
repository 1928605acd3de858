package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

const triggerPostLogin = "post-login"

func sampleAction(tenant, id, name string, created int, triggers ...string) storage.Action {
	a := storage.Action{
		Tenant:       tenant,
		ID:           id,
		Name:         name,
		Code:         "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://x/" + id + "', 1); };",
		Dependencies: []storage.ActionDependency{{Name: "lodash", Version: "4.17.21"}, {Name: "private", Version: "1.0.0", RegistryURL: "https://npm.example.com"}},
		Runtime:      "node22",
		Secrets: []storage.ActionSecret{
			{Name: "API_KEY", Value: "action-secret-of-" + id, UpdatedAt: at(created)},
			{Name: "OTHER", Value: "second-" + id, UpdatedAt: at(created + 1)},
		},
		Status:    storage.ActionBuilt,
		BuiltAt:   at(created),
		Engine:    storage.RuntimeNode,
		Modules:   "sha256-of-" + id,
		CreatedAt: at(created),
		UpdatedAt: at(created),
	}
	for _, tr := range triggers {
		v := "v2"
		if tr == triggerPostLogin {
			v = "v3"
		}
		a.SupportedTriggers = append(a.SupportedTriggers, storage.ActionTrigger{ID: tr, Version: v})
	}
	return a
}

// deployDraft deploys a's current draft as version id, the way the
// Management API does: the version copies the draft, the Action records it.
func deployDraft(t *testing.T, s storage.Storage, tenant, actionID, versionID string, when int) storage.ActionVersion {
	t.Helper()
	v, err := s.DeployAction(t.Context(), tenant, actionID, func(a storage.Action, number int) (storage.ActionVersion, storage.Action, error) {
		v := storage.ActionVersion{
			ID: versionID, Number: number, Code: a.Code, Dependencies: a.Dependencies, Runtime: a.Runtime,
			Secrets: a.Secrets, SupportedTriggers: a.SupportedTriggers, Engine: a.Engine, Modules: a.Modules,
			Status: storage.ActionBuilt, Deployed: true, BuiltAt: at(when), CreatedAt: at(when), UpdatedAt: at(when),
		}
		a.DeployedVersionID, a.AllChangesDeployed, a.UpdatedAt = versionID, true, at(when)
		return v, a, nil
	})
	mustNil(t, err, "deploy "+versionID)
	return v
}

func actionNames(list []storage.Action) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Name)
	}
	return out
}

func versionNumbers(list []storage.ActionVersion) []int {
	var out []int
	for _, v := range list {
		out = append(out, v.Number)
	}
	return out
}

func bindingIDs(list []storage.ActionBinding) []string {
	var out []string
	for _, b := range list {
		out = append(out, b.ID)
	}
	return out
}

func binding(id, actionID, display string, created int) storage.ActionBinding {
	return storage.ActionBinding{ID: id, ActionID: actionID, DisplayName: display, CreatedAt: at(created), UpdatedAt: at(created)}
}

// changesAfter returns the tenant's catalog changes after seq.
func changesAfter(t *testing.T, s storage.Storage, tenant string, seq int64) []storage.Change {
	t.Helper()
	list, _, err := s.CatalogChanges(t.Context(), tenant, seq, 1000)
	mustNil(t, err, "catalog changes")
	return list
}

func testActions(t *testing.T, open func(t *testing.T) storage.Storage) {
	t.Run("create get round-trips secrets and everything else", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := sampleAction("t1", "a1", "claims", 0, triggerCCE, triggerPostLogin)
		want.BuildError = "line 1"
		want.Status = storage.ActionFailed
		mustNil(t, s.CreateAction(ctx, want), "create")
		got, err := s.GetAction(ctx, "t1", "a1")
		mustNil(t, err, "get")
		mustEqual(t, got, want, "action")

		bare := storage.Action{Tenant: "t1", ID: "a2", Name: "bare", Code: "", Status: storage.ActionPending, CreatedAt: at(1), UpdatedAt: at(1)}
		mustNil(t, s.CreateAction(ctx, bare), "create bare")
		got, err = s.GetAction(ctx, "t1", "a2")
		mustNil(t, err, "get bare")
		mustEqual(t, got, bare, "bare action: nothing invented")
	})

	t.Run("not found and name conflicts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.GetAction(ctx, "t1", "missing")
		mustIs(t, err, storage.ErrNotFound, "get")
		mustIs(t, s.DeleteAction(ctx, "t1", "missing"), storage.ErrNotFound, "delete")
		_, err = s.UpdateAction(ctx, "t1", "missing", func(a storage.Action) (storage.Action, error) { return a, nil })
		mustIs(t, err, storage.ErrNotFound, "update")
		_, err = s.DeployAction(ctx, "t1", "missing", func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
			t.Fatal("fn called for a missing action")
			return storage.ActionVersion{}, a, nil
		})
		mustIs(t, err, storage.ErrNotFound, "deploy")
		_, _, err = s.ListActionVersions(ctx, "t1", "missing", storage.Page{})
		mustIs(t, err, storage.ErrNotFound, "versions of a missing action")
		_, err = s.GetActionVersion(ctx, "t1", "missing", "v1")
		mustIs(t, err, storage.ErrNotFound, "version")
		mustIs(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{binding("b1", "missing", "x", 0)}), storage.ErrNotFound, "bind a missing action")

		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create a1")
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a2", "two", 0, triggerCCE)), "create a2")
		mustIs(t, s.CreateAction(ctx, sampleAction("t1", "a3", "one", 0, triggerCCE)), storage.ErrConflict, "same name")
		mustIs(t, s.CreateAction(ctx, sampleAction("t1", "a1", "three", 0, triggerCCE)), storage.ErrConflict, "same id")
		mustNil(t, s.CreateAction(ctx, sampleAction("t2", "a1", "one", 0, triggerCCE)), "same id and name in another tenant")
		_, err = s.UpdateAction(ctx, "t1", "a2", func(a storage.Action) (storage.Action, error) { a.Name = "one"; return a, nil })
		mustIs(t, err, storage.ErrConflict, "rename onto a taken name")
		_, err = s.GetActionVersion(ctx, "t1", "a1", "v1")
		mustIs(t, err, storage.ErrNotFound, "version of an undeployed action")
		list, total, err := s.ListActionVersions(ctx, "t1", "a1", storage.Page{})
		mustNil(t, err, "versions of an undeployed action")
		if len(list) != 0 || total != 0 {
			t.Fatalf("undeployed action has versions: %+v (%d)", list, total)
		}
	})

	t.Run("update is read-modify-write and keeps the deployed version", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create")
		deployDraft(t, s, "t1", "a1", "v1", 1)
		_, err := s.UpdateAction(ctx, "t1", "a1", func(a storage.Action) (storage.Action, error) { a.Code = "changed"; return a, errBoom })
		mustIs(t, err, errBoom, "aborted update")
		got, err := s.UpdateAction(ctx, "t1", "a1", func(a storage.Action) (storage.Action, error) {
			a.Tenant, a.ID = "other", "other"
			a.Code, a.AllChangesDeployed, a.DeployedVersionID = "exports.onExecuteCredentialsExchange = async () => {};", false, ""
			a.Secrets = nil
			a.SupportedTriggers = []storage.ActionTrigger{{ID: triggerPostLogin, Version: "v3"}}
			a.UpdatedAt = at(2)
			return a, nil
		})
		mustNil(t, err, "update")
		want := sampleAction("t1", "a1", "one", 0, triggerPostLogin)
		want.Code, want.Secrets, want.UpdatedAt, want.DeployedVersionID = "exports.onExecuteCredentialsExchange = async () => {};", nil, at(2), "v1"
		mustEqual(t, got, want, "returned")
		stored, err := s.GetAction(ctx, "t1", "a1")
		mustNil(t, err, "get")
		mustEqual(t, stored, want, "stored")
		v, err := s.GetActionVersion(ctx, "t1", "a1", "v1")
		mustNil(t, err, "version")
		mustEqual(t, v.Code, sampleAction("t1", "a1", "one", 0).Code, "the deployed version does not follow the draft")
		mustEqual(t, len(v.Secrets), 2, "version keeps its secrets")
	})

	t.Run("list filters, sorts by name and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "charlie", 0, triggerCCE)), "charlie")
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a2", "alpha", 1, triggerPostLogin)), "alpha")
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a3", "bravo", 2, triggerCCE, triggerPostLogin)), "bravo")
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a4", "delta", 3)), "delta")
		mustNil(t, s.CreateAction(ctx, sampleAction("t2", "a5", "echo", 3, triggerCCE)), "other tenant")
		deployDraft(t, s, "t1", "a1", "v1", 4)
		deployDraft(t, s, "t1", "a2", "v2", 4)
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerPostLogin, []storage.ActionBinding{binding("b1", "a2", "alpha", 5), binding("b2", "a3", "bravo", 5)}), "bind")

		for _, c := range []struct {
			f    storage.ActionFilter
			want []string
		}{
			{storage.ActionFilter{}, []string{"alpha", "bravo", "charlie", "delta"}},
			{storage.ActionFilter{TriggerID: triggerCCE}, []string{"bravo", "charlie"}},
			{storage.ActionFilter{TriggerID: triggerPostLogin}, []string{"alpha", "bravo"}},
			{storage.ActionFilter{TriggerID: "pre-user-registration"}, nil},
			{storage.ActionFilter{Name: "bravo"}, []string{"bravo"}},
			{storage.ActionFilter{Name: "brav"}, nil},
			{storage.ActionFilter{Deployed: true}, []string{"alpha", "charlie"}},
			{storage.ActionFilter{Installed: true}, []string{"alpha", "bravo"}},
			{storage.ActionFilter{Installed: true, Deployed: true}, []string{"alpha"}},
			{storage.ActionFilter{TriggerID: triggerCCE, Deployed: true}, []string{"charlie"}},
		} {
			list, total, err := s.ListActions(ctx, "t1", c.f, storage.Page{})
			mustNil(t, err, "list")
			mustEqual(t, actionNames(list), c.want, fmt.Sprintf("filter %+v", c.f))
			mustEqual(t, total, len(c.want), fmt.Sprintf("total of %+v", c.f))
		}
		list, total, err := s.ListActions(ctx, "t1", storage.ActionFilter{}, storage.Page{Page: 1, PerPage: 3})
		mustNil(t, err, "page")
		mustEqual(t, actionNames(list), []string{"delta"}, "second page")
		mustEqual(t, total, 4, "total with a page")
		mustEqual(t, list[0], sampleAction("t1", "a4", "delta", 3), "listed actions are whole")
	})

	t.Run("deploy numbers versions and moves the deployed flag", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create")
		_, err := s.DeployAction(ctx, "t1", "a1", func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
			return storage.ActionVersion{ID: "never"}, a, errBoom
		})
		mustIs(t, err, errBoom, "aborted deploy")
		_, err = s.GetActionVersion(ctx, "t1", "a1", "never")
		mustIs(t, err, storage.ErrNotFound, "aborted deploy stored nothing")

		v1 := deployDraft(t, s, "t1", "a1", "v1", 1)
		src := sampleAction("t1", "a1", "one", 0, triggerCCE)
		want := storage.ActionVersion{
			Tenant: "t1", ID: "v1", ActionID: "a1", Number: 1, Code: src.Code, Dependencies: src.Dependencies, Runtime: src.Runtime,
			Secrets: src.Secrets, SupportedTriggers: src.SupportedTriggers, Engine: src.Engine, Modules: src.Modules,
			Status: storage.ActionBuilt, Deployed: true, BuiltAt: at(1), CreatedAt: at(1), UpdatedAt: at(1),
		}
		mustEqual(t, v1, want, "deployed version as returned")
		got, err := s.GetActionVersion(ctx, "t1", "a1", "v1")
		mustNil(t, err, "get v1")
		mustEqual(t, got, want, "deployed version as stored")
		a, err := s.GetAction(ctx, "t1", "a1")
		mustNil(t, err, "get action")
		mustEqual(t, a.DeployedVersionID, "v1", "action names its deployed version")
		mustEqual(t, a.AllChangesDeployed, true, "action as fn returned it")

		v2 := deployDraft(t, s, "t1", "a1", "v2", 2)
		mustEqual(t, v2.Number, 2, "second number")
		got, err = s.GetActionVersion(ctx, "t1", "a1", "v1")
		mustNil(t, err, "get v1 again")
		mustEqual(t, got.Deployed, false, "v1 no longer deployed")
		_, err = s.GetActionVersion(ctx, "t2", "a1", "v1")
		mustIs(t, err, storage.ErrNotFound, "another tenant's version")

		// A rollback deploys an old version's content as a new version.
		v3, err := s.DeployAction(ctx, "t1", "a1", func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
			old, err := s.GetActionVersion(ctx, "t1", "a1", "v1")
			if err != nil {
				return storage.ActionVersion{}, a, err
			}
			old.ID, old.Number, old.Deployed, old.CreatedAt, old.UpdatedAt = "v3", n, true, at(3), at(3)
			a.Code, a.AllChangesDeployed = old.Code, true
			return old, a, nil
		})
		mustNil(t, err, "roll back")
		mustEqual(t, v3.Number, 3, "a rollback is a new number")
		mustEqual(t, v3.Code, v1.Code, "rolled back code")
		list, total, err := s.ListActionVersions(ctx, "t1", "a1", storage.Page{})
		mustNil(t, err, "list versions")
		mustEqual(t, versionNumbers(list), []int{3, 2, 1}, "newest first")
		mustEqual(t, total, 3, "total")
		var deployed []string
		for _, v := range list {
			if v.Deployed {
				deployed = append(deployed, v.ID)
			}
		}
		mustEqual(t, deployed, []string{"v3"}, "exactly one deployed")
		list, total, err = s.ListActionVersions(ctx, "t1", "a1", storage.Page{Page: 1, PerPage: 2})
		mustNil(t, err, "page of versions")
		mustEqual(t, versionNumbers(list), []int{1}, "second page")
		mustEqual(t, total, 3, "total with a page")
	})

	t.Run("deploy keeps the newest versions only", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create")
		n := storage.MaxActionVersions + 2
		for i := 1; i <= n; i++ {
			deployDraft(t, s, "t1", "a1", fmt.Sprintf("v%02d", i), i)
		}
		list, total, err := s.ListActionVersions(ctx, "t1", "a1", storage.Page{})
		mustNil(t, err, "list")
		mustEqual(t, total, storage.MaxActionVersions, "kept")
		mustEqual(t, len(list), storage.MaxActionVersions, "listed")
		mustEqual(t, list[0].Number, n, "newest kept")
		mustEqual(t, list[0].Deployed, true, "newest deployed")
		mustEqual(t, list[len(list)-1].Number, n-storage.MaxActionVersions+1, "oldest kept")
		_, err = s.GetActionVersion(ctx, "t1", "a1", "v01")
		mustIs(t, err, storage.ErrNotFound, "oldest pruned")
		v := deployDraft(t, s, "t1", "a1", "next", n+1)
		mustEqual(t, v.Number, n+1, "numbering continues after pruning")
	})

	t.Run("concurrent deploys take distinct numbers", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create")
		const deploys = 8
		var wg sync.WaitGroup
		errs := make(chan error, deploys)
		for i := range deploys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.DeployAction(ctx, "t1", "a1", func(a storage.Action, n int) (storage.ActionVersion, storage.Action, error) {
					return storage.ActionVersion{ID: fmt.Sprintf("v%d", i), CreatedAt: at(i), UpdatedAt: at(i)}, a, nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustNil(t, err, "concurrent deploy")
		}
		list, _, err := s.ListActionVersions(ctx, "t1", "a1", storage.Page{})
		mustNil(t, err, "list")
		mustEqual(t, versionNumbers(list), []int{8, 7, 6, 5, 4, 3, 2, 1}, "numbers")
		a, err := s.GetAction(ctx, "t1", "a1")
		mustNil(t, err, "get")
		mustEqual(t, a.DeployedVersionID, list[0].ID, "the last deploy is the deployed one")
	})

	t.Run("bindings keep their order and are replaced whole", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i, id := range []string{"a1", "a2", "a3"} {
			mustNil(t, s.CreateAction(ctx, sampleAction("t1", id, "name-"+id, i, triggerCCE)), "create "+id)
		}
		none, err := s.ListActionBindings(ctx, "t1", triggerCCE)
		mustNil(t, err, "no bindings")
		mustEqual(t, len(none), 0, "no bindings")

		set := []storage.ActionBinding{binding("b3", "a3", "third", 1), binding("b1", "a1", "first", 2), binding("b2", "a2", "second", 3)}
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerCCE, set), "set")
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerPostLogin, []storage.ActionBinding{binding("p1", "a1", "login", 4)}), "set other trigger")
		got, err := s.ListActionBindings(ctx, "t1", triggerCCE)
		mustNil(t, err, "list")
		want := make([]storage.ActionBinding, len(set))
		for i, b := range set {
			b.Tenant, b.TriggerID = "t1", triggerCCE
			want[i] = b
		}
		mustEqual(t, got, want, "bindings in the order set")

		mustNil(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{set[2], set[0]}), "reorder and drop")
		got, err = s.ListActionBindings(ctx, "t1", triggerCCE)
		mustNil(t, err, "list after")
		mustEqual(t, bindingIDs(got), []string{"b2", "b3"}, "replaced")

		mustIs(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{set[0], binding("bx", "missing", "x", 5)}), storage.ErrNotFound, "a missing action")
		mustIs(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{set[0], set[0]}), storage.ErrConflict, "one binding id twice")
		got, err = s.ListActionBindings(ctx, "t1", triggerCCE)
		mustNil(t, err, "list after failures")
		mustEqual(t, bindingIDs(got), []string{"b2", "b3"}, "failed writes change nothing")
		got, err = s.ListActionBindings(ctx, "t1", triggerPostLogin)
		mustNil(t, err, "other trigger")
		mustEqual(t, bindingIDs(got), []string{"p1"}, "other trigger untouched")
		got, err = s.ListActionBindings(ctx, "t2", triggerCCE)
		mustNil(t, err, "other tenant")
		mustEqual(t, len(got), 0, "other tenant sees none")
		mustIs(t, s.SetActionBindings(ctx, "t2", triggerCCE, []storage.ActionBinding{binding("b9", "a1", "x", 5)}), storage.ErrNotFound, "another tenant's action")

		mustNil(t, s.SetActionBindings(ctx, "t1", triggerCCE, nil), "clear")
		got, err = s.ListActionBindings(ctx, "t1", triggerCCE)
		mustNil(t, err, "list cleared")
		mustEqual(t, len(got), 0, "cleared")
	})

	t.Run("delete takes versions and bindings with it", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create a1")
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a2", "two", 0, triggerCCE)), "create a2")
		deployDraft(t, s, "t1", "a1", "v1", 1)
		deployDraft(t, s, "t1", "a1", "v2", 2)
		deployDraft(t, s, "t1", "a2", "w1", 2)
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{binding("b1", "a1", "one", 3), binding("b2", "a2", "two", 3)}), "bind")

		mustNil(t, s.DeleteAction(ctx, "t1", "a1"), "delete")
		_, err := s.GetAction(ctx, "t1", "a1")
		mustIs(t, err, storage.ErrNotFound, "action gone")
		_, err = s.GetActionVersion(ctx, "t1", "a1", "v1")
		mustIs(t, err, storage.ErrNotFound, "versions gone")
		got, err := s.ListActionBindings(ctx, "t1", triggerCCE)
		mustNil(t, err, "bindings")
		mustEqual(t, bindingIDs(got), []string{"b2"}, "its binding gone, the other kept")
		bound, err := s.ListBoundActions(ctx, "t1")
		mustNil(t, err, "bound")
		mustEqual(t, len(bound), 1, "one bound action left")

		// The name and ids are free again.
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 4, triggerCCE)), "recreate")
		list, total, err := s.ListActionVersions(ctx, "t1", "a1", storage.Page{})
		mustNil(t, err, "versions of the new one")
		if len(list) != 0 || total != 0 {
			t.Fatalf("recreated action inherited versions: %+v", list)
		}
		v := deployDraft(t, s, "t1", "a1", "v1", 5)
		mustEqual(t, v.Number, 1, "numbering starts over")
	})

	t.Run("writes that change what runs announce actions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		seq := func() int64 {
			_, latest, err := s.CatalogChanges(ctx, "t1", 0, 1)
			mustNil(t, err, "latest")
			return latest
		}
		announced := func(before int64, what string) int64 {
			t.Helper()
			got := changesAfter(t, s, "t1", before)
			mustEqual(t, got, []storage.Change{{Tenant: "t1", Kind: "actions", Seq: before + 1}}, what)
			return before + 1
		}
		quiet := func(before int64, what string) {
			t.Helper()
			mustEqual(t, len(changesAfter(t, s, "t1", before)), 0, what+" announces nothing")
		}
		n := seq()
		mustNil(t, s.CreateAction(ctx, sampleAction("t1", "a1", "one", 0, triggerCCE)), "create")
		quiet(n, "create")
		_, err := s.UpdateAction(ctx, "t1", "a1", func(a storage.Action) (storage.Action, error) { a.Code = "draft"; return a, nil })
		mustNil(t, err, "edit draft")
		quiet(n, "a draft edit")
		deployDraft(t, s, "t1", "a1", "v1", 1)
		n = announced(n, "deploy")
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{binding("b1", "a1", "one", 2)}), "bind")
		n = announced(n, "bindings")
		_, err = s.UpdateAction(ctx, "t1", "a1", func(a storage.Action) (storage.Action, error) { a.Name = "renamed"; return a, nil })
		mustNil(t, err, "rename")
		n = announced(n, "rename (bound actions run under their name)")
		mustNil(t, s.DeleteAction(ctx, "t1", "a1"), "delete")
		n = announced(n, "delete")
		mustIs(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{binding("b1", "a1", "one", 2)}), storage.ErrNotFound, "failed bind")
		quiet(n, "a failed write")
		mustEqual(t, s.CommittedCatalogSeq("t1"), n, "committed here")
	})

	t.Run("tenants with the same ids stay apart", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, tenant := range []string{"ta", "tb"} {
			a := sampleAction(tenant, "same-action", "same-name", 0, triggerCCE)
			a.Code = "// " + tenant
			mustNil(t, s.CreateAction(ctx, a), "create "+tenant)
			deployDraft(t, s, tenant, "same-action", "same-version", 1)
			mustNil(t, s.SetActionBindings(ctx, tenant, triggerCCE, []storage.ActionBinding{binding("same-binding", "same-action", tenant, 2)}), "bind "+tenant)
		}
		mustNil(t, s.DeleteAction(ctx, "ta", "same-action"), "delete ta's")
		v, err := s.GetActionVersion(ctx, "tb", "same-action", "same-version")
		mustNil(t, err, "tb's version")
		mustEqual(t, v.Code, "// tb", "tb's version code")
		bound, err := s.ListBoundActions(ctx, "tb")
		mustNil(t, err, "tb bound")
		if len(bound) != 1 || bound[0].Binding.DisplayName != "tb" || bound[0].Version.Code != "// tb" {
			t.Fatalf("tb's bound actions: %+v", bound)
		}
		bound, err = s.ListBoundActions(ctx, "ta")
		mustNil(t, err, "ta bound")
		mustEqual(t, len(bound), 0, "ta's gone")
	})

	t.Run("the catalog holds each trigger's deployed bound actions in order", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i, id := range []string{"a1", "a2", "a3", "a4"} {
			mustNil(t, s.CreateAction(ctx, sampleAction("t1", id, "name-"+id, i, triggerCCE, triggerPostLogin)), "create "+id)
		}
		mustNil(t, s.CreateAction(ctx, sampleAction("t2", "a1", "name-a1", 0, triggerCCE)), "other tenant's")
		v1 := deployDraft(t, s, "t1", "a1", "v1", 5)
		v2 := deployDraft(t, s, "t1", "a2", "v2", 5)
		deployDraft(t, s, "t1", "a3", "v3old", 5)
		v3 := deployDraft(t, s, "t1", "a3", "v3", 6)
		deployDraft(t, s, "t2", "a1", "x1", 6)
		// a4 is bound but never deployed: it runs nothing.
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerPostLogin, []storage.ActionBinding{binding("p1", "a4", "four", 7), binding("p2", "a1", "one", 7)}), "bind login")
		mustNil(t, s.SetActionBindings(ctx, "t1", triggerCCE, []storage.ActionBinding{binding("c1", "a3", "three", 7), binding("c2", "a1", "one", 7), binding("c3", "a2", "two", 7)}), "bind cce")
		mustNil(t, s.SetActionBindings(ctx, "t2", triggerCCE, []storage.ActionBinding{binding("c9", "a1", "x", 7)}), "bind other tenant")
		_, err := s.UpdateAction(ctx, "t1", "a1", func(a storage.Action) (storage.Action, error) { a.Name = "renamed"; return a, nil })
		mustNil(t, err, "rename")

		bound := func(b storage.ActionBinding, trigger, name string, v storage.ActionVersion) storage.BoundAction {
			b.Tenant, b.TriggerID = "t1", trigger
			return storage.BoundAction{Binding: b, ActionName: name, Version: v}
		}
		want := []storage.BoundAction{
			bound(binding("c1", "a3", "three", 7), triggerCCE, "name-a3", v3),
			bound(binding("c2", "a1", "one", 7), triggerCCE, "renamed", v1),
			bound(binding("c3", "a2", "two", 7), triggerCCE, "name-a2", v2),
			bound(binding("p2", "a1", "one", 7), triggerPostLogin, "renamed", v1),
		}
		cat, err := s.LoadCatalog(ctx, "t1")
		mustNil(t, err, "load")
		mustEqual(t, cat.BoundActions, want, "catalog bound actions")
		got, err := s.ListBoundActions(ctx, "t1")
		mustNil(t, err, "list bound")
		mustEqual(t, got, want, "bound actions read alone")
		if got[0].Version.Secrets[0].Value != "action-secret-of-a3" {
			t.Fatalf("the running version's secrets are not opened: %+v", got[0].Version.Secrets)
		}
	})
}
