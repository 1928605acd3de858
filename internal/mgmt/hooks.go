package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/ids"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// HookTester runs hook code without saving it (implemented by
// *hooks.Runner, the same runner the token endpoint uses).
type HookTester interface {
	Test(ctx context.Context, trigger string, s hooks.Script, payload json.RawMessage) (hooks.Report, error)
}

// hookNamePattern is Auth0's, quoted verbatim in its validation message.
const hookNamePattern = `^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$`

var hookName = regexp.MustCompile(hookNamePattern)

// auth0Triggers are every triggerId Auth0 had. Listing by one this server
// does not run yet answers an empty list, as on a tenant without such hooks;
// creating one is refused, so nobody saves a hook that would never run.
var auth0Triggers = []string{
	"credentials-exchange", "pre-user-registration", "post-user-registration",
	"post-change-password", "send-phone-message", "password-exchange",
}

// hiddenTriggers are listed only when asked for by triggerId: Auth0's
// tools (deploy-cli's schema) know Auth0's five trigger ids only, and
// password-exchange is the one Auth0 never offered through this API, so
// an unfiltered list holds only what Auth0's list could hold.
var hiddenTriggers = []string{"password-exchange"}

// Secrets (compat-spec §3.3).
const (
	maxHookSecrets = 20
	// secretPlaceholder is what reads show instead of a value. It never
	// becomes a value: PATCHed back it keeps the stored value (tools that
	// read then write a hook's secrets would otherwise replace every real
	// secret with this text); POSTed for a new name (deploy-cli's import of
	// its own export) it creates the secret unset, listed by name, flagged
	// by GET /hooks/{id}/secrets/unset and absent from what the hook sees.
	secretPlaceholder = storage.SecretUnset
)

var (
	errNoHook       = newError(http.StatusNotFound, codeNotFound, "Hook not found.")
	errNoHookSecret = newError(http.StatusNotFound, codeNotFound, "Hook or secret not found.")
)

const (
	msgHookNameTaken   = "Hook with the same name already exists."
	msgSecretNameTaken = "Secret with the same name already exists."
)

// hookJSON is Auth0's hook object (compat-spec §4.1). Secrets are never part
// of it; they have their own write-mostly sub-resource.
type hookJSON struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Script       string            `json:"script"`
	Dependencies map[string]string `json:"dependencies"`
	Enabled      bool              `json:"enabled"`
	TriggerID    string            `json:"triggerId"`
	// Beyond Auth0: where the hook runs ("embedded" or "node"), the
	// versions npm installed for its dependencies, and whether their tree
	// is installed on this server.
	Runtime   string            `json:"runtime"`
	Installed map[string]string `json:"installed,omitempty"`
	Install   *hookInstall      `json:"install,omitempty"`
}

func (a *API) hookOut(h storage.Hook) hookJSON {
	deps := h.Dependencies
	if deps == nil {
		deps = map[string]string{}
	}
	rt := h.Runtime
	if rt == "" {
		rt = storage.RuntimeEmbedded
	}
	return hookJSON{ID: h.ID, Name: h.Name, Script: h.Script, Dependencies: deps, Enabled: h.Enabled, TriggerID: h.TriggerID,
		Runtime: rt, Installed: h.Resolved, Install: a.installOf(h)}
}

// hookCreateIn is the body of POST /hooks.
type hookCreateIn struct {
	Name         *string           `json:"name"`
	Script       *string           `json:"script"`
	TriggerID    *string           `json:"triggerId"`
	Enabled      *bool             `json:"enabled"`
	Dependencies map[string]string `json:"dependencies"`
	// Runtime is read-only (chosen from the code at save); accepted with
	// a known value so that a hook read here (deploy-cli's export) can be
	// written back.
	Runtime *string `json:"runtime"`
}

// hookPatchIn is the body of PATCH /hooks/{id}. triggerId is absent on
// purpose: it is immutable, so sending it is the strict decoder's 400
// "Additional properties not allowed: triggerId", Auth0's own answer.
type hookPatchIn struct {
	Name         *string            `json:"name"`
	Script       *string            `json:"script"`
	Enabled      *bool              `json:"enabled"`
	Dependencies *map[string]string `json:"dependencies"`
	Runtime      *string            `json:"runtime"`
}

// validateRuntime accepts the read-only runtime property with a value it
// can have; what the hook runs on is still decided by its code.
func validateRuntime(rt *string) error {
	if rt != nil && *rt != storage.RuntimeEmbedded && *rt != storage.RuntimeNode {
		return errBodyOn("runtime", "No enum match for: %q (read-only: %q or %q, chosen from the code)", *rt, storage.RuntimeEmbedded, storage.RuntimeNode)
	}
	return nil
}

func validateHookName(name string) error {
	if !hookName.MatchString(name) {
		return errBodyOn("name", "String does not match pattern: %s", hookNamePattern)
	}
	return nil
}

// validateScript refuses an empty script and, beyond Auth0, one that does
// not compile: Auth0 saved it and every token request then failed with
// "Unable to compile the extensibility code as javascript". Saying where
// the mistake is at save time keeps a typo from taking tokens down. The
// embedded engine's parser judges first (it is in process); when it
// refuses, Node's own compiler (when there is one) has the last word,
// since Node knows syntax the embedded parser does not (for await, the
// RegExp v flag), and names the mistake as Node would report it at run
// time. A script only Node parses then runs on Node (prepareCode).
func (a *API) validateScript(ctx context.Context, script string, deps map[string]string) error {
	if script == "" {
		return errBodyOn("script", "String is too short (0 chars), minimum 1")
	}
	err := hooks.Check(script)
	var ce *sandbox.CompileError
	if errors.As(err, &ce) && a.d.CheckNode != nil && (runsOnNode(script, deps) || a.d.NodeAvailable == nil || a.d.NodeAvailable() == nil) {
		if nodeErr := a.d.CheckNode(ctx, script); nodeErr == nil || errors.As(nodeErr, &ce) {
			err = nodeErr
		}
	}
	return compileProblem(err)
}

// compileProblem turns a *sandbox.CompileError into a 400 naming the line and
// column; other errors pass through.
func compileProblem(err error) error {
	var ce *sandbox.CompileError
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Line > 0 {
		return errBodyOn("script", "Script does not compile: line %d, column %d: %s", ce.Line, ce.Column, ce.Message)
	}
	return errBodyOn("script", "Script does not compile: %s", ce.Message)
}

func validateDependencies(deps map[string]string) error {
	for name := range deps {
		if name == "" {
			return errBodyOn("dependencies", "Invalid property name: %q", name)
		}
	}
	return nil
}

func (a *API) createHook(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in hookCreateIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	for _, req := range []struct {
		name string
		set  bool
	}{{"name", in.Name != nil}, {"script", in.Script != nil}, {"triggerId", in.TriggerID != nil}} {
		if !req.set {
			return errBody("Missing required property: %s", req.name)
		}
	}
	if err := validateHookName(*in.Name); err != nil {
		return err
	}
	if !slices.Contains(auth0Triggers, *in.TriggerID) {
		return errBodyOn("triggerId", "No enum match for: %q", *in.TriggerID)
	}
	if !hooks.KnownTrigger(*in.TriggerID) {
		return errBodyOn("triggerId", "Hooks at %q are not supported yet (supported: %v)", *in.TriggerID, hooks.Triggers)
	}
	if err := validateDependencies(in.Dependencies); err != nil {
		return err
	}
	if err := validateRuntime(in.Runtime); err != nil {
		return err
	}
	if err := a.validateScript(r.Context(), *in.Script, in.Dependencies); err != nil {
		return err
	}
	// Dependencies are installed before the hook exists: a failed install
	// saves nothing.
	code, err := a.prepareCode(r.Context(), *in.Script, in.Dependencies, nil)
	if err != nil {
		return err
	}
	now := a.d.Now()
	h := storage.Hook{
		Tenant: a.d.Tenant, ID: ids.HookID(a.d.Rand, now), Name: *in.Name, Script: *in.Script,
		TriggerID: *in.TriggerID, Enabled: in.Enabled != nil && *in.Enabled,
		Dependencies: in.Dependencies, CreatedAt: now, UpdatedAt: now,
	}
	if h.Dependencies == nil {
		h.Dependencies = map[string]string{}
	}
	code.apply(&h)
	// Enabling here disables the trigger's other hooks in the same
	// transaction (storage contract; compat-spec §3.3).
	if err := a.d.Store.CreateHook(r.Context(), h); err != nil {
		return conflictAs(err, msgHookNameTaken)
	}
	writeJSON(w, http.StatusCreated, a.hookOut(h))
	return nil
}

func (a *API) listHooks(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, checkpointParams, "enabled", "triggerId")
	if err != nil {
		return err
	}
	var f storage.HookFilter
	if v, ok := q.filters["enabled"]; ok {
		enabled, err := queryBool(v, "enabled", false)
		if err != nil {
			return err
		}
		f.Enabled = &enabled
	}
	if v, ok := q.filters["triggerId"]; ok {
		if !slices.Contains(auth0Triggers, v) {
			return errQuery("No enum match for triggerId: %q", v)
		}
		f.TriggerID = v
	} else {
		f.ExcludeTriggers = hiddenTriggers
	}
	list, total, err := readPage(&q, func(p storage.Page) ([]storage.Hook, int, error) {
		return a.d.Store.ListHooks(r.Context(), a.d.Tenant, f, p)
	})
	if err != nil {
		return err
	}
	out := make([]hookJSON, len(list))
	for i, h := range list {
		out[i] = a.hookOut(h)
	}
	return writeList(w, "hooks", out, total, q)
}

func (a *API) getHook(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	h, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoHook)
	}
	return writeOne(w, http.StatusOK, a.hookOut(h), q.sel)
}

func (a *API) updateHook(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in hookPatchIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if err := validateRuntime(in.Runtime); err != nil {
		return err
	}
	if in.Name != nil {
		if err := validateHookName(*in.Name); err != nil {
			return err
		}
	}
	if in.Script != nil {
		// Compiled outside the storage transaction: it is CPU work that
		// needs nothing stored but the dependencies that pick the runtime.
		var deps map[string]string
		if in.Dependencies != nil {
			deps = *in.Dependencies
		} else if old, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, r.PathValue("id")); err == nil {
			deps = old.Dependencies
		}
		if err := a.validateScript(r.Context(), *in.Script, deps); err != nil {
			return err
		}
	}
	if in.Dependencies != nil {
		if err := validateDependencies(*in.Dependencies); err != nil {
			return err
		}
	}
	// New code or dependencies are installed before the update, outside
	// its transaction (npm takes seconds): a failure changes nothing, so the
	// previous version keeps running.
	var (
		code       *hookCode
		codeScript string
		codeDeps   map[string]string
	)
	if in.Script != nil || in.Dependencies != nil {
		old, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, r.PathValue("id"))
		if err != nil {
			return notFoundAs(err, errNoHook)
		}
		codeScript, codeDeps = old.Script, old.Dependencies
		if in.Script != nil {
			codeScript = *in.Script
		}
		if in.Dependencies != nil {
			codeDeps = *in.Dependencies
		}
		c, err := a.prepareCode(r.Context(), codeScript, codeDeps, &old)
		if err != nil {
			return err
		}
		code = &c
	}
	h, err := a.d.Store.UpdateHook(r.Context(), a.d.Tenant, r.PathValue("id"), func(h storage.Hook) (storage.Hook, error) {
		if in.Name != nil {
			h.Name = *in.Name
		}
		if in.Script != nil {
			h.Script = *in.Script
		}
		if in.Enabled != nil {
			h.Enabled = *in.Enabled
		}
		if in.Dependencies != nil {
			h.Dependencies = *in.Dependencies
			if h.Dependencies == nil {
				h.Dependencies = map[string]string{}
			}
		}
		if code != nil {
			// Another write may have changed the code while npm ran; what
			// was installed must be what is saved.
			if h.Script != codeScript || !maps.Equal(h.Dependencies, codeDeps) && !(len(h.Dependencies) == 0 && len(codeDeps) == 0) {
				return h, errConflict("The hook was changed while its dependencies were being installed; retry.")
			}
			code.apply(&h)
		}
		h.UpdatedAt = a.d.Now()
		return h, nil
	})
	if err != nil {
		if errors.Is(err, storage.ErrConflict) && in.Name == nil {
			// Without a rename the only unique key at stake is "one
			// enabled hook per trigger": two enables raced.
			return errConflict("Another hook of this trigger was enabled at the same time; retry.")
		}
		return conflictAs(notFoundAs(err, errNoHook), msgHookNameTaken)
	}
	writeJSON(w, http.StatusOK, a.hookOut(h))
	return nil
}

func (a *API) deleteHook(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.d.Store.DeleteHook(r.Context(), a.d.Tenant, id); err != nil {
		return notFoundAs(err, errNoHook)
	}
	if a.d.HookLogs != nil {
		a.d.HookLogs.Forget(id)
	}
	writeNoContent(w)
	return nil
}

// ---- secrets (compat-spec §3.3, §4.1) ----

// decodeSecrets reads a {"NAME": "value", ...} body: 1 to 20 properties,
// string values. A form body is accepted too, like every other write.
func decodeSecrets(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	raw, form, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if form {
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload form format")
		}
		for k, v := range vals {
			if len(v) != 1 {
				return nil, errBodyOn(k, "Expected type string but found type array")
			}
			out[k] = v[0]
		}
	} else {
		if !json.Valid(raw) {
			return nil, newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, errBody("Expected type object but found type %s", jsonKind(raw))
		}
		for k, v := range obj {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, errBodyOn(k, "Expected type string but found type %s", jsonKind(v))
			}
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil, errBody("Too few properties defined (0), must be at least 1")
	}
	if len(out) > maxHookSecrets {
		return nil, errBody("Too many properties defined (%d), must be at most %d", len(out), maxHookSecrets)
	}
	if _, ok := out[""]; ok {
		return nil, errBody("Invalid property name: \"\"")
	}
	return out, nil
}

func (a *API) getHookSecrets(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	h, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoHook)
	}
	out := make(map[string]string, len(h.Secrets))
	for k := range h.Secrets {
		out[k] = secretPlaceholder
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) addHookSecrets(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	in, err := decodeSecrets(w, r)
	if err != nil {
		return err
	}
	// The placeholder creates the secret without a value (stored as
	// storage.SecretUnset): an export holds only placeholders, so its
	// import creates every secret by name and the operator sets the values.
	h, err := a.d.Store.UpdateHook(r.Context(), a.d.Tenant, r.PathValue("id"), func(h storage.Hook) (storage.Hook, error) {
		secrets := maps.Clone(h.Secrets)
		if secrets == nil {
			secrets = map[string]string{}
		}
		for k, v := range in {
			if _, ok := secrets[k]; ok {
				return h, errConflict(msgSecretNameTaken)
			}
			secrets[k] = v
		}
		if len(secrets) > maxHookSecrets {
			return h, errBodyOn("secrets", "A hook has at most %d secrets (it would have %d)", maxHookSecrets, len(secrets))
		}
		h.Secrets = secrets
		h.UpdatedAt = a.d.Now()
		return h, nil
	})
	if err != nil {
		return notFoundAs(err, errNoHook)
	}
	var unset []string
	for k, v := range in {
		if v == secretPlaceholder {
			unset = append(unset, k)
		}
	}
	if len(unset) > 0 {
		slices.Sort(unset)
		a.warnUnsetSecrets(r, h, unset)
	}
	writeJSON(w, http.StatusCreated, struct{}{})
	return nil
}

// warnUnsetSecrets records in the tenant log that secrets were created
// without a value, so whoever imported a tenant learns what to set.
func (a *API) warnUnsetSecrets(r *http.Request, h storage.Hook, names []string) {
	list := strings.Join(names, ", ")
	a.d.Logger.Warn("hook secrets created without a value", "hook", h.Name, "hook_id", h.ID, "secrets", list)
	a.recordWarning(r, fmt.Sprintf("Hook %q: secret %s created without a value (%s); the hook sees it as undefined until it is set",
		h.Name, list, secretPlaceholder),
		map[string]any{"hook_id": h.ID, "hook_name": h.Name, "unset_secrets": names})
}

// recordWarning puts a warning ("w") event about the request r in the
// tenant log, when there is one.
func (a *API) recordWarning(r *http.Request, description string, details map[string]any) {
	if a.d.Events == nil {
		return
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	a.d.Events.Record(storage.LogEvent{
		Tenant: a.d.Tenant, Date: a.d.Now(), Type: eventlog.Warning, IP: ip, UserAgent: r.UserAgent(),
		Description: description, Details: details,
	})
}

// getUnsetHookSecrets is GET /hooks/{id}/secrets/unset (beyond Auth0): the
// names of the hook's secrets that have no value yet, sorted.
func (a *API) getUnsetHookSecrets(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	h, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoHook)
	}
	out := h.UnsetSecrets()
	if out == nil {
		out = []string{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) updateHookSecrets(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	in, err := decodeSecrets(w, r)
	if err != nil {
		return err
	}
	_, err = a.d.Store.UpdateHook(r.Context(), a.d.Tenant, r.PathValue("id"), func(h storage.Hook) (storage.Hook, error) {
		secrets := maps.Clone(h.Secrets)
		for k, v := range in {
			if _, ok := secrets[k]; !ok {
				return h, errNoHookSecret
			}
			if v != secretPlaceholder {
				secrets[k] = v
			}
		}
		h.Secrets = secrets
		h.UpdatedAt = a.d.Now()
		return h, nil
	})
	if err != nil {
		return notFoundAs(err, errNoHookSecret)
	}
	// 201 is Auth0's documented status for this PATCH.
	writeJSON(w, http.StatusCreated, struct{}{})
	return nil
}

func (a *API) deleteHookSecrets(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	raw, _, err := readBody(w, r)
	if err != nil {
		return err
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return errBody("Expected type array of strings but found %s", jsonKind(raw))
	}
	if len(names) == 0 {
		return errBody("Array is too short (0), minimum 1")
	}
	_, err = a.d.Store.UpdateHook(r.Context(), a.d.Tenant, r.PathValue("id"), func(h storage.Hook) (storage.Hook, error) {
		secrets := maps.Clone(h.Secrets)
		// Names the hook does not have are ignored: deleting is
		// idempotent, so a retried request does not fail.
		for _, n := range names {
			delete(secrets, n)
		}
		h.Secrets = secrets
		h.UpdatedAt = a.d.Now()
		return h, nil
	})
	if err != nil {
		return notFoundAs(err, errNoHook)
	}
	writeNoContent(w)
	return nil
}

// ---- runner and logs (beyond Auth0) ----

// hookRunIn is the body of POST /hooks/{id}/run.
type hookRunIn struct {
	// Script, when given, runs instead of the saved code: edited code
	// tried with the hook's stored secrets, still without saving.
	Script  *string           `json:"script"`
	Payload json.RawMessage   `json:"payload"`
	Secrets map[string]string `json:"secrets"`
}

// hookRunUnsavedIn is the body of POST /hooks/run.
type hookRunUnsavedIn struct {
	TriggerID *string           `json:"triggerId"`
	Script    *string           `json:"script"`
	Name      *string           `json:"name"`
	Payload   json.RawMessage   `json:"payload"`
	Secrets   map[string]string `json:"secrets"`
	// Dependencies are installed as a save would install them.
	Dependencies map[string]string `json:"dependencies"`
}

// unsavedName tags the console lines of unsaved code on the live stream.
const unsavedName = "(unsaved)"

func (a *API) runSavedHook(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in hookRunIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	h, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoHook)
	}
	secrets := maps.Clone(h.SetSecrets())
	if secrets == nil {
		secrets = map[string]string{}
	}
	for k, v := range in.Secrets {
		// A placeholder copied from a read means "the stored one".
		if v != secretPlaceholder {
			secrets[k] = v
		}
	}
	source := h.Script
	if in.Script != nil {
		if err := a.validateScript(r.Context(), *in.Script, h.Dependencies); err != nil {
			return err
		}
		source = *in.Script
	}
	code := hookCode{Runtime: h.Runtime, Modules: h.Modules}
	if in.Script != nil {
		// Edited code may pin other packages inline: installed as a save
		// would, so the run is what saving would run.
		if code, err = a.prepareCode(r.Context(), source, h.Dependencies, &h); err != nil {
			return err
		}
	}
	return a.runHook(w, r, h.TriggerID, hooks.Script{Tenant: a.d.Tenant, ID: h.ID, Name: h.Name, Source: source, Secrets: secrets, Runtime: code.Runtime, Modules: code.Modules}, in.Payload)
}

func (a *API) runUnsavedHook(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in hookRunUnsavedIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if in.TriggerID == nil {
		return errBody("Missing required property: triggerId")
	}
	if in.Script == nil {
		return errBody("Missing required property: script")
	}
	if !hooks.KnownTrigger(*in.TriggerID) {
		return errBodyOn("triggerId", "No enum match for: %q", *in.TriggerID)
	}
	// A compile error is the same 400 as at save time, with its line and
	// column: the runner is where code is being edited, and the report's
	// error (what a token request would get) carries no position.
	if err := a.validateScript(r.Context(), *in.Script, in.Dependencies); err != nil {
		return err
	}
	name := unsavedName
	if in.Name != nil {
		name = *in.Name
	}
	if err := validateDependencies(in.Dependencies); err != nil {
		return err
	}
	code, err := a.prepareCode(r.Context(), *in.Script, in.Dependencies, nil)
	if err != nil {
		return err
	}
	return a.runHook(w, r, *in.TriggerID, hooks.Script{Tenant: a.d.Tenant, Name: name, Source: *in.Script, Secrets: withoutPlaceholders(in.Secrets), Runtime: code.Runtime, Modules: code.Modules}, in.Payload)
}

func (a *API) runHook(w http.ResponseWriter, r *http.Request, trigger string, s hooks.Script, payload json.RawMessage) error {
	if a.d.Hooks == nil {
		return newError(http.StatusServiceUnavailable, codeOperationForbidden, "Hooks are not enabled on this server")
	}
	rep, err := a.d.Hooks.Test(r.Context(), trigger, s, payload)
	if errors.Is(err, hooks.ErrPayload) {
		return errBodyOn("payload", "%s", err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) recentHookLogs(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.d.Store.GetHook(r.Context(), a.d.Tenant, id); err != nil {
		return notFoundAs(err, errNoHook)
	}
	lines := []hooks.LogEntry{}
	if a.d.HookLogs != nil {
		lines = append(lines, a.d.HookLogs.Recent(id)...)
	}
	writeJSON(w, http.StatusOK, lines)
	return nil
}

// listExtensibilityPoints serves hooks' point table (beyond Auth0): the
// dashboard and the CLI read each point's label, arguments, starter code
// and runner payload from here instead of keeping copies of their own.
func (a *API) listExtensibilityPoints(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hooks.Points())
	return nil
}

// withoutPlaceholders drops placeholder values from secrets given to the
// runner: the placeholder is never a value.
func withoutPlaceholders(in map[string]string) map[string]string {
	return storage.Hook{Secrets: in}.SetSecrets()
}
