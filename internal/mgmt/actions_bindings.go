package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Triggers and their bindings: a trigger runs its bound Actions (their
// deployed versions) in the order of its bindings, after the enabled hook
// of its hook point.

// triggerJSON is a trigger as GET /actions/triggers shows it.
type triggerJSON struct {
	ID                 string              `json:"id"`
	Version            string              `json:"version"`
	Status             string              `json:"status"`
	Runtimes           []string            `json:"runtimes"`
	DefaultRuntime     string              `json:"default_runtime"`
	BindingPolicy      string              `json:"binding_policy"`
	CompatibleTriggers []actionTriggerJSON `json:"compatible_triggers"`
	// Beyond Auth0's fields: what the dashboard and the CLI show and start
	// from, served from the trigger table so neither keeps a copy.
	Label        string          `json:"label"`
	RunsOn       string          `json:"runs_on"`
	StarterCode  string          `json:"starter_code"`
	DefaultEvent json.RawMessage `json:"default_event"`
}

func (a *API) listActionTriggers(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	out := []triggerJSON{}
	for _, t := range actions.Triggers() {
		out = append(out, triggerJSON{
			ID: t.ID, Version: t.Version, Status: "CURRENT", Runtimes: append([]string(nil), actions.Runtimes...),
			DefaultRuntime: actions.DefaultRuntime, BindingPolicy: "trigger-bound", CompatibleTriggers: []actionTriggerJSON{},
			Label: t.Label, RunsOn: t.RunsOn, StarterCode: t.StarterCode, DefaultEvent: actions.DefaultEvent(t.ID),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"triggers": out})
	return nil
}

type bindingJSON struct {
	ID          string     `json:"id"`
	TriggerID   string     `json:"trigger_id"`
	DisplayName string     `json:"display_name"`
	Action      actionJSON `json:"action"`
	CreatedAt   string     `json:"created_at"`
	UpdatedAt   string     `json:"updated_at"`
}

// bindingTrigger reads the {triggerId} of a bindings route: a trigger
// this server runs, or a 400.
func bindingTrigger(r *http.Request) (*actions.Trigger, error) {
	id := r.PathValue("triggerId")
	if t, ok := actions.LookupTrigger(id); ok {
		return t, nil
	}
	return nil, newErrorf(http.StatusBadRequest, codeInvalidURI, "Path validation error: 'Trigger %q is not supported (supported: %s)' on property triggerId.", id, supportedTriggerList())
}

func (a *API) bindingsOut(ctx context.Context, list []storage.ActionBinding) ([]bindingJSON, error) {
	out := make([]bindingJSON, 0, len(list))
	for _, b := range list {
		act, err := a.d.Store.GetAction(ctx, a.d.Tenant, b.ActionID)
		if errors.Is(err, storage.ErrNotFound) {
			// Deleted in between (a delete removes its bindings).
			continue
		}
		if err != nil {
			return nil, err
		}
		aj, err := a.actionWithVersion(ctx, act)
		if err != nil {
			return nil, err
		}
		out = append(out, bindingJSON{ID: b.ID, TriggerID: b.TriggerID, DisplayName: b.DisplayName, Action: aj,
			CreatedAt: isoTime(b.CreatedAt), UpdatedAt: isoTime(b.UpdatedAt)})
	}
	return out, nil
}

func (a *API) listActionBindings(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, []string{"page", "per_page"})
	if err != nil {
		return err
	}
	if id := r.PathValue("triggerId"); slices.Contains(auth0ActionTriggers, id) {
		if _, ok := actions.LookupTrigger(id); !ok {
			// A trigger Auth0 has and this server does not run: nothing
			// is bound to it.
			writeJSON(w, http.StatusOK, map[string]any{"total": 0, "page": q.page, "per_page": q.perPage, "bindings": []any{}})
			return nil
		}
	}
	t, err := bindingTrigger(r)
	if err != nil {
		return err
	}
	list, err := a.d.Store.ListActionBindings(r.Context(), a.d.Tenant, t.ID)
	if err != nil {
		return err
	}
	page := pageOf(list, &q)
	out, err := a.bindingsOut(r.Context(), page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(list), "page": q.page, "per_page": q.perPage, "bindings": out})
	return nil
}

// bindingRefIn names the Action of a binding.
type bindingRefIn struct {
	Type  *string `json:"type"`
	Value *string `json:"value"`
}

type bindingIn struct {
	Ref         *bindingRefIn     `json:"ref"`
	DisplayName *string           `json:"display_name"`
	Secrets     *[]actionSecretIn `json:"secrets"`
}

type bindingsIn struct {
	Bindings *[]bindingIn `json:"bindings"`
}

// maxDisplayName bounds a binding's display name like an Action's name.
const maxDisplayName = maxActionName

func (a *API) updateActionBindings(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in bindingsIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if id := r.PathValue("triggerId"); slices.Contains(auth0ActionTriggers, id) && in.Bindings != nil && len(*in.Bindings) == 0 {
		if _, ok := actions.LookupTrigger(id); !ok {
			// Emptying an Auth0 trigger this server does not run is what
			// it already is: a deploy-cli triggers.json whose Actions of
			// other triggers were removed keeps such a trigger as [].
			writeJSON(w, http.StatusOK, map[string]any{"bindings": []any{}})
			return nil
		}
	}
	t, err := bindingTrigger(r)
	if err != nil {
		return err
	}
	if in.Bindings == nil {
		return errBody("Missing required property: bindings")
	}
	if len(*in.Bindings) > actions.MaxBindings {
		return errBodyOn("bindings", "Array is too long (%d), maximum %d: a trigger runs at most %d actions", len(*in.Bindings), actions.MaxBindings, actions.MaxBindings)
	}
	ctx := r.Context()
	current, err := a.d.Store.ListActionBindings(ctx, a.d.Tenant, t.ID)
	if err != nil {
		return err
	}
	now := a.d.Now()
	list := make([]storage.ActionBinding, 0, len(*in.Bindings))
	seen := map[string]bool{}
	for i, b := range *in.Bindings {
		prop := "bindings[" + strconv.Itoa(i) + "]"
		act, existing, err := a.resolveBindingRef(ctx, t.ID, prop, b.Ref, current)
		if err != nil {
			return err
		}
		if b.Secrets != nil && len(*b.Secrets) > 0 {
			return errBodyOn(prop+".secrets", "Secrets of a binding are not supported; set them on the action")
		}
		if !supportsTrigger(act, t.ID) {
			return errBodyOn(prop, "The action %q does not support the trigger %s", act.Name, t.ID)
		}
		if act.DeployedVersionID == "" {
			return errBodyOn(prop, "The action %q is not deployed yet: deploy it before binding it", act.Name)
		}
		if seen[act.ID] {
			return errBodyOn(prop, "The action %q is bound twice", act.Name)
		}
		seen[act.ID] = true
		display := act.Name
		if b.DisplayName != nil && *b.DisplayName != "" {
			display = *b.DisplayName
		} else if existing != nil {
			display = existing.DisplayName
		}
		if n := utf8.RuneCountInString(display); n > maxDisplayName {
			return errBodyOn(prop+".display_name", "String is too long (%d chars), maximum %d", n, maxDisplayName)
		}
		nb := storage.ActionBinding{Tenant: a.d.Tenant, ID: newUUID(a.d.Rand), TriggerID: t.ID, ActionID: act.ID,
			DisplayName: display, CreatedAt: now, UpdatedAt: now}
		if existing == nil {
			// An Action bound before keeps its binding (id, created_at)
			// whichever way it is referred to.
			for _, c := range current {
				if c.ActionID == act.ID {
					existing = &c
					break
				}
			}
		}
		if existing != nil {
			nb.ID, nb.CreatedAt = existing.ID, existing.CreatedAt
			if existing.DisplayName == display && existing.ActionID == act.ID {
				nb.UpdatedAt = existing.UpdatedAt
			}
		}
		list = append(list, nb)
	}
	if err := a.d.Store.SetActionBindings(ctx, a.d.Tenant, t.ID, list); err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
			// An Action was deleted, or the bindings rewritten, meanwhile.
			return errConflict("The trigger's bindings or actions changed during the update; retry.")
		}
		return err
	}
	out, err := a.bindingsOut(ctx, list)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"bindings": out})
	return nil
}

func supportsTrigger(act storage.Action, triggerID string) bool {
	for _, t := range act.SupportedTriggers {
		if t.ID == triggerID {
			return true
		}
	}
	return false
}

// resolveBindingRef finds the Action a ref names: by id, by name, or by
// an existing binding of this trigger (returned too).
func (a *API) resolveBindingRef(ctx context.Context, triggerID, prop string, ref *bindingRefIn, current []storage.ActionBinding) (storage.Action, *storage.ActionBinding, error) {
	if ref == nil {
		return storage.Action{}, nil, errBodyOn(prop, "Missing required property: ref")
	}
	if ref.Type == nil || ref.Value == nil || *ref.Value == "" {
		return storage.Action{}, nil, errBodyOn(prop+".ref", "Missing required property: type and value")
	}
	value := *ref.Value
	notFound := func(what string) error {
		return errBodyOn(prop+".ref", "No %s %q", what, value)
	}
	switch *ref.Type {
	case "action_id":
		act, err := a.d.Store.GetAction(ctx, a.d.Tenant, value)
		if errors.Is(err, storage.ErrNotFound) {
			return act, nil, notFound("action with id")
		}
		return act, nil, err
	case "action_name":
		list, _, err := a.d.Store.ListActions(ctx, a.d.Tenant, storage.ActionFilter{Name: value}, storage.Page{Page: 0, PerPage: maxPerPage})
		if err != nil {
			return storage.Action{}, nil, err
		}
		for _, act := range list {
			if act.Name == value {
				return act, nil, nil
			}
		}
		return storage.Action{}, nil, notFound("action named")
	case "binding_id":
		for i := range current {
			if current[i].ID == value {
				act, err := a.d.Store.GetAction(ctx, a.d.Tenant, current[i].ActionID)
				if errors.Is(err, storage.ErrNotFound) {
					return act, nil, notFound("binding with id")
				}
				return act, &current[i], err
			}
		}
		return storage.Action{}, nil, errBodyOn(prop+".ref", "No binding with id %q on trigger %s", value, triggerID)
	}
	typ, _ := json.Marshal(*ref.Type)
	return storage.Action{}, nil, errBodyOn(prop+".ref.type", "No enum match for: %s (expected action_id, action_name or binding_id)", typ)
}
