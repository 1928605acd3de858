package mgmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// The one connection: tokenhook's user store, described as Auth0
// describes a database connection. Its settings live in the tenant
// settings (storage.TenantSettings), since there is exactly one.

const connectionStrategy = "auth0"

// connectionID is the one connection's id (storage.DatabaseConnectionID).
func connectionID(tenant string) string { return storage.DatabaseConnectionID(tenant) }

// connectionOptions are the options tokenhook reports. Those it does not
// let change (the password policy is fixed by the password package,
// brute-force protection is always on) are reported as they are, so an
// export imports back unchanged; a different value is refused.
func connectionOptions(s storage.TenantSettings) map[string]any {
	return map[string]any{
		// Auth0's "none" policy plus a minimum length is what the
		// password package enforces: any characters, at least MinLength.
		"password_policy":             "none",
		"password_complexity_options": map[string]any{"min_length": password.MinLength},
		"brute_force_protection":      true,
		"disable_signup":              s.DisableSignup,
		// Auth0's default, which deploy-cli adds to the connection it
		// writes back; tokenhook has no password change flow to disable.
		"disable_self_service_change_password": false,
	}
}

func (a *API) connectionOut(r *http.Request, s storage.TenantSettings) (map[string]any, error) {
	var enabled []string
	if s.ConnectionClients != nil {
		enabled = append([]string{}, *s.ConnectionClients...)
	} else {
		all, _, err := a.d.Store.ListClients(r.Context(), a.d.Tenant, storage.Page{})
		if err != nil {
			return nil, err
		}
		enabled = make([]string, 0, len(all))
		for _, c := range all {
			enabled = append(enabled, c.ClientID)
		}
	}
	sort.Strings(enabled)
	return map[string]any{
		"id":                   connectionID(a.d.Tenant),
		"name":                 storage.DatabaseConnection,
		"display_name":         storage.DatabaseConnection,
		"strategy":             connectionStrategy,
		"realms":               []string{storage.DatabaseConnection},
		"is_domain_connection": false,
		"enabled_clients":      enabled,
		"options":              connectionOptions(s),
	}, nil
}

var errNoConnectionID = newError(http.StatusNotFound, "inexistent_connection", "The connection does not exist")

func (a *API) listConnections(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, checkpointParams, "strategy", "name")
	if err != nil {
		return err
	}
	s, err := a.d.Store.GetTenantSettings(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	var all []map[string]any
	if v, ok := q.lists["strategy"]; !ok || slices.Contains(v, connectionStrategy) {
		if v, ok := q.filters["name"]; !ok || v == storage.DatabaseConnection {
			c, err := a.connectionOut(r, s)
			if err != nil {
				return err
			}
			all = append(all, c)
		}
	}
	return writeList(w, "connections", pageOf(all, &q), len(all), q)
}

func (a *API) getConnection(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	if r.PathValue("id") != connectionID(a.d.Tenant) {
		return errNoConnectionID
	}
	s, err := a.d.Store.GetTenantSettings(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	c, err := a.connectionOut(r, s)
	if err != nil {
		return err
	}
	return writeOne(w, http.StatusOK, c, q.sel)
}

// errConnectionUnsupported names a connection property tokenhook cannot
// change, in Auth0's error shape.
func errConnectionUnsupported(prop string) *apiError {
	return newErrorf(http.StatusBadRequest, codeOperationForbidden,
		"Changing the connection's %s is not supported by this server (only enabled_clients, options.disable_signup and values equal to the current ones are accepted)", prop)
}

// sameJSON compares a sent value with the reported one, by meaning.
func sameJSON(sent json.RawMessage, have any) bool {
	var a, b any
	if json.Unmarshal(sent, &a) != nil {
		return false
	}
	raw, _ := json.Marshal(have)
	_ = json.Unmarshal(raw, &b)
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// updateConnection applies enabled_clients and options.disable_signup;
// any other property is accepted only with the value it already has (a
// deploy-cli import sends the whole connection back), else a 400 naming the property.
func (a *API) updateConnection(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	if r.PathValue("id") != connectionID(a.d.Tenant) {
		return errNoConnectionID
	}
	raw, form, err := readBody(w, r)
	if err != nil {
		return err
	}
	if form || !json.Valid(raw) {
		return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(raw, &in); err != nil {
		return errBody("Expected type object but found type %s", jsonKind(raw))
	}
	cur, err := a.d.Store.GetTenantSettings(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	have, err := a.connectionOut(r, cur)
	if err != nil {
		return err
	}
	var clients *[]string
	var disableSignup *bool
	for k, v := range in {
		switch k {
		case "enabled_clients":
			var list []string
			if err := json.Unmarshal(v, &list); err != nil || list == nil {
				return errBodyOn("enabled_clients", "Expected type array of strings")
			}
			for _, id := range list {
				if _, err := a.d.Store.GetClient(r.Context(), a.d.Tenant, id); err != nil {
					return notFoundAs(err, errBodyOn("enabled_clients", "The client %q does not exist", id))
				}
			}
			slices.Sort(list)
			list = slices.Compact(list)
			clients = &list
		case "options":
			var opts map[string]json.RawMessage
			if err := json.Unmarshal(v, &opts); err != nil {
				return errBodyOn("options", "Expected type object")
			}
			reported := connectionOptions(cur)
			for ok, ov := range opts {
				if ok == "disable_signup" {
					var b bool
					if err := json.Unmarshal(ov, &b); err != nil {
						return errBodyOn("options.disable_signup", "Expected type boolean")
					}
					disableSignup = &b
					continue
				}
				if rv, known := reported[ok]; !known || !sameJSON(ov, rv) {
					return errConnectionUnsupported("options." + ok)
				}
			}
		default:
			if rv, known := have[k]; !known || !sameJSON(v, rv) {
				return errConnectionUnsupported(k)
			}
		}
	}
	s, err := a.d.Store.UpdateTenantSettings(r.Context(), a.d.Tenant, func(s storage.TenantSettings) (storage.TenantSettings, error) {
		if clients != nil {
			s.ConnectionClients = clients
		}
		if disableSignup != nil {
			s.DisableSignup = *disableSignup
		}
		s.UpdatedAt = a.d.Now()
		return s, nil
	})
	if err != nil {
		return err
	}
	c, err := a.connectionOut(r, s)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// listConnectionClients is GET /connections/{id}/clients, Auth0's list of
// the clients a connection is enabled for (deploy-cli reads
// enabled_clients here): checkpoint paging only, {"clients": [{"client_id"}],
// "next"}.
func (a *API) listConnectionClients(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, []string{"from", "take"})
	if err != nil {
		return err
	}
	if r.PathValue("id") != connectionID(a.d.Tenant) {
		return errNoConnectionID
	}
	if !q.checkpoint {
		// Auth0 answers this list in the checkpoint shape only.
		q.checkpoint, q.take = true, defaultPerPage
	}
	s, err := a.d.Store.GetTenantSettings(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	c, err := a.connectionOut(r, s)
	if err != nil {
		return err
	}
	ids := c["enabled_clients"].([]string)
	items := make([]map[string]any, len(ids))
	for i, id := range ids {
		items[i] = map[string]any{"client_id": id}
	}
	return writeList(w, "clients", pageOf(items, &q), len(items), q)
}

// connectionClientChange is one item of PATCH /connections/{id}/clients.
type connectionClientChange struct {
	ClientID *string `json:"client_id"`
	Status   *bool   `json:"status"`
}

// updateConnectionClients is PATCH /connections/{id}/clients: enables
// (status true) or disables clients for the connection, 204. From the
// default (every client), the first change sets an explicit list.
func (a *API) updateConnectionClients(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	if r.PathValue("id") != connectionID(a.d.Tenant) {
		return errNoConnectionID
	}
	raw, form, err := readBody(w, r)
	if err != nil {
		return err
	}
	if form || !json.Valid(raw) {
		return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	var in []connectionClientChange
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return errBody("Expected type array of {client_id, status} objects but found %s", jsonKind(raw))
	}
	if len(in) == 0 {
		return errBody("Array is too short (0), minimum 1")
	}
	if len(in) > maxConnectionClientChanges {
		return errBody("Array is too long (%d), maximum %d", len(in), maxConnectionClientChanges)
	}
	for i, c := range in {
		if c.ClientID == nil || c.Status == nil {
			return errBodyOn(fmt.Sprintf("[%d]", i), "Missing required property: client_id and status")
		}
		if *c.Status {
			if _, err := a.d.Store.GetClient(r.Context(), a.d.Tenant, *c.ClientID); err != nil {
				return notFoundAs(err, errBodyOn("client_id", "The client %q does not exist", *c.ClientID))
			}
		}
	}
	cur, err := a.d.Store.GetTenantSettings(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	have, err := a.connectionOut(r, cur)
	if err != nil {
		return err
	}
	base := have["enabled_clients"].([]string)
	_, err = a.d.Store.UpdateTenantSettings(r.Context(), a.d.Tenant, func(s storage.TenantSettings) (storage.TenantSettings, error) {
		list := base
		if s.ConnectionClients != nil {
			list = *s.ConnectionClients
		}
		list = slices.Clone(list)
		for _, c := range in {
			if *c.Status {
				list = append(list, *c.ClientID)
			} else {
				list = slices.DeleteFunc(list, func(id string) bool { return id == *c.ClientID })
			}
		}
		slices.Sort(list)
		list = slices.Compact(list)
		s.ConnectionClients = &list
		s.UpdatedAt = a.d.Now()
		return s, nil
	})
	if err != nil {
		return err
	}
	writeNoContent(w)
	return nil
}

// maxConnectionClientChanges is Auth0's limit per PATCH (deploy-cli sends
// chunks of 50).
const maxConnectionClientChanges = 50

// createConnection is POST /connections: tokenhook has its one database
// connection only, so creating another (a social or enterprise connection
// of an imported Auth0 tenant) is refused by name, never dropped.
func (a *API) createConnection(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	raw, form, err := readBody(w, r)
	if err != nil {
		return err
	}
	var in struct {
		Name     string `json:"name"`
		Strategy string `json:"strategy"`
	}
	if form || json.Unmarshal(raw, &in) != nil {
		return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	return newErrorf(http.StatusBadRequest, codeOperationForbidden,
		"Connections are not supported by this server (tokenhook) besides %s: cannot create %q (strategy %q); see docs/clients.md",
		storage.DatabaseConnection, in.Name, in.Strategy)
}
