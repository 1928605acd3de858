package mgmt

import (
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/ids"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Application types and grant types Auth0 accepts that this server serves.
var (
	appTypes   = []string{"non_interactive", "regular_web", "spa", "native"}
	grantTypes = []string{
		"client_credentials", "password", "http://auth0.com/oauth/grant-type/password-realm",
		"authorization_code", "implicit", "refresh_token",
	}
	authMethods = []string{"client_secret_post", "client_secret_basic", "none"}
)

// Auth0 leaves app_type unset when it is omitted and treats the client as a
// regular web application: that default is spelled out here.
const defaultAppType = "regular_web"

// defaultGrantTypes are Auth0's per app_type.
func defaultGrantTypes(appType string) []string {
	switch appType {
	case "non_interactive":
		return []string{"client_credentials"}
	case "spa", "native":
		return []string{"authorization_code", "implicit", "refresh_token"}
	default:
		return []string{"authorization_code", "implicit", "refresh_token", "client_credentials"}
	}
}

// defaultAuthMethod: public clients (SPA, native) hold no secret.
func defaultAuthMethod(appType string) string {
	if appType == "spa" || appType == "native" {
		return "none"
	}
	return "client_secret_post"
}

// Auth0's client_metadata limits.
const (
	maxMetadataKeys   = 10
	maxMetadataKeyLen = 255
	maxMetadataValLen = 255
	minSecretLen      = 32
	maxSecretLen      = 256
)

// metadataKeyChars are the characters Auth0 allows in client_metadata keys
// besides letters and digits.
const metadataKeyChars = ":,-+=_*?\"/\\()<>@ \t"

type jwtConfiguration struct {
	Alg               string `json:"alg"`
	LifetimeInSeconds int    `json:"lifetime_in_seconds"`
	SecretEncoded     bool   `json:"secret_encoded"`
}

// clientJSON is Auth0's client object.
type clientJSON struct {
	Tenant                  string            `json:"tenant"`
	Global                  bool              `json:"global"`
	IsFirstParty            bool              `json:"is_first_party"`
	Name                    string            `json:"name"`
	Description             string            `json:"description,omitempty"`
	ClientID                string            `json:"client_id"`
	ClientSecret            string            `json:"client_secret,omitempty"`
	AppType                 string            `json:"app_type"`
	LogoURI                 string            `json:"logo_uri,omitempty"`
	OIDCConformant          bool              `json:"oidc_conformant"`
	Callbacks               []string          `json:"callbacks"`
	AllowedOrigins          []string          `json:"allowed_origins"`
	WebOrigins              []string          `json:"web_origins"`
	AllowedLogoutURLs       []string          `json:"allowed_logout_urls"`
	ClientMetadata          map[string]string `json:"client_metadata"`
	GrantTypes              []string          `json:"grant_types"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method"`
	JWTConfiguration        jwtConfiguration  `json:"jwt_configuration"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// clientOut renders c; the secret only when withSecret (read:client_keys,
// or the answer to a create or a rotation, as on Auth0).
func clientOut(c storage.Client, withSecret bool) clientJSON {
	md := c.Metadata
	if md == nil {
		md = map[string]string{}
	}
	out := clientJSON{
		Tenant:                  c.Tenant,
		Global:                  c.Global,
		IsFirstParty:            c.IsFirstParty,
		Name:                    c.Name,
		Description:             c.Description,
		ClientID:                c.ClientID,
		AppType:                 c.AppType,
		LogoURI:                 c.LogoURI,
		OIDCConformant:          true, // the only mode this server has
		Callbacks:               orEmpty(c.Callbacks),
		AllowedOrigins:          orEmpty(c.AllowedOrigins),
		WebOrigins:              orEmpty(c.WebOrigins),
		AllowedLogoutURLs:       orEmpty(c.AllowedLogoutURLs),
		ClientMetadata:          md,
		GrantTypes:              orEmpty(c.GrantTypes),
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		// ID tokens are RS256 (compat-spec §2.2).
		JWTConfiguration: jwtConfiguration{Alg: "RS256", LifetimeInSeconds: idTokenLifetime(c)},
	}
	if withSecret {
		out.ClientSecret = c.Secret
	}
	return out
}

// idTokenLifetime is c's ID token lifetime in seconds, Auth0's default
// when none was set.
func idTokenLifetime(c storage.Client) int {
	if c.IDTokenLifetime > 0 {
		return c.IDTokenLifetime
	}
	return int(token.IDTokenLifetime / time.Second)
}

// maxIDTokenLifetime bounds lifetime_in_seconds: Auth0 documents no
// maximum, so only values past a 32-bit integer are refused.
const maxIDTokenLifetime = math.MaxInt32

// jwtConfigurationIn accepts what Auth0 SDK users commonly send; only the
// values this server actually implements are allowed.
type jwtConfigurationIn struct {
	Alg               *string `json:"alg"`
	LifetimeInSeconds *int    `json:"lifetime_in_seconds"`
	SecretEncoded     *bool   `json:"secret_encoded"`
}

// clientIn is the body of POST and PATCH /clients. Pointers tell "absent"
// from "set to the zero value", so PATCH changes only what was sent.
type clientIn struct {
	Name                    *string             `json:"name"`
	Description             *string             `json:"description"`
	ClientSecret            *string             `json:"client_secret"`
	AppType                 *string             `json:"app_type"`
	LogoURI                 *string             `json:"logo_uri"`
	IsFirstParty            *bool               `json:"is_first_party"`
	OIDCConformant          *bool               `json:"oidc_conformant"`
	Callbacks               *[]string           `json:"callbacks"`
	AllowedOrigins          *[]string           `json:"allowed_origins"`
	WebOrigins              *[]string           `json:"web_origins"`
	AllowedLogoutURLs       *[]string           `json:"allowed_logout_urls"`
	ClientMetadata          map[string]*string  `json:"client_metadata"`
	GrantTypes              *[]string           `json:"grant_types"`
	TokenEndpointAuthMethod *string             `json:"token_endpoint_auth_method"`
	JWTConfiguration        *jwtConfigurationIn `json:"jwt_configuration"`
}

// apply copies the fields of in that were sent onto c and validates the
// result. client_metadata merges, a null value deleting its key (Auth0's
// PATCH semantics for metadata).
func (in clientIn) apply(c *storage.Client) error {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.AppType != nil {
		if !slices.Contains(appTypes, *in.AppType) {
			return errBodyOn("app_type", "No enum match for: %q", *in.AppType)
		}
		c.AppType = *in.AppType
	}
	if in.LogoURI != nil {
		c.LogoURI = *in.LogoURI
	}
	if in.IsFirstParty != nil {
		c.IsFirstParty = *in.IsFirstParty
	}
	if in.OIDCConformant != nil && !*in.OIDCConformant {
		return errBodyOn("oidc_conformant", "Only OIDC-conformant clients are supported")
	}
	if j := in.JWTConfiguration; j != nil {
		if j.Alg != nil && *j.Alg != "RS256" {
			return errBodyOn("jwt_configuration.alg", "Only RS256 is supported")
		}
		if j.LifetimeInSeconds != nil {
			// An ID token that expires as it is issued is useless to its
			// client: zero and below are refused.
			if n := *j.LifetimeInSeconds; n < 1 || n > maxIDTokenLifetime {
				return errBodyOn("jwt_configuration.lifetime_in_seconds", "Expected a value between 1 and %d", maxIDTokenLifetime)
			}
			c.IDTokenLifetime = *j.LifetimeInSeconds
		}
		if j.SecretEncoded != nil && *j.SecretEncoded {
			return errBodyOn("jwt_configuration.secret_encoded", "Only false is supported")
		}
	}
	for _, l := range []struct {
		in  *[]string
		out *[]string
	}{{in.Callbacks, &c.Callbacks}, {in.AllowedOrigins, &c.AllowedOrigins}, {in.WebOrigins, &c.WebOrigins}, {in.AllowedLogoutURLs, &c.AllowedLogoutURLs}} {
		if l.in != nil {
			*l.out = orEmpty(*l.in)
		}
	}
	if in.GrantTypes != nil {
		c.GrantTypes = orEmpty(*in.GrantTypes)
	}
	if in.TokenEndpointAuthMethod != nil {
		if !slices.Contains(authMethods, *in.TokenEndpointAuthMethod) {
			return errBodyOn("token_endpoint_auth_method", "No enum match for: %q", *in.TokenEndpointAuthMethod)
		}
		c.TokenEndpointAuthMethod = *in.TokenEndpointAuthMethod
	}
	if in.ClientSecret != nil {
		if n := len(*in.ClientSecret); n < minSecretLen || n > maxSecretLen {
			return errBodyOn("client_secret", "String length must be between %d and %d", minSecretLen, maxSecretLen)
		}
		c.Secret = *in.ClientSecret
	}
	if in.ClientMetadata != nil {
		md := map[string]string{}
		for k, v := range c.Metadata {
			md[k] = v
		}
		for k, v := range in.ClientMetadata {
			if v == nil {
				delete(md, k)
			} else {
				md[k] = *v
			}
		}
		c.Metadata = md
	}
	return validateClient(*c)
}

func validateClient(c storage.Client) error {
	if strings.TrimSpace(c.Name) == "" {
		return errBody("Missing required property: name")
	}
	if strings.ContainsAny(c.Name, "<>") {
		return errBodyOn("name", "String does not match pattern: ^[^<>]+$")
	}
	for _, g := range c.GrantTypes {
		if !slices.Contains(grantTypes, g) {
			return errBodyOn("grant_types", "No enum match for: %q", g)
		}
	}
	// A public client has no secret to authenticate client credentials with.
	if c.TokenEndpointAuthMethod == "none" && slices.Contains(c.GrantTypes, "client_credentials") {
		return errBodyOn("grant_types", "client_credentials requires a confidential client (token_endpoint_auth_method other than none)")
	}
	if len(c.Metadata) > maxMetadataKeys {
		return errBodyOn("client_metadata", "Too many properties defined (%d), must be at most %d", len(c.Metadata), maxMetadataKeys)
	}
	for k, v := range c.Metadata {
		if k == "" || len(k) > maxMetadataKeyLen || strings.IndexFunc(k, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(metadataKeyChars, r))
		}) >= 0 {
			return errBodyOn("client_metadata", "Invalid property name: %q", k)
		}
		if len(v) > maxMetadataValLen {
			return errBodyOn("client_metadata."+k, "String is too long (%d chars), maximum %d", len(v), maxMetadataValLen)
		}
	}
	return nil
}

var errNoClient = newError(http.StatusNotFound, "inexistent_client", "The client does not exist")

func (a *API) createClient(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in clientIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return errBody("Missing required property: name")
	}
	now := a.d.Now()
	c := storage.Client{Tenant: a.d.Tenant, AppType: defaultAppType, CreatedAt: now, UpdatedAt: now}
	if in.AppType != nil {
		c.AppType = *in.AppType
	}
	c.GrantTypes = defaultGrantTypes(c.AppType)
	c.TokenEndpointAuthMethod = defaultAuthMethod(c.AppType)
	c.Metadata = map[string]string{}
	c.ClientID = ids.ClientID(a.d.Rand)
	c.Secret = ids.ClientSecret(a.d.Rand)
	if err := in.apply(&c); err != nil {
		return err
	}
	if err := a.d.Store.CreateClient(r.Context(), c); err != nil {
		return conflictAs(err, "A client with the same client_id already exists")
	}
	writeJSON(w, http.StatusCreated, clientOut(c, true))
	return nil
}

func (a *API) listClients(w http.ResponseWriter, r *http.Request, caller token.Claims) error {
	q, err := parseQuery(r, checkpointParams, "app_type", "is_global", "is_first_party", "external_client_id")
	if err != nil {
		return err
	}
	var match []func(storage.Client) bool
	if _, ok := q.filters["external_client_id"]; ok {
		// Only clients registered from a metadata document (Auth0's CIMD)
		// have an external id; tokenhook registers none.
		match = append(match, func(storage.Client) bool { return false })
	}
	if v, ok := q.filters["app_type"]; ok {
		types := strings.Split(v, ",")
		for _, t := range types {
			if !slices.Contains(appTypes, t) {
				return errQuery("No enum match for app_type: %q", t)
			}
		}
		match = append(match, func(c storage.Client) bool { return slices.Contains(types, c.AppType) })
	}
	for _, name := range []string{"is_global", "is_first_party"} {
		v, ok := q.filters[name]
		if !ok {
			continue
		}
		want, err := queryBool(v, name, false)
		if err != nil {
			return err
		}
		if name == "is_global" {
			match = append(match, func(c storage.Client) bool { return c.Global == want })
		} else {
			match = append(match, func(c storage.Client) bool { return c.IsFirstParty == want })
		}
	}
	var list []storage.Client
	var total int
	if len(match) == 0 {
		list, total, err = readPage(&q, func(p storage.Page) ([]storage.Client, int, error) {
			return a.d.Store.ListClients(r.Context(), a.d.Tenant, p)
		})
		if err != nil {
			return err
		}
	} else {
		// The storage contract has no client filters; a tenant's clients
		// are few, so filtering a full read is cheap enough.
		all, _, err := a.d.Store.ListClients(r.Context(), a.d.Tenant, storage.Page{})
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(c storage.Client) bool {
			for _, m := range match {
				if !m(c) {
					return true
				}
			}
			return false
		})
		list, total = pageOf(all, &q), len(all)
	}
	withSecret := caller.HasScope(scopeReadClientKeys)
	out := make([]clientJSON, len(list))
	for i, c := range list {
		out[i] = clientOut(c, withSecret)
	}
	return writeList(w, "clients", out, total, q)
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request, caller token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	c, err := a.d.Store.GetClient(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoClient)
	}
	return writeOne(w, http.StatusOK, clientOut(c, caller.HasScope(scopeReadClientKeys)), q.sel)
}

func (a *API) updateClient(w http.ResponseWriter, r *http.Request, caller token.Claims) error {
	var in clientIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	// Setting a secret is a key operation, as on Auth0.
	if in.ClientSecret != nil && !caller.HasScope(scopeUpdateClientKeys) {
		return authorize(caller, anyOf(scopeUpdateClientKeys))
	}
	// update:client_keys alone allows only key changes.
	rest := in
	rest.ClientSecret = nil
	if !caller.HasScope(scopeUpdateClients) && !reflect.ValueOf(rest).IsZero() {
		return authorize(caller, anyOf(scopeUpdateClients))
	}
	c, err := a.d.Store.UpdateClient(r.Context(), a.d.Tenant, r.PathValue("id"), func(c storage.Client) (storage.Client, error) {
		if err := in.apply(&c); err != nil {
			return c, err
		}
		c.UpdatedAt = a.d.Now()
		return c, nil
	})
	if err != nil {
		return notFoundAs(err, errNoClient)
	}
	withSecret := caller.HasScope(scopeReadClientKeys) || caller.HasScope(scopeUpdateClientKeys)
	writeJSON(w, http.StatusOK, clientOut(c, withSecret))
	return nil
}

func (a *API) deleteClient(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := a.d.Store.GetClient(r.Context(), a.d.Tenant, id)
	if err != nil {
		return notFoundAs(err, errNoClient)
	}
	// The global client is the bootstrap way into this API; deleting it
	// could lock the operator out.
	if c.Global {
		return newError(http.StatusForbidden, codeOperationForbidden, "The global client cannot be deleted")
	}
	if err := a.d.Store.DeleteClient(r.Context(), a.d.Tenant, id); err != nil {
		return notFoundAs(err, errNoClient)
	}
	writeNoContent(w)
	return nil
}

func (a *API) rotateClientSecret(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	secret := ids.ClientSecret(a.d.Rand)
	c, err := a.d.Store.UpdateClient(r.Context(), a.d.Tenant, r.PathValue("id"), func(c storage.Client) (storage.Client, error) {
		c.Secret = secret
		c.UpdatedAt = a.d.Now()
		return c, nil
	})
	if err != nil {
		return notFoundAs(err, errNoClient)
	}
	writeJSON(w, http.StatusOK, clientOut(c, true))
	return nil
}
