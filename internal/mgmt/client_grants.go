package mgmt

import (
	"net/http"
	"slices"

	"github.com/tokenhook/tokenhook/internal/ids"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// clientGrantJSON is Auth0's client grant. The organization settings,
// allow_all_scopes and authorization_details_types are there only when
// they were set, as on Auth0. subject_type is always "client": every grant
// here is for an application, and deploy-cli matches a directory's grant
// to the tenant's by it (one without it is deleted and created again).
type clientGrantJSON struct {
	ID                        string   `json:"id"`
	ClientID                  string   `json:"client_id"`
	Audience                  string   `json:"audience"`
	Scope                     []string `json:"scope"`
	OrganizationUsage         string   `json:"organization_usage,omitempty"`
	AllowAnyOrganization      *bool    `json:"allow_any_organization,omitempty"`
	SubjectType               string   `json:"subject_type"`
	AuthorizationDetailsTypes []string `json:"authorization_details_types,omitempty"`
	AllowAllScopes            *bool    `json:"allow_all_scopes,omitempty"`
}

// subjectClient is the subject_type of every grant here.
const subjectClient = "client"

func clientGrantOut(g storage.ClientGrant) clientGrantJSON {
	return clientGrantJSON{ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scope: orEmpty(g.Scope),
		OrganizationUsage: g.OrganizationUsage, AllowAnyOrganization: g.AllowAnyOrganization, SubjectType: subjectClient,
		AuthorizationDetailsTypes: g.AuthorizationDetailsTypes, AllowAllScopes: g.AllowAllScopes}
}

// organizationUsages are Auth0's values of a grant's organization_usage.
// tokenhook has no organizations, so they are stored and returned only.
var organizationUsages = []string{"deny", "allow", "require"}

func checkOrganizationUsage(v string) error {
	if !slices.Contains(organizationUsages, v) {
		return errBodyOn("organization_usage", "No enum match for: %q", v)
	}
	return nil
}

// checkAuthorizationDetailsTypes applies Auth0's bounds on a type's
// length. tokenhook does not support Rich Authorization Requests: the
// types are stored and returned only.
func checkAuthorizationDetailsTypes(types []string) error {
	for _, v := range types {
		if v == "" || len(v) > 255 {
			return errBodyOn("authorization_details_types", "String length must be between 1 and 255: %q", v)
		}
	}
	return nil
}

// checkAllScopes refuses a grant that both lists scopes and allows all:
// deploy-cli refuses to import such a grant, so an export must never hold
// one.
func checkAllScopes(g storage.ClientGrant) error {
	if g.AllowAllScopes != nil && *g.AllowAllScopes && len(g.Scope) > 0 {
		return errBody("A grant with allow_all_scopes true grants every scope of the API: its scope must be empty")
	}
	return nil
}

// clientGrantCreate: scope is optional (no scopes), as in Auth0's schema.
type clientGrantCreate struct {
	ClientID                  *string   `json:"client_id"`
	Audience                  *string   `json:"audience"`
	Scope                     *[]string `json:"scope"`
	OrganizationUsage         *string   `json:"organization_usage"`
	AllowAnyOrganization      *bool     `json:"allow_any_organization"`
	AllowAllScopes            *bool     `json:"allow_all_scopes"`
	AuthorizationDetailsTypes []string  `json:"authorization_details_types"`
	// SubjectType is taken as "client", what every grant here is: an
	// export of a tenant that has user grants says so for every grant.
	SubjectType *string `json:"subject_type"`
}

// clientGrantPatch: the scopes and settings of a grant change (null
// removes a setting, as on Auth0); a grant for another client or API is a
// new grant.
type clientGrantPatch struct {
	Scope                     *[]string        `json:"scope"`
	OrganizationUsage         nullable[string] `json:"organization_usage"`
	AllowAnyOrganization      nullable[bool]   `json:"allow_any_organization"`
	AllowAllScopes            nullable[bool]   `json:"allow_all_scopes"`
	AuthorizationDetailsTypes *[]string        `json:"authorization_details_types"`
}

var errNoClientGrant = newError(http.StatusNotFound, "inexistent_client_grant", "The grant does not exist")

// checkGrantScopes rejects scopes the API does not define: a grant for an
// undefined scope would mint tokens no API expects (Auth0 accepts them
// silently; this server does not).
func checkGrantScopes(rs storage.ResourceServer, scopes []string) ([]string, error) {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if !slices.ContainsFunc(rs.Scopes, func(d storage.Scope) bool { return d.Value == s }) {
			return nil, errBodyOn("scope", "The scope %q is not defined by the API %q", s, rs.Identifier)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (a *API) createClientGrant(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in clientGrantCreate
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	switch {
	case in.ClientID == nil:
		return errBody("Missing required property: client_id")
	case in.Audience == nil:
		return errBody("Missing required property: audience")
	}
	if in.Scope == nil {
		in.Scope = &[]string{}
	}
	if err := checkAuthorizationDetailsTypes(in.AuthorizationDetailsTypes); err != nil {
		return err
	}
	if in.OrganizationUsage != nil {
		if err := checkOrganizationUsage(*in.OrganizationUsage); err != nil {
			return err
		}
	}
	if in.SubjectType != nil && *in.SubjectType != subjectClient {
		if *in.SubjectType != "user" {
			return errBodyOn("subject_type", "No enum match for: %q", *in.SubjectType)
		}
		return newError(http.StatusBadRequest, codeOperationForbidden,
			"Client grants for users (subject_type user) are not supported by this server (tokenhook): its grants are for applications (client)")
	}
	if _, err := a.d.Store.GetClient(r.Context(), a.d.Tenant, *in.ClientID); err != nil {
		return notFoundAs(err, errNoClient)
	}
	rs, err := a.d.Store.GetResourceServer(r.Context(), a.d.Tenant, *in.Audience)
	// GetResourceServer also matches ids; a grant names the identifier.
	if err == nil && rs.Identifier != *in.Audience {
		err = storage.ErrNotFound
	}
	if err != nil {
		return notFoundAs(err, errNoResourceServer)
	}
	scope, err := checkGrantScopes(rs, *in.Scope)
	if err != nil {
		return err
	}
	id := ids.ClientGrantID(a.d.Rand)
	now := a.d.Now()
	g := storage.ClientGrant{Tenant: a.d.Tenant, ID: id, ClientID: *in.ClientID, Audience: rs.Identifier, Scope: scope,
		AllowAnyOrganization: in.AllowAnyOrganization, AllowAllScopes: in.AllowAllScopes,
		AuthorizationDetailsTypes: in.AuthorizationDetailsTypes, CreatedAt: now, UpdatedAt: now}
	if in.OrganizationUsage != nil {
		g.OrganizationUsage = *in.OrganizationUsage
	}
	if err := checkAllScopes(g); err != nil {
		return err
	}
	if err := a.d.Store.CreateClientGrant(r.Context(), g); err != nil {
		return conflictAs(err, "A client grant for this client and audience already exists")
	}
	writeJSON(w, http.StatusCreated, clientGrantOut(g))
	return nil
}

func (a *API) listClientGrants(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, checkpointParams, "audience", "client_id", "allow_any_organization", "subject_type", "default_for")
	if err != nil {
		return err
	}
	anyOrgFilter, byAnyOrg := q.filters["allow_any_organization"]
	anyOrg, err := queryBool(anyOrgFilter, "allow_any_organization", false)
	if err != nil {
		return err
	}
	none, err := grantsFilteredOut(q)
	if err != nil {
		return err
	}
	if none {
		return writeList(w, "client_grants", []clientGrantJSON{}, 0, q)
	}
	f := storage.GrantFilter{ClientID: q.filters["client_id"], Audience: q.filters["audience"]}
	var list []storage.ClientGrant
	var total int
	if byAnyOrg {
		// The storage contract has no organization filter; a tenant's
		// grants are few, so filtering a full read is cheap enough.
		all, _, err := a.d.Store.ListClientGrants(r.Context(), a.d.Tenant, f, storage.Page{})
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(g storage.ClientGrant) bool {
			return (g.AllowAnyOrganization != nil && *g.AllowAnyOrganization) != anyOrg
		})
		list, total = pageOf(all, &q), len(all)
	} else {
		list, total, err = readPage(&q, func(p storage.Page) ([]storage.ClientGrant, int, error) {
			return a.d.Store.ListClientGrants(r.Context(), a.d.Tenant, f, p)
		})
		if err != nil {
			return err
		}
	}
	out := make([]clientGrantJSON, len(list))
	for i, g := range list {
		out[i] = clientGrantOut(g)
	}
	return writeList(w, "client_grants", out, total, q)
}

// grantsFilteredOut reads the filters of Auth0's grant list on what
// tokenhook's grants never are (user grants, default grants): each keeps
// every grant or none, and reports whether none.
func grantsFilteredOut(q listQuery) (bool, error) {
	none := false
	if v, ok := q.filters["subject_type"]; ok {
		if !slices.Contains([]string{"client", "user", "anonymous_user"}, v) {
			return false, errQuery("No enum match for subject_type: %q", v)
		}
		none = none || v != "client"
	}
	if v, ok := q.filters["default_for"]; ok {
		if v != "third_party_clients" {
			return false, errQuery("No enum match for default_for: %q", v)
		}
		none = true
	}
	return none, nil
}

func (a *API) getClientGrant(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	g, err := a.d.Store.GetClientGrant(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoClientGrant)
	}
	return writeOne(w, http.StatusOK, clientGrantOut(g), q.sel)
}

func (a *API) updateClientGrant(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in clientGrantPatch
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	g, err := a.d.Store.GetClientGrant(r.Context(), a.d.Tenant, id)
	if err != nil {
		return notFoundAs(err, errNoClientGrant)
	}
	// The API is read before the update, not inside it: storage runs the
	// update func in a transaction that must not wait on another read.
	// A grant's audience never changes, so the check stays valid.
	if in.OrganizationUsage.Value != nil {
		if err := checkOrganizationUsage(*in.OrganizationUsage.Value); err != nil {
			return err
		}
	}
	if in.AuthorizationDetailsTypes != nil {
		if err := checkAuthorizationDetailsTypes(*in.AuthorizationDetailsTypes); err != nil {
			return err
		}
	}
	var scope []string
	if in.Scope != nil {
		rs, err := a.d.Store.GetResourceServer(r.Context(), a.d.Tenant, g.Audience)
		if err != nil {
			return notFoundAs(err, errNoResourceServer)
		}
		if scope, err = checkGrantScopes(rs, *in.Scope); err != nil {
			return err
		}
	}
	g, err = a.d.Store.UpdateClientGrant(r.Context(), a.d.Tenant, id, func(g storage.ClientGrant) (storage.ClientGrant, error) {
		if in.Scope != nil {
			g.Scope = scope
		}
		if in.OrganizationUsage.Set {
			g.OrganizationUsage = ""
			if v := in.OrganizationUsage.Value; v != nil {
				g.OrganizationUsage = *v
			}
		}
		if in.AllowAnyOrganization.Set {
			g.AllowAnyOrganization = in.AllowAnyOrganization.Value
		}
		if in.AllowAllScopes.Set {
			g.AllowAllScopes = in.AllowAllScopes.Value
		}
		if in.AuthorizationDetailsTypes != nil {
			g.AuthorizationDetailsTypes = *in.AuthorizationDetailsTypes
		}
		if err := checkAllScopes(g); err != nil {
			return g, err
		}
		if in.Scope != nil || in.OrganizationUsage.Set || in.AllowAnyOrganization.Set || in.AllowAllScopes.Set || in.AuthorizationDetailsTypes != nil {
			g.UpdatedAt = a.d.Now()
		}
		return g, nil
	})
	if err != nil {
		return notFoundAs(err, errNoClientGrant)
	}
	writeJSON(w, http.StatusOK, clientGrantOut(g))
	return nil
}

func (a *API) deleteClientGrant(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	if err := a.d.Store.DeleteClientGrant(r.Context(), a.d.Tenant, r.PathValue("id")); err != nil {
		return notFoundAs(err, errNoClientGrant)
	}
	writeNoContent(w)
	return nil
}
