package mgmt

import (
	"net/http"
	"time"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Auth0's tenant statistics, computed from what tokenhook keeps: the
// users' last login and the tenant log. A login here is a successful
// password grant (sepft: tokenhook has no login page), a signup an ss
// event of /dbconnections/signup. No breached-password detection runs, so
// leaked_passwords is always 0.

const (
	scopeReadStats = "read:stats"
	// activeUsersWindow is Auth0's: users who logged in during the last
	// 30 days.
	activeUsersWindow = 30 * 24 * time.Hour
	// maxStatsDays bounds a daily range: one entry per day is written.
	maxStatsDays = 366
	statsDay     = "20060102"
)

func (a *API) activeUsers(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	n, err := a.d.Store.CountActiveUsers(r.Context(), a.d.Tenant, a.d.Now().Add(-activeUsersWindow))
	if err != nil {
		return err
	}
	// Auth0 answers a bare number.
	writeJSON(w, http.StatusOK, n)
	return nil
}

// dailyStatsJSON is one day of Auth0's GET /stats/daily.
type dailyStatsJSON struct {
	Date            string `json:"date"`
	Logins          int    `json:"logins"`
	Signups         int    `json:"signups"`
	LeakedPasswords int    `json:"leaked_passwords"`
	// UpdatedAt and CreatedAt are the day's last and first counted
	// event; absent on a day without any.
	UpdatedAt string `json:"updated_at,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
}

// dailyStats answers every day of from..to (YYYYMMDD, both inclusive; by
// default the last 30 days up to today, UTC), oldest first. Days older
// than the log's retention count nothing.
func (a *API) dailyStats(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, noParams, "from", "to")
	if err != nil {
		return err
	}
	today := a.d.Now().UTC().Truncate(24 * time.Hour)
	to, from := today, today.AddDate(0, 0, -29)
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		v, ok := q.filters[name]
		if !ok {
			continue
		}
		d, err := time.Parse(statsDay, v)
		if err != nil || len(v) != len(statsDay) {
			return errQuery("%s must be a day in YYYYMMDD format", name)
		}
		*dst = d
	}
	if _, ok := q.filters["from"]; ok {
		if _, ok := q.filters["to"]; !ok && to.Before(from) {
			to = from
		}
	}
	days := int(to.Sub(from)/(24*time.Hour)) + 1
	if days < 1 {
		return errQuery("from must not be after to")
	}
	if days > maxStatsDays {
		return errQuery("from..to spans more than %d days", maxStatsDays)
	}
	counts, err := a.d.Store.CountLogEventsByDay(r.Context(), a.d.Tenant,
		[]string{eventlog.SuccessPasswordExchange, eventlog.SuccessSignup}, from, to.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	out := make([]dailyStatsJSON, days)
	first := make([]time.Time, days)
	last := make([]time.Time, days)
	for i := range out {
		out[i].Date = isoTime(from.AddDate(0, 0, i))
	}
	for _, c := range counts {
		i := int(c.Day.Sub(from) / (24 * time.Hour))
		if i < 0 || i >= days {
			continue
		}
		if c.Type == eventlog.SuccessSignup {
			out[i].Signups += c.Count
		} else {
			out[i].Logins += c.Count
		}
		if first[i].IsZero() || c.First.Before(first[i]) {
			first[i] = c.First
		}
		if c.Last.After(last[i]) {
			last[i] = c.Last
		}
	}
	for i := range out {
		if !first[i].IsZero() {
			out[i].CreatedAt, out[i].UpdatedAt = isoTime(first[i]), isoTime(last[i])
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
