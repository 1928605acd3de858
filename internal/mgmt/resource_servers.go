package mgmt

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tokenhook/tokenhook/internal/ids"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Token lifetime bounds (compat-spec §1).
const (
	defaultTokenLifetime = 86400
	maxTokenLifetime     = 2592000
	maxIdentifierLen     = 600
	maxScopeValueLen     = 280
	maxScopeDescLen      = 500
)

// signingAlgs this server can sign access tokens with: Auth0's three, and
// beyond Auth0 ES256 and EdDSA. RS256 and PS256 use the tenant's RSA key,
// ES256 and EdDSA its P-256 and Ed25519 keys (all published in the JWKS,
// each with its own kid), HS256 the API's signing_secret (never
// published).
var signingAlgs = []string{"RS256", "PS256", "HS256", keys.AlgES256, keys.AlgEdDSA}

// ensureAlgKeys generates the tenant's key pair for an ES256 or EdDSA API
// before the API is stored, so no catalog ever holds an API whose key does
// not exist yet. It runs outside the API's own transaction: SQLite has one
// writer, and the key set is locked by its own transaction.
func (a *API) ensureAlgKeys(r *http.Request, alg *string) error {
	if alg == nil || (*alg != keys.AlgES256 && *alg != keys.AlgEdDSA) {
		return nil
	}
	return a.d.Keys.EnsureAlg(r.Context(), *alg)
}

// minSigningSecret is the shortest signing_secret accepted: HS256 needs a
// key at least as long as its hash (RFC 7518 §3.2). Auth0's minimum is 16
// characters; ours is stricter so every secret is a valid HS256 key.
const minSigningSecret = keys.MinHMACSecret

type resourceServerJSON struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Identifier         string          `json:"identifier"`
	IsSystem           bool            `json:"is_system,omitempty"`
	Scopes             []storage.Scope `json:"scopes"`
	SigningAlg         string          `json:"signing_alg"`
	SigningSecret      string          `json:"signing_secret,omitempty"`
	TokenLifetime      int             `json:"token_lifetime"`
	AllowOfflineAccess bool            `json:"allow_offline_access"`
	SkipConsent        bool            `json:"skip_consent_for_verifiable_first_party_clients"`
}

func resourceServerOut(rs storage.ResourceServer) resourceServerJSON {
	scopes := rs.Scopes
	if scopes == nil {
		scopes = []storage.Scope{}
	}
	return resourceServerJSON{
		ID:                 rs.ID,
		Name:               rs.Name,
		Identifier:         rs.Identifier,
		IsSystem:           rs.IsSystem,
		Scopes:             scopes,
		SigningAlg:         rs.SigningAlg,
		SigningSecret:      rs.SigningSecret,
		TokenLifetime:      rs.TokenLifetime,
		AllowOfflineAccess: rs.AllowOfflineAccess,
		SkipConsent:        rs.SkipConsent,
	}
}

// scopeIn is stricter than storage.Scope: unknown properties are rejected.
type scopeIn struct {
	Value       string `json:"value"`
	Description string `json:"description"`
}

// resourceServerIn is the body of POST and PATCH. Identifier is accepted
// only on POST: it is the audience of every issued token, so it never changes.
type resourceServerIn struct {
	Identifier         *string    `json:"identifier"`
	Name               *string    `json:"name"`
	Scopes             *[]scopeIn `json:"scopes"`
	SigningAlg         *string    `json:"signing_alg"`
	SigningSecret      *string    `json:"signing_secret"`
	TokenLifetime      *int       `json:"token_lifetime"`
	AllowOfflineAccess *bool      `json:"allow_offline_access"`
	SkipConsent        *bool      `json:"skip_consent_for_verifiable_first_party_clients"`
}

func (in resourceServerIn) apply(rs *storage.ResourceServer) error {
	if in.Name != nil {
		rs.Name = *in.Name
	}
	if in.Scopes != nil {
		scopes := make([]storage.Scope, 0, len(*in.Scopes))
		seen := map[string]bool{}
		for _, s := range *in.Scopes {
			// A scope travels in a space-separated string (RFC 6749 §3.3):
			// one with a space would read as two.
			if s.Value == "" || len(s.Value) > maxScopeValueLen || strings.ContainsAny(s.Value, " \t\r\n\"\\") {
				return errBodyOn("scopes", "Invalid scope value: %q", s.Value)
			}
			if len(s.Description) > maxScopeDescLen {
				return errBodyOn("scopes", "Description of scope %q is too long", s.Value)
			}
			if seen[s.Value] {
				return errBodyOn("scopes", "Duplicate scope value: %q", s.Value)
			}
			seen[s.Value] = true
			scopes = append(scopes, storage.Scope{Value: s.Value, Description: s.Description})
		}
		rs.Scopes = scopes
	}
	if in.SigningAlg != nil {
		if !slices.Contains(signingAlgs, *in.SigningAlg) {
			return errBodyOn("signing_alg", "Unsupported signing algorithm %q (supported: %s)", *in.SigningAlg, strings.Join(signingAlgs, ", "))
		}
		rs.SigningAlg = *in.SigningAlg
	}
	if in.SigningSecret != nil {
		if len(*in.SigningSecret) < minSigningSecret {
			return errBodyOn("signing_secret", "String is too short (%d chars), minimum %d", len(*in.SigningSecret), minSigningSecret)
		}
		rs.SigningSecret = *in.SigningSecret
	}
	if in.TokenLifetime != nil {
		if *in.TokenLifetime < 1 || *in.TokenLifetime > maxTokenLifetime {
			return errBodyOn("token_lifetime", "Expected a value between 1 and %d", maxTokenLifetime)
		}
		rs.TokenLifetime = *in.TokenLifetime
	}
	if in.AllowOfflineAccess != nil {
		rs.AllowOfflineAccess = *in.AllowOfflineAccess
	}
	if in.SkipConsent != nil {
		rs.SkipConsent = *in.SkipConsent
	}
	if strings.TrimSpace(rs.Name) == "" {
		return errBodyOn("name", "String is too short (0 chars), minimum 1")
	}
	if strings.ContainsAny(rs.Name, "<>") {
		return errBodyOn("name", "String does not match pattern: ^[^<>]+$")
	}
	return nil
}

var errNoResourceServer = newError(http.StatusNotFound, "inexistent_resource_server", "The resource server does not exist")

func errSystemAPI(verb string) *apiError {
	return newError(http.StatusForbidden, codeOperationForbidden, "The system resource server cannot be "+verb)
}

func (a *API) createResourceServer(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in resourceServerIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if in.Identifier == nil {
		return errBody("Missing required property: identifier")
	}
	if n := len(*in.Identifier); n == 0 || n > maxIdentifierLen || strings.TrimSpace(*in.Identifier) != *in.Identifier {
		return errBodyOn("identifier", "Expected a non-empty string of at most %d characters without surrounding spaces", maxIdentifierLen)
	}
	id := ids.ResourceServerID(a.d.Rand)
	now := a.d.Now()
	rs := storage.ResourceServer{
		Tenant:        a.d.Tenant,
		ID:            id,
		Identifier:    *in.Identifier,
		Name:          *in.Identifier, // Auth0 names an unnamed API after its identifier
		Scopes:        []storage.Scope{},
		TokenLifetime: defaultTokenLifetime,
		SigningAlg:    "RS256",
		// Every API gets a secret on create, as in Auth0, so switching it to
		// HS256 later needs no second step; sealed at rest by storage.
		SigningSecret: ids.ClientSecret(a.d.Rand),
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if err := in.apply(&rs); err != nil {
		return err
	}
	if err := a.ensureAlgKeys(r, in.SigningAlg); err != nil {
		return err
	}
	if err := a.d.Store.CreateResourceServer(r.Context(), rs); err != nil {
		return conflictAs(err, "A resource server with the same identifier already exists")
	}
	writeJSON(w, http.StatusCreated, resourceServerOut(rs))
	return nil
}

func (a *API) listResourceServers(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, checkpointParams, "identifiers")
	if err != nil {
		return err
	}
	var list []storage.ResourceServer
	var total int
	if ids, ok := q.lists["identifiers"]; ok {
		// A tenant's APIs are few: filtering a full read is cheap enough.
		all, _, err := a.d.Store.ListResourceServers(r.Context(), a.d.Tenant, storage.Page{})
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(rs storage.ResourceServer) bool { return !slices.Contains(ids, rs.Identifier) })
		list, total = pageOf(all, &q), len(all)
	} else if list, total, err = readPage(&q, func(p storage.Page) ([]storage.ResourceServer, int, error) {
		return a.d.Store.ListResourceServers(r.Context(), a.d.Tenant, p)
	}); err != nil {
		return err
	}
	out := make([]resourceServerJSON, len(list))
	for i, rs := range list {
		out[i] = resourceServerOut(rs)
	}
	return writeList(w, "resource_servers", out, total, q)
}

func (a *API) getResourceServer(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	rs, err := a.d.Store.GetResourceServer(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoResourceServer)
	}
	return writeOne(w, http.StatusOK, resourceServerOut(rs), q.sel)
}

// lookupResourceServer resolves an id or identifier (Auth0 accepts both in
// the path) to the stored record, whose id the update and delete calls need.
func (a *API) lookupResourceServer(r *http.Request) (storage.ResourceServer, error) {
	rs, err := a.d.Store.GetResourceServer(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return rs, notFoundAs(err, errNoResourceServer)
	}
	return rs, nil
}

func (a *API) updateResourceServer(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in resourceServerIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if in.Identifier != nil {
		return errBody("Additional properties not allowed: identifier")
	}
	cur, err := a.lookupResourceServer(r)
	if err != nil {
		return err
	}
	if cur.IsSystem {
		return errSystemAPI("updated")
	}
	// Validated on a copy before keys are made for it, so a bad body is a
	// 400 that generates nothing; the transaction below applies it again
	// to the record as stored.
	probe := cur
	if err := in.apply(&probe); err != nil {
		return err
	}
	if err := a.ensureAlgKeys(r, in.SigningAlg); err != nil {
		return err
	}
	rs, err := a.d.Store.UpdateResourceServer(r.Context(), a.d.Tenant, cur.ID, func(rs storage.ResourceServer) (storage.ResourceServer, error) {
		// Checked again inside the transaction: the record is what counts.
		if rs.IsSystem {
			return rs, errSystemAPI("updated")
		}
		if err := in.apply(&rs); err != nil {
			return rs, err
		}
		// An API made before secrets were generated on create (or by
		// --dev) gets one when it turns to HS256.
		if rs.SigningAlg == "HS256" && len(rs.SigningSecret) < minSigningSecret {
			rs.SigningSecret = ids.ClientSecret(a.d.Rand)
		}
		rs.UpdatedAt = a.d.Now()
		return rs, nil
	})
	if err != nil {
		return notFoundAs(err, errNoResourceServer)
	}
	writeJSON(w, http.StatusOK, resourceServerOut(rs))
	return nil
}

func (a *API) deleteResourceServer(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	cur, err := a.lookupResourceServer(r)
	if err != nil {
		return err
	}
	if cur.IsSystem {
		return errSystemAPI("deleted")
	}
	if err := a.d.Store.DeleteResourceServer(r.Context(), a.d.Tenant, cur.ID); err != nil {
		return notFoundAs(err, errNoResourceServer)
	}
	writeNoContent(w)
	return nil
}
