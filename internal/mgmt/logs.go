package mgmt

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// logEventJSON is Auth0's log event. Empty properties are omitted, as Auth0
// omits what an event does not carry.
type logEventJSON struct {
	LogID       string         `json:"log_id"`
	Date        string         `json:"date"`
	Type        string         `json:"type"`
	Description string         `json:"description,omitempty"`
	ClientID    string         `json:"client_id,omitempty"`
	ClientName  string         `json:"client_name,omitempty"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	UserID      string         `json:"user_id,omitempty"`
	UserName    string         `json:"user_name,omitempty"`
	Audience    string         `json:"audience,omitempty"`
	Scope       string         `json:"scope,omitempty"`
	Hook        string         `json:"hook,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

func logEventOut(e storage.LogEvent) logEventJSON {
	out := logEventJSON{
		LogID:       e.LogID,
		Date:        isoTime(e.Date),
		Type:        e.Type,
		Description: e.Description,
		ClientID:    e.ClientID,
		ClientName:  e.ClientName,
		IP:          e.IP,
		UserAgent:   e.UserAgent,
		UserID:      e.UserID,
		UserName:    e.UserName,
		Audience:    e.Audience,
		Scope:       e.Scope,
		Details:     e.Details,
	}
	// compat-spec §4.2 lists "hook" among the event's properties: the
	// hook's name. The token endpoint records the run in Details["hook"]
	// as {id, name, trigger, duration_ms, outcome}, which stays in details
	// for whoever needs the duration and outcome.
	switch h := e.Details["hook"].(type) {
	case string:
		out.Hook = h
	case map[string]any:
		out.Hook, _ = h["name"].(string)
	}
	return out
}

var errNoLog = newError(http.StatusNotFound, "inexistent_log", "The log does not exist")

// parseLogQuery reads the subset of Auth0's Lucene syntax the store can
// answer: field:value terms (value optionally quoted) joined by AND, on
// type, client_id and user_id.
func parseLogQuery(q string) (storage.LogQuery, error) {
	var out storage.LogQuery
	q = strings.TrimSpace(q)
	if q == "" {
		return out, nil
	}
	for _, term := range splitAND(q) {
		field, value, ok := strings.Cut(strings.TrimSpace(term), ":")
		if !ok || value == "" {
			return out, errQuery("Invalid q: expected field:value terms joined by AND")
		}
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		if value == "" || strings.ContainsAny(value, `"*? `) {
			return out, errQuery("Invalid q: unsupported value %q", value)
		}
		var dst *string
		switch field {
		case "type":
			dst = &out.Type
		case "client_id":
			dst = &out.ClientID
		case "user_id":
			dst = &out.UserID
		default:
			return out, errQuery("Invalid q: searching by %q is not supported (supported: type, client_id, user_id)", field)
		}
		if *dst != "" && *dst != value {
			return out, errQuery("Invalid q: %s is given twice", field)
		}
		*dst = value
	}
	return out, nil
}

// splitAND splits on the AND operator, which Lucene spells in upper case.
func splitAND(q string) []string {
	var out []string
	for {
		before, after, ok := strings.Cut(q, " AND ")
		out = append(out, before)
		if !ok {
			return out
		}
		q = after
	}
}

func (a *API) listLogs(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, listParams, "q", "sort", "from", "take")
	if err != nil {
		return err
	}
	_, hasFrom := q.filters["from"]
	if _, hasTake := q.filters["take"]; hasFrom || hasTake {
		return a.listLogsFrom(w, r, q)
	}
	lq, err := parseLogQuery(q.filters["q"])
	if err != nil {
		return err
	}
	if lq.OldestFirst, err = parseLogSort(q.filters["sort"]); err != nil {
		return err
	}
	return a.writeLogPage(w, r, lq, q)
}

// writeLogPage reads and writes the page q asks for of the events lq
// selects: a bare array, or with include_totals Auth0's
// {"start", "limit", "length", "total", "logs"}.
func (a *API) writeLogPage(w http.ResponseWriter, r *http.Request, lq storage.LogQuery, q listQuery) error {
	// Auth0 pages through the first 1000 events only; the rest are
	// reached by narrowing q. Every page is read by an index.
	if (q.page+1)*q.perPage > storage.MaxLogPage {
		return errQuery("page * per_page must not exceed %d: only the first %d log events can be paged through, narrow q to reach others", storage.MaxLogPage, storage.MaxLogPage)
	}
	lq.Page = q.storagePage()
	lq.SkipTotal = !q.includeTotals
	// The total counts what paging can reach: an exact count of a large
	// log would read all of it.
	lq.CountUpTo = storage.MaxLogPage
	list, total, err := a.d.Store.ListLogEvents(r.Context(), a.d.Tenant, lq)
	if err != nil {
		return err
	}
	out := make([]any, len(list))
	for i, e := range list {
		if out[i], err = project(logEventOut(e), q.sel); err != nil {
			return err
		}
	}
	if !q.includeTotals {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"start":  q.page * q.perPage,
		"limit":  q.perPage,
		"length": len(out),
		"total":  total,
		"logs":   out,
	})
	return nil
}

// parseLogSort reads Auth0's sort of log events: by date, newest first
// unless date:1.
func parseLogSort(v string) (oldestFirst bool, err error) {
	switch v {
	case "", "date:-1":
		return false, nil
	case "date:1":
		return true, nil
	}
	return false, errQuery("Invalid sort: expected date:1 or date:-1")
}

// listUserLogs is GET /users/{id}/logs: the tenant log's events of one
// user, paged as /logs is. A user without events (or unknown) has an empty
// list, as on Auth0.
func (a *API) listUserLogs(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, []string{"page", "per_page", "include_totals"}, "sort")
	if err != nil {
		return err
	}
	lq := storage.LogQuery{UserID: r.PathValue("id")}
	if lq.OldestFirst, err = parseLogSort(q.filters["sort"]); err != nil {
		return err
	}
	return a.writeLogPage(w, r, lq, q)
}

// listLogsFrom is Auth0's checkpoint read of logs: from is a log id,
// the answer the take events logged after it, oldest first, as a plain
// array (the caller continues from the last log_id it received). Without
// from, the take most recent events, newest first. As Auth0 documents,
// page, per_page, sort and include_totals are ignored here (node-auth0 7
// sends page, per_page and include_totals with every logs.list); q still
// narrows the read, which the dashboard's live tail relies on.
func (a *API) listLogsFrom(w http.ResponseWriter, r *http.Request, q listQuery) error {
	lq, err := parseLogQuery(q.filters["q"])
	if err != nil {
		return err
	}
	take := defaultPerPage
	if v, ok := q.filters["take"]; ok {
		if take, err = strconv.Atoi(v); err != nil || take < 1 || take > maxPerPage {
			return errQuery("Expected take to be an integer between 1 and %d", maxPerPage)
		}
	}
	if from := q.filters["from"]; from != "" {
		lq.After = from
		lq.OldestFirst = true
	}
	lq.Page = storage.Page{PerPage: take}
	lq.SkipTotal = true
	list, _, err := a.d.Store.ListLogEvents(r.Context(), a.d.Tenant, lq)
	if err != nil {
		return err
	}
	out := make([]logEventJSON, len(list))
	for i, e := range list {
		out[i] = logEventOut(e)
	}
	q.includeTotals = false
	return writeList(w, "logs", out, 0, q)
}

func (a *API) getLog(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	e, err := a.d.Store.GetLogEvent(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoLog)
	}
	return writeOne(w, http.StatusOK, logEventOut(e), q.sel)
}
