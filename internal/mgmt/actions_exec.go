package mgmt

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// The test endpoint and the executions: running an Action's draft on a
// given event, and reading what a token request's Actions did.

type actionTestIn struct {
	Payload json.RawMessage `json:"payload"`
}

func (a *API) testAction(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in actionTestIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if len(in.Payload) == 0 {
		return errBody("Missing required property: payload")
	}
	if jsonKind(in.Payload) != "object" {
		return errBodyOn("payload", "Expected type object but found type %s", jsonKind(in.Payload))
	}
	act, err := a.d.Store.GetAction(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoAction)
	}
	if a.d.Actions == nil {
		return newError(http.StatusBadRequest, codeOperationForbidden, "The action test runner is not configured on this server.")
	}
	if act.Status != storage.ActionBuilt || len(act.SupportedTriggers) == 0 {
		a.resumeBuild(act)
		return newErrorf(http.StatusBadRequest, codeInvalidBody, "An action must be in the 'built' state before it can be tested (it is %q).", act.Status)
	}
	// The test runs the saved draft (not the deployed version) on the
	// Action's trigger.
	out, err := a.d.Actions.TestAction(r.Context(), act, act.SupportedTriggers[0].ID, in.Payload)
	if errors.Is(err, hooks.ErrPayload) {
		return errBodyOn("payload", "%s", err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"payload": out})
	return nil
}

// executionRetention is how long Auth0 keeps executions.
const executionRetention = 10 * 24 * time.Hour

// executionDetails is what the token path records at details.actions of
// its tenant log event (the design's contract with the runtime).
type executionDetails struct {
	Executions []string `json:"executions"`
	TriggerID  string   `json:"trigger_id"`
	Results    []struct {
		ActionID   string `json:"action_id"`
		ActionName string `json:"action_name"`
		VersionID  string `json:"version_id"`
		StartedAt  string `json:"started_at"`
		EndedAt    string `json:"ended_at"`
		Error      *struct {
			ID  string `json:"id"`
			Msg string `json:"msg"`
		} `json:"error"`
	} `json:"results"`
}

type executionResultJSON struct {
	ActionName string           `json:"action_name"`
	Error      *actionErrorJSON `json:"error,omitempty"`
	StartedAt  string           `json:"started_at"`
	EndedAt    string           `json:"ended_at"`
}

type executionJSON struct {
	ID        string                `json:"id"`
	TriggerID string                `json:"trigger_id"`
	Status    string                `json:"status"`
	Results   []executionResultJSON `json:"results"`
	CreatedAt string                `json:"created_at"`
	UpdatedAt string                `json:"updated_at"`
}

var errNoExecution = newError(http.StatusNotFound, codeNotFound, "Execution not found.")

// getActionExecution reads an execution: the tenant log event of the
// token request whose log id is the execution id, kept 10 days.
func (a *API) getActionExecution(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	id := r.PathValue("id")
	ev, err := a.d.Store.GetLogEvent(r.Context(), a.d.Tenant, id)
	if err != nil {
		return notFoundAs(err, errNoExecution)
	}
	if a.d.Now().Sub(ev.Date) > executionRetention {
		return errNoExecution
	}
	raw, ok := ev.Details["actions"]
	if !ok || raw == nil {
		return errNoExecution
	}
	enc, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var d executionDetails
	if err := json.Unmarshal(enc, &d); err != nil {
		// Not the shape the token path writes: no execution here.
		return errNoExecution
	}
	out := executionJSON{ID: id, TriggerID: d.TriggerID, Status: "final", Results: []executionResultJSON{},
		CreatedAt: isoTime(ev.Date), UpdatedAt: isoTime(ev.Date)}
	for i, res := range d.Results {
		rj := executionResultJSON{ActionName: res.ActionName, StartedAt: res.StartedAt, EndedAt: res.EndedAt}
		if res.Error != nil {
			rj.Error = &actionErrorJSON{ID: res.Error.ID, Msg: res.Error.Msg}
			// An Action's failure stops the flow: the Actions after it
			// did not run.
			out.Status = "partial"
		}
		if i == 0 && res.StartedAt != "" {
			out.CreatedAt = normalizeTime(res.StartedAt, out.CreatedAt)
		}
		if res.EndedAt != "" {
			out.UpdatedAt = normalizeTime(res.EndedAt, out.UpdatedAt)
		}
		out.Results = append(out.Results, rj)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// normalizeTime renders an RFC 3339 time as Auth0's timestamps, or
// keeps fallback when s is not one.
func normalizeTime(s, fallback string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fallback
	}
	return isoTime(t)
}
