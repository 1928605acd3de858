package mgmt

import (
	"net/http"
	"slices"

	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Deploying copies the draft (code, dependencies, runtime, secrets,
// triggers and its build) into a new immutable version that runs at once
// wherever the Action is bound. A rollback deploys a new version copied
// from an older one, as Auth0 does: version numbers only grow.

// errNotBuilt is Auth0's refusal of a deploy before the build finished;
// deploy-cli retries on this very wording.
func errNotBuilt(status string) *apiError {
	return newErrorf(http.StatusBadRequest, codeInvalidBody,
		"An action must be in the 'built' state before it can be deployed (it is %q).", status)
}

func (a *API) deployAction(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	// Auth0's deploy takes no body; one sent anyway is ignored.
	if _, _, err := readBody(w, r); err != nil {
		return err
	}
	var deployed, notBuilt storage.Action
	v, err := a.d.Store.DeployAction(r.Context(), a.d.Tenant, r.PathValue("id"), func(act storage.Action, number int) (storage.ActionVersion, storage.Action, error) {
		if act.Status == storage.ActionFailed {
			// Not the "built state" wording: deploy-cli retries on that one
			// for two minutes, and a failed build never becomes built.
			return storage.ActionVersion{}, act, newErrorf(http.StatusBadRequest, codeInvalidBody,
				"The action's build failed, so it cannot be deployed. %s", act.BuildError)
		}
		if act.Status != storage.ActionBuilt {
			notBuilt = act
			return storage.ActionVersion{}, act, errNotBuilt(act.Status)
		}
		now := a.d.Now()
		v := storage.ActionVersion{
			Tenant: a.d.Tenant, ID: newUUID(a.d.Rand), ActionID: act.ID, Number: number,
			Code: act.Code, Dependencies: slices.Clone(act.Dependencies), Runtime: act.Runtime,
			Secrets: slices.Clone(act.Secrets), SupportedTriggers: slices.Clone(act.SupportedTriggers),
			Engine: act.Engine, Modules: act.Modules, Status: storage.ActionBuilt, Deployed: true,
			BuiltAt: act.BuiltAt, CreatedAt: now, UpdatedAt: now,
		}
		act.DeployedVersionID, act.AllChangesDeployed, act.UpdatedAt = v.ID, true, now
		deployed = act
		return v, act, nil
	})
	if err != nil {
		if notBuilt.ID != "" {
			a.resumeBuild(notBuilt)
		}
		return notFoundAs(err, errNoAction)
	}
	writeJSON(w, http.StatusAccepted, versionOut(v, &deployed))
	return nil
}

// actionVersionDeployIn is the body of POST .../versions/{id}/deploy.
type actionVersionDeployIn struct {
	// UpdateDraft also makes the rolled-back code the draft.
	UpdateDraft *bool `json:"update_draft"`
}

func (a *API) deployActionVersion(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	raw, _, err := readBody(w, r)
	if err != nil {
		return err
	}
	var in actionVersionDeployIn
	// node-auth0 sends the JSON text null when called without a body.
	if string(raw) != "null" {
		if err := decodeJSON(raw, &in); err != nil {
			return err
		}
	}
	actionID, versionID := r.PathValue("id"), r.PathValue("versionId")
	if _, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, actionID); err != nil {
		return notFoundAs(err, errNoAction)
	}
	from, err := a.d.Store.GetActionVersion(r.Context(), a.d.Tenant, actionID, versionID)
	if err != nil {
		return notFoundAs(err, errNoActionVersion)
	}
	updateDraft := in.UpdateDraft != nil && *in.UpdateDraft
	var deployed storage.Action
	v, err := a.d.Store.DeployAction(r.Context(), a.d.Tenant, actionID, func(act storage.Action, number int) (storage.ActionVersion, storage.Action, error) {
		now := a.d.Now()
		v := from
		v.ID, v.Number, v.Deployed, v.CreatedAt, v.UpdatedAt = newUUID(a.d.Rand), number, true, now, now
		v.Dependencies, v.Secrets, v.SupportedTriggers = slices.Clone(from.Dependencies), slices.Clone(from.Secrets), slices.Clone(from.SupportedTriggers)
		act.DeployedVersionID, act.UpdatedAt = v.ID, now
		if updateDraft {
			act.Code, act.Dependencies, act.Runtime = v.Code, slices.Clone(v.Dependencies), v.Runtime
			act.Secrets, act.SupportedTriggers = slices.Clone(v.Secrets), slices.Clone(v.SupportedTriggers)
			act.Engine, act.Modules, act.Status, act.BuiltAt, act.BuildError = v.Engine, v.Modules, storage.ActionBuilt, v.BuiltAt, ""
		}
		act.AllChangesDeployed = draftMatches(act, v)
		deployed = act
		return v, act, nil
	})
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	writeJSON(w, http.StatusAccepted, versionOut(v, &deployed))
	return nil
}

// draftMatches reports whether the draft is what version v runs.
func draftMatches(act storage.Action, v storage.ActionVersion) bool {
	return act.Code == v.Code && act.Runtime == v.Runtime &&
		slices.Equal(act.Dependencies, v.Dependencies) &&
		slices.Equal(act.SupportedTriggers, v.SupportedTriggers) &&
		slices.EqualFunc(act.Secrets, v.Secrets, func(x, y storage.ActionSecret) bool { return x.Name == y.Name && x.Value == y.Value })
}

func (a *API) listActionVersions(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, []string{"page", "per_page"})
	if err != nil {
		return err
	}
	actionID := r.PathValue("id")
	act, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, actionID)
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	list, total, err := a.d.Store.ListActionVersions(r.Context(), a.d.Tenant, actionID, q.storagePage())
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	out := make([]actionVersionJSON, len(list))
	for i, v := range list {
		out[i] = versionOut(v, &act)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "page": q.page, "per_page": q.perPage, "versions": out})
	return nil
}

func (a *API) getActionVersion(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	actionID := r.PathValue("id")
	act, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, actionID)
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	v, err := a.d.Store.GetActionVersion(r.Context(), a.d.Tenant, actionID, r.PathValue("versionId"))
	if err != nil {
		return notFoundAs(err, errNoActionVersion)
	}
	writeJSON(w, http.StatusOK, versionOut(v, &act))
	return nil
}
