package mgmt

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Actions: /api/v2/actions/actions (compat-spec §7). The draft is what
// these routes edit; deploying copies it into an immutable version
// (actions_versions.go); bindings put deployed Actions on a trigger
// (actions_bindings.go); builds install dependencies (actions_build.go).

// ActionTester runs an Action's saved draft on a given event for POST
// /actions/actions/{id}/test (implemented by the runtime's
// *actions.Runner). The answer is Auth0's test payload. An event the
// trigger cannot take is an error wrapping hooks.ErrPayload (a 400);
// code that throws or denies is part of the answer, not an error.
type ActionTester interface {
	TestAction(ctx context.Context, a storage.Action, triggerID string, event json.RawMessage) (json.RawMessage, error)
}

// Auth0's limits on an Action (compat-spec §7).
const (
	maxActionCode         = 100 * 1024
	maxActionSecrets      = 30
	maxActionSecretName   = 128
	maxActionSecretValue  = 4096
	maxActionDependencies = 10
	maxActionsPerTenant   = 100
	// maxActionName bounds names so lists and logs stay readable; Auth0
	// does not document its own bound.
	maxActionName = 255
)

// auth0ActionTriggers are the trigger ids Auth0 has. Listing by one this
// server does not run answers an empty list, as on a tenant without such
// Actions; creating one is refused (unknown to this server).
var auth0ActionTriggers = []string{
	"post-login", "credentials-exchange", "pre-user-registration", "post-user-registration",
	"post-change-password", "send-phone-message", "password-reset-post-challenge",
}

var (
	errNoAction        = newError(http.StatusNotFound, codeNotFound, "Action not found.")
	errNoActionVersion = newError(http.StatusNotFound, codeNotFound, "Action version not found.")
)

const msgActionNameTaken = "An action with the same name already exists."

// ---- wire types (node-auth0's generated models name every field) ----

type actionTriggerJSON struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

type actionDependencyJSON struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	RegistryURL string `json:"registry_url,omitempty"`
}

// actionSecretJSON is a secret as reads show it: never its value.
type actionSecretJSON struct {
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// actionErrorJSON is Auth0's build error {id, msg, url}.
type actionErrorJSON struct {
	ID  string `json:"id"`
	Msg string `json:"msg"`
	URL string `json:"url,omitempty"`
}

type actionJSON struct {
	ID                string                 `json:"id"`
	Name              string                 `json:"name"`
	SupportedTriggers []actionTriggerJSON    `json:"supported_triggers"`
	Code              string                 `json:"code"`
	Dependencies      []actionDependencyJSON `json:"dependencies"`
	Runtime           string                 `json:"runtime"`
	Secrets           []actionSecretJSON     `json:"secrets"`
	DeployedVersion   *actionVersionJSON     `json:"deployed_version,omitempty"`
	Status            string                 `json:"status"`
	// Errors is beyond Auth0's action object (its versions have it): why
	// the draft's build failed, so the editor can say so.
	Errors             []actionErrorJSON `json:"errors,omitempty"`
	AllChangesDeployed bool              `json:"all_changes_deployed"`
	BuiltAt            string            `json:"built_at,omitempty"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          string            `json:"updated_at"`
}

// actionSummaryJSON is the Action as a version shows it (Auth0 embeds
// this subset in version.action).
type actionSummaryJSON struct {
	ID                 string              `json:"id"`
	Name               string              `json:"name"`
	SupportedTriggers  []actionTriggerJSON `json:"supported_triggers"`
	AllChangesDeployed bool                `json:"all_changes_deployed"`
	CreatedAt          string              `json:"created_at"`
	UpdatedAt          string              `json:"updated_at"`
}

type actionVersionJSON struct {
	ID                string                 `json:"id"`
	ActionID          string                 `json:"action_id"`
	Code              string                 `json:"code"`
	Dependencies      []actionDependencyJSON `json:"dependencies"`
	Deployed          bool                   `json:"deployed"`
	Runtime           string                 `json:"runtime"`
	Secrets           []actionSecretJSON     `json:"secrets"`
	Status            string                 `json:"status"`
	Number            int                    `json:"number"`
	Errors            []actionErrorJSON      `json:"errors"`
	Action            *actionSummaryJSON     `json:"action,omitempty"`
	BuiltAt           string                 `json:"built_at,omitempty"`
	CreatedAt         string                 `json:"created_at"`
	UpdatedAt         string                 `json:"updated_at"`
	SupportedTriggers []actionTriggerJSON    `json:"supported_triggers"`
}

func triggersOut(in []storage.ActionTrigger) []actionTriggerJSON {
	out := make([]actionTriggerJSON, len(in))
	for i, t := range in {
		out[i] = actionTriggerJSON{ID: t.ID, Version: t.Version}
	}
	return out
}

func dependenciesOut(in []storage.ActionDependency) []actionDependencyJSON {
	out := make([]actionDependencyJSON, len(in))
	for i, d := range in {
		out[i] = actionDependencyJSON{Name: d.Name, Version: d.Version, RegistryURL: d.RegistryURL}
	}
	return out
}

func secretsOut(in []storage.ActionSecret) []actionSecretJSON {
	out := make([]actionSecretJSON, len(in))
	for i, s := range in {
		out[i] = actionSecretJSON{Name: s.Name}
		if !s.UpdatedAt.IsZero() {
			out[i].UpdatedAt = isoTime(s.UpdatedAt)
		}
	}
	return out
}

func optionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return isoTime(t)
}

func summaryOf(a storage.Action) *actionSummaryJSON {
	return &actionSummaryJSON{ID: a.ID, Name: a.Name, SupportedTriggers: triggersOut(a.SupportedTriggers),
		AllChangesDeployed: a.AllChangesDeployed, CreatedAt: isoTime(a.CreatedAt), UpdatedAt: isoTime(a.UpdatedAt)}
}

func versionOut(v storage.ActionVersion, a *storage.Action) actionVersionJSON {
	out := actionVersionJSON{
		ID: v.ID, ActionID: v.ActionID, Code: v.Code, Dependencies: dependenciesOut(v.Dependencies),
		Deployed: v.Deployed, Runtime: v.Runtime, Secrets: secretsOut(v.Secrets), Status: v.Status,
		Number: v.Number, Errors: []actionErrorJSON{}, BuiltAt: optionalTime(v.BuiltAt),
		CreatedAt: isoTime(v.CreatedAt), UpdatedAt: isoTime(v.UpdatedAt), SupportedTriggers: triggersOut(v.SupportedTriggers),
	}
	if a != nil {
		out.Action = summaryOf(*a)
	}
	return out
}

// actionOut is the Action's JSON; deployed is its deployed version when
// it has one (read by the caller, so lists can share one read per
// Action).
func actionOut(a storage.Action, deployed *storage.ActionVersion) actionJSON {
	out := actionJSON{
		ID: a.ID, Name: a.Name, SupportedTriggers: triggersOut(a.SupportedTriggers), Code: a.Code,
		Dependencies: dependenciesOut(a.Dependencies), Runtime: a.Runtime, Secrets: secretsOut(a.Secrets),
		Status: a.Status, AllChangesDeployed: a.AllChangesDeployed, BuiltAt: optionalTime(a.BuiltAt),
		CreatedAt: isoTime(a.CreatedAt), UpdatedAt: isoTime(a.UpdatedAt),
	}
	if a.Status == storage.ActionFailed && a.BuildError != "" {
		out.Errors = []actionErrorJSON{{ID: "build_failed", Msg: a.BuildError}}
	}
	if deployed != nil {
		v := versionOut(*deployed, &a)
		out.DeployedVersion = &v
	}
	return out
}

// actionWithVersion reads the deployed version of a and renders both.
func (a *API) actionWithVersion(ctx context.Context, act storage.Action) (actionJSON, error) {
	a.resumeBuild(act)
	if act.DeployedVersionID == "" {
		return actionOut(act, nil), nil
	}
	v, err := a.d.Store.GetActionVersion(ctx, a.d.Tenant, act.ID, act.DeployedVersionID)
	if errors.Is(err, storage.ErrNotFound) {
		// Deleted in between: the Action reads as not deployed.
		return actionOut(act, nil), nil
	}
	if err != nil {
		return actionJSON{}, err
	}
	return actionOut(act, &v), nil
}

// ---- request bodies ----

// actionTriggerIn is one supported trigger. Besides {id, version} it
// takes the read-only properties of a trigger as GET /actions/triggers
// shows it (and deploy-cli's url), so a trigger read there can be passed
// as is; they are ignored.
type actionTriggerIn struct {
	ID                 *string         `json:"id"`
	Version            *string         `json:"version"`
	URL                json.RawMessage `json:"url"`
	Status             json.RawMessage `json:"status"`
	Runtimes           json.RawMessage `json:"runtimes"`
	DefaultRuntime     json.RawMessage `json:"default_runtime"`
	CompatibleTriggers json.RawMessage `json:"compatible_triggers"`
	BindingPolicy      json.RawMessage `json:"binding_policy"`
}

type actionDependencyIn struct {
	Name        *string `json:"name"`
	Version     *string `json:"version"`
	RegistryURL *string `json:"registry_url"`
}

// actionSecretIn is a secret to set: with a value it is (re)set, without
// one an existing secret keeps its value. updated_at is accepted so that
// secrets read from this API can be written back.
type actionSecretIn struct {
	Name      *string `json:"name"`
	Value     *string `json:"value"`
	UpdatedAt *string `json:"updated_at"`
}

type actionIn struct {
	Name              *string               `json:"name"`
	SupportedTriggers *[]actionTriggerIn    `json:"supported_triggers"`
	Code              *string               `json:"code"`
	Dependencies      *[]actionDependencyIn `json:"dependencies"`
	Runtime           *string               `json:"runtime"`
	Secrets           *[]actionSecretIn     `json:"secrets"`
	// Modules (Auth0's Actions Modules) are not supported here; an empty
	// list, which exports from tenants with the feature carry, is accepted.
	Modules *[]json.RawMessage `json:"modules"`
	// InstalledIntegrationID names an Auth0 marketplace integration, which
	// this server has none of; deploy-cli's exports carry it empty.
	InstalledIntegrationID *string `json:"installed_integration_id"`
}

// checkNoModules refuses an Action that uses Actions Modules, naming them.
func checkNoModules(in actionIn) error {
	if in.Modules != nil && len(*in.Modules) > 0 {
		return errBodyOn("modules", "Actions Modules are not supported by this server; put the module's code in the action itself")
	}
	if in.InstalledIntegrationID != nil && *in.InstalledIntegrationID != "" {
		return errBodyOn("installed_integration_id", "Marketplace integrations are not supported by this server")
	}
	return nil
}

func validateActionName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return errBodyOn("name", "String is too short (0 chars), minimum 1")
	}
	if n > maxActionName {
		return errBodyOn("name", "String is too long (%d chars), maximum %d", n, maxActionName)
	}
	return nil
}

// parseTriggers checks supported_triggers: exactly one trigger this
// server runs, at the version it runs (an omitted version means that
// one). Auth0 has an Action target one trigger at a time.
func parseTriggers(in []actionTriggerIn) ([]storage.ActionTrigger, error) {
	if len(in) != 1 {
		return nil, errBodyOn("supported_triggers", "An action supports exactly one trigger (%d given)", len(in))
	}
	t := in[0]
	if t.ID == nil || *t.ID == "" {
		return nil, errBodyOn("supported_triggers[0]", "Missing required property: id")
	}
	tr, ok := actions.LookupTrigger(*t.ID)
	if !ok {
		return nil, errBodyOn("supported_triggers[0].id", "Trigger %q is not supported (supported: %s)", *t.ID, supportedTriggerList())
	}
	version := tr.Version
	if t.Version != nil && *t.Version != "" {
		if *t.Version != tr.Version {
			return nil, errBodyOn("supported_triggers[0].version", "Version %q of trigger %q is not supported (supported: %s)", *t.Version, tr.ID, tr.Version)
		}
	}
	return []storage.ActionTrigger{{ID: tr.ID, Version: version}}, nil
}

func supportedTriggerList() string {
	var s string
	for i, t := range actions.Triggers() {
		if i > 0 {
			s += ", "
		}
		s += t.ID + " " + t.Version
	}
	return s
}

// npmRegistry is the only registry dependencies install from.
const npmRegistry = "https://registry.npmjs.org"

func parseDependencies(in []actionDependencyIn) ([]storage.ActionDependency, error) {
	if len(in) > maxActionDependencies {
		return nil, errBodyOn("dependencies", "Array is too long (%d), maximum %d", len(in), maxActionDependencies)
	}
	out := make([]storage.ActionDependency, 0, len(in))
	seen := map[string]bool{}
	for i, d := range in {
		prop := "dependencies[" + strconv.Itoa(i) + "]"
		if d.Name == nil || *d.Name == "" {
			return nil, errBodyOn(prop, "Missing required property: name")
		}
		if d.Version == nil || *d.Version == "" {
			return nil, errBodyOn(prop, "Missing required property: version")
		}
		if seen[*d.Name] {
			return nil, errBodyOn(prop, "Dependency %q is listed twice", *d.Name)
		}
		seen[*d.Name] = true
		dep := storage.ActionDependency{Name: *d.Name, Version: *d.Version}
		if d.RegistryURL != nil && *d.RegistryURL != "" {
			u := *d.RegistryURL
			for len(u) > 0 && u[len(u)-1] == '/' {
				u = u[:len(u)-1]
			}
			if u != npmRegistry {
				return nil, errBodyOn(prop+".registry_url", "Only the public npm registry (%s) is supported", npmRegistry)
			}
			dep.RegistryURL = *d.RegistryURL
		}
		out = append(out, dep)
	}
	if err := validateNPM(out); err != nil {
		return nil, err
	}
	return out, nil
}

// applySecrets merges the secrets of a request into old: a secret with a
// value is set (its updated_at becomes now), one without keeps its value,
// and a name absent from the list is removed (Auth0's semantics of the
// secrets property of an update). Auth0's placeholder for a hidden value
// (storage.SecretUnset) is never a value: deploy-cli's exports hold names
// only and hand-made ones the placeholder, and importing either must not
// overwrite a secret set since. A new name without a value is created
// unset (undefined to the code until set, as hook secrets are); unset
// lists those names, for the tenant log.
func applySecrets(old []storage.ActionSecret, in []actionSecretIn, now time.Time) (out []storage.ActionSecret, unset []string, err error) {
	if len(in) > maxActionSecrets {
		return nil, nil, errBodyOn("secrets", "Array is too long (%d), maximum %d", len(in), maxActionSecrets)
	}
	out = make([]storage.ActionSecret, 0, len(in))
	seen := map[string]bool{}
	for i, s := range in {
		prop := "secrets[" + strconv.Itoa(i) + "]"
		if s.Name == nil || *s.Name == "" {
			return nil, nil, errBodyOn(prop, "Missing required property: name")
		}
		name := *s.Name
		if n := utf8.RuneCountInString(name); n > maxActionSecretName {
			return nil, nil, errBodyOn(prop+".name", "String is too long (%d chars), maximum %d", n, maxActionSecretName)
		}
		if seen[name] {
			return nil, nil, errBodyOn(prop, "Secret %q is listed twice", name)
		}
		seen[name] = true
		if s.Value != nil && *s.Value != storage.SecretUnset {
			if n := utf8.RuneCountInString(*s.Value); n > maxActionSecretValue {
				return nil, nil, errBodyOn(prop+".value", "String is too long (%d chars), maximum %d", n, maxActionSecretValue)
			}
			out = append(out, storage.ActionSecret{Name: name, Value: *s.Value, UpdatedAt: now})
			continue
		}
		i := slices.IndexFunc(old, func(o storage.ActionSecret) bool { return o.Name == name })
		if i < 0 {
			out = append(out, storage.ActionSecret{Name: name, Value: storage.SecretUnset, UpdatedAt: now})
			unset = append(unset, name)
			continue
		}
		out = append(out, old[i])
	}
	return out, unset, nil
}

func validateActionCode(code string) error {
	if len(code) > maxActionCode {
		return errBodyOn("code", "The code is too large (%d bytes), maximum %d", len(code), maxActionCode)
	}
	return nil
}

// legacyRuntimeNames are other names Auth0 gives the runtimes this
// server accepts: "node18-actions" is how Auth0 names Node 18 in Actions,
// so tenants exported from Auth0 carry it. It is kept as given, so an
// export imported here exports the same again.
var legacyRuntimeNames = []string{"node18-actions"}

func validateActionRuntime(rt string) error {
	if !slices.Contains(actions.Runtimes, rt) && !slices.Contains(legacyRuntimeNames, rt) {
		return errBodyOn("runtime", "No enum match for: %q (supported: %v)", rt, actions.Runtimes)
	}
	return nil
}

// newUUID is a random (version 4) UUID, the form of Auth0's Action,
// version and binding ids.
func newUUID(r io.Reader) string {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic(fmt.Sprintf("mgmt: no randomness for an id: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ---- handlers ----

func (a *API) createAction(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in actionIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return errBody("Missing required property: name")
	}
	if in.SupportedTriggers == nil {
		return errBody("Missing required property: supported_triggers")
	}
	if err := checkNoModules(in); err != nil {
		return err
	}
	if err := validateActionName(*in.Name); err != nil {
		return err
	}
	triggers, err := parseTriggers(*in.SupportedTriggers)
	if err != nil {
		return err
	}
	now := a.d.Now()
	act := storage.Action{
		Tenant: a.d.Tenant, ID: newUUID(a.d.Rand), Name: *in.Name, SupportedTriggers: triggers,
		Runtime: actions.DefaultRuntime, Dependencies: []storage.ActionDependency{}, Secrets: []storage.ActionSecret{},
		CreatedAt: now, UpdatedAt: now,
	}
	if in.Code != nil {
		act.Code = *in.Code
	}
	if in.Runtime != nil {
		if err := validateActionRuntime(*in.Runtime); err != nil {
			return err
		}
		act.Runtime = *in.Runtime
	}
	if in.Dependencies != nil {
		if act.Dependencies, err = parseDependencies(*in.Dependencies); err != nil {
			return err
		}
	}
	var unset []string
	if in.Secrets != nil {
		if act.Secrets, unset, err = applySecrets(nil, *in.Secrets, now); err != nil {
			return err
		}
	}
	if err := validateActionCode(act.Code); err != nil {
		return err
	}
	if err := a.checkActionCode(r.Context(), act.Code, act.Dependencies); err != nil {
		return err
	}
	plan, err := a.planBuild(act.Code, act.Dependencies, nil)
	if err != nil {
		return err
	}
	plan.apply(&act, now)
	_, total, err := a.d.Store.ListActions(r.Context(), a.d.Tenant, storage.ActionFilter{}, storage.Page{Page: 0, PerPage: 1})
	if err != nil {
		return err
	}
	if total >= maxActionsPerTenant {
		return newErrorf(http.StatusBadRequest, codeInvalidBody, "A tenant has at most %d actions; delete one before creating another.", maxActionsPerTenant)
	}
	if err := a.d.Store.CreateAction(r.Context(), act); err != nil {
		return conflictAs(err, msgActionNameTaken)
	}
	if plan.background {
		a.startBuild(act)
	}
	a.warnUnsetActionSecrets(r, act, unset)
	writeJSON(w, http.StatusCreated, actionOut(act, nil))
	return nil
}

func (a *API) listActions(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, []string{"page", "per_page"}, "triggerId", "actionName", "deployed", "installed")
	if err != nil {
		return err
	}
	var f storage.ActionFilter
	if v, ok := q.filters["triggerId"]; ok {
		if !slices.Contains(auth0ActionTriggers, v) {
			return errQuery("No enum match for triggerId: %q", v)
		}
		if _, ok := actions.LookupTrigger(v); !ok {
			// A trigger Auth0 has and this server does not run: no
			// Action can support it here.
			writeJSON(w, http.StatusOK, map[string]any{"total": 0, "page": q.page, "per_page": q.perPage, "actions": []any{}})
			return nil
		}
		f.TriggerID = v
	}
	f.Name = q.filters["actionName"]
	if f.Deployed, err = queryBool(q.filters["deployed"], "deployed", false); err != nil {
		return err
	}
	if f.Installed, err = queryBool(q.filters["installed"], "installed", false); err != nil {
		return err
	}
	list, total, err := a.d.Store.ListActions(r.Context(), a.d.Tenant, f, q.storagePage())
	if err != nil {
		return err
	}
	out := make([]actionJSON, 0, len(list))
	for _, act := range list {
		j, err := a.actionWithVersion(r.Context(), act)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "page": q.page, "per_page": q.perPage, "actions": out})
	return nil
}

func (a *API) getAction(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	act, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	out, err := a.actionWithVersion(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) updateAction(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in actionIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if err := checkNoModules(in); err != nil {
		return err
	}
	id := r.PathValue("id")
	old, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, id)
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	if in.Name != nil {
		if err := validateActionName(*in.Name); err != nil {
			return err
		}
	}
	var triggers []storage.ActionTrigger
	if in.SupportedTriggers != nil {
		if triggers, err = parseTriggers(*in.SupportedTriggers); err != nil {
			return err
		}
		if len(old.SupportedTriggers) > 0 && triggers[0].ID != old.SupportedTriggers[0].ID {
			// Bindings are per trigger: a bound Action cannot move to
			// another one (Auth0: "can't upgrade to this trigger").
			bound, err := a.boundTriggers(r.Context(), id)
			if err != nil {
				return err
			}
			if len(bound) > 0 {
				return errBodyOn("supported_triggers", "can't upgrade to this trigger: the action is bound to %s; unbind it first", bound[0])
			}
		}
	}
	if in.Runtime != nil {
		if err := validateActionRuntime(*in.Runtime); err != nil {
			return err
		}
	}
	var deps []storage.ActionDependency
	if in.Dependencies != nil {
		if deps, err = parseDependencies(*in.Dependencies); err != nil {
			return err
		}
	}
	now := a.d.Now()
	if in.Secrets != nil {
		// Checked here for the limits; merged with what is stored inside
		// the update.
		if _, _, err = applySecrets(old.Secrets, *in.Secrets, now); err != nil {
			return err
		}
	}
	code, codeDeps := old.Code, old.Dependencies
	if in.Code != nil {
		code = *in.Code
	}
	if in.Dependencies != nil {
		codeDeps = deps
	}
	rebuild := in.Code != nil || in.Dependencies != nil
	var plan buildPlan
	if rebuild {
		if err := validateActionCode(code); err != nil {
			return err
		}
		if err := a.checkActionCode(r.Context(), code, codeDeps); err != nil {
			return err
		}
		if plan, err = a.planBuild(code, codeDeps, &old); err != nil {
			return err
		}
	}
	var unset []string
	act, err := a.d.Store.UpdateAction(r.Context(), a.d.Tenant, id, func(act storage.Action) (storage.Action, error) {
		if in.Name != nil {
			act.Name = *in.Name
		}
		if in.SupportedTriggers != nil {
			act.SupportedTriggers = triggers
		}
		if in.Code != nil {
			act.Code = *in.Code
		}
		if in.Dependencies != nil {
			act.Dependencies = deps
		}
		if in.Runtime != nil {
			act.Runtime = *in.Runtime
		}
		if in.Secrets != nil {
			merged, created, err := applySecrets(act.Secrets, *in.Secrets, now)
			if err != nil {
				return act, err
			}
			act.Secrets, unset = merged, created
		}
		if rebuild {
			plan.apply(&act, now)
		}
		if in.SupportedTriggers != nil || in.Code != nil || in.Dependencies != nil || in.Runtime != nil || in.Secrets != nil {
			// What runs is the deployed version; the draft now differs.
			act.AllChangesDeployed = false
		}
		act.UpdatedAt = now
		return act, nil
	})
	if err != nil {
		return conflictAs(notFoundAs(err, errNoAction), msgActionNameTaken)
	}
	if rebuild && plan.background {
		a.startBuild(act)
	}
	a.warnUnsetActionSecrets(r, act, unset)
	out, err := a.actionWithVersion(r.Context(), act)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// warnUnsetActionSecrets records in the tenant log that secrets were
// created without a value (an import of deploy-cli's export, which holds
// names only), so whoever imported the tenant learns what to set.
func (a *API) warnUnsetActionSecrets(r *http.Request, act storage.Action, names []string) {
	if len(names) == 0 {
		return
	}
	names = slices.Sorted(slices.Values(names))
	list := strings.Join(names, ", ")
	a.d.Logger.Warn("action secrets created without a value", "action", act.Name, "action_id", act.ID, "secrets", list)
	a.recordWarning(r, fmt.Sprintf("Action %q: secret %s created without a value; event.secrets has no such key until it is set and the action deployed",
		act.Name, list),
		map[string]any{"action_id": act.ID, "action_name": act.Name, "unset_secrets": names})
}

// boundTriggers lists the triggers an Action is bound to.
func (a *API) boundTriggers(ctx context.Context, actionID string) ([]string, error) {
	var out []string
	for _, t := range actions.Triggers() {
		list, err := a.d.Store.ListActionBindings(ctx, a.d.Tenant, t.ID)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(list, func(b storage.ActionBinding) bool { return b.ActionID == actionID }) {
			out = append(out, t.ID)
		}
	}
	return out, nil
}

func (a *API) deleteAction(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, noParams, "force")
	if err != nil {
		return err
	}
	force, err := queryBool(q.filters["force"], "force", false)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, id); err != nil {
		return notFoundAs(err, errNoAction)
	}
	if !force {
		bound, err := a.boundTriggers(r.Context(), id)
		if err != nil {
			return err
		}
		if len(bound) > 0 {
			// Auth0's answer; force=true deletes the bindings with it.
			return errConflict("Unable to delete an action bound to a trigger.")
		}
	}
	// Deleting an Action deletes its versions and bindings (storage
	// contract), so force needs nothing more.
	if err := a.d.Store.DeleteAction(r.Context(), a.d.Tenant, id); err != nil {
		return notFoundAs(err, errNoAction)
	}
	writeNoContent(w)
	return nil
}
