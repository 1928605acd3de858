package grant

import (
	"fmt"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/token"
)

// grant describes what the shared phases (Endpoint.run) need to know of
// one grant type. Its own logic is two functions in its file, reached
// through checkParams and authorize below.
type grant struct {
	// point is the extensibility point whose enabled hook runs before
	// the token is minted (its Actions trigger follows from it:
	// actions.TriggerAtPoint).
	point string
	// gty is the access token's gty claim.
	gty string
	// public: a client without a secret (token_endpoint_auth_method none)
	// may use the grant.
	public bool
	// user: the token is a user's. The grant needs the user store, never
	// issues a token for the Management API, gives an ID token when openid
	// is requested (then no audience is needed), and a success counts as
	// the user's login.
	user bool
	// Tenant log event types and the success event's description.
	success, failure, description string
}

var (
	clientCredentialsGrant = grant{
		point: hooks.CredentialsExchange, gty: token.GrantTypeClientCredentials,
		success: eventlog.SuccessCredentialsExchange, failure: eventlog.FailedCredentialsExchange,
		description: "Client Credentials for Access Token",
	}
	passwordGrant = grant{
		point: hooks.PasswordExchange, gty: token.GrantTypePassword, public: true, user: true,
		success: eventlog.SuccessPasswordExchange, failure: eventlog.FailedPasswordExchange,
		description: "Successful exchange of password for access token",
	}
)

// grantNamed returns the grant of a grant_type, nil when unknown.
func grantNamed(name string) *grant {
	switch name {
	case oauth.GrantClientCredentials:
		return &clientCredentialsGrant
	case oauth.GrantPassword, oauth.GrantPasswordRealm:
		return &passwordGrant
	}
	return nil
}

// checkParams and authorize dispatch to the grant's file. They switch
// rather than call a function stored in the grant: a call through a
// function value would move the request to the heap on every token
// request.
func (e *Endpoint) checkParams(req *request) *oauth.Error {
	switch req.grant {
	case &passwordGrant:
		return e.passwordParams(req)
	}
	return nil
}

func (e *Endpoint) authorize(req *request) *oauth.Error {
	switch req.grant {
	case &clientCredentialsGrant:
		return e.authorizeClientCredentials(req)
	case &passwordGrant:
		return e.authorizePassword(req)
	}
	return oauth.ServerError("", fmt.Errorf("grant: no authorization for %q", req.grantType))
}

// resolveAudience takes the audience parameter, or the tenant's
// default_audience, and finds its API.
func (e *Endpoint) resolveAudience(req *request) *oauth.Error {
	audience := req.params["audience"]
	if audience == "" {
		audience = req.snap.Settings.DefaultAudience
	}
	if audience == "" {
		// As on Auth0, a user's token asked for with no audience and no
		// default_audience is good for /userinfo only, with or without
		// openid (Auth0 then issues an opaque token for /userinfo). A
		// client's token has no user to describe, so it needs an API.
		if req.grant.user {
			return nil
		}
		return oauth.MissingParameter("audience")
	}
	req.audience = audience
	req.event.Audience = audience
	api, ok := req.snap.API(audience)
	if !ok {
		return oauth.UnknownAudience(audience)
	}
	// A user token must never carry Management API scopes: with "all of
	// the API's scopes" as the password grant's default, it would make
	// every user an administrator.
	if api.IsSystem && req.grant.user {
		return oauth.AccessDenied(fmt.Sprintf("Users cannot get tokens for %q", audience))
	}
	req.api = api
	return nil
}

// DefaultUserinfoLifetime is the lifetime of a token issued without an
// audience, good only for /userinfo (Auth0's default API token lifetime).
const DefaultUserinfoLifetime = 86400 * time.Second

// mint signs the access token (and the ID token when one was asked for)
// with what was granted and what the hook changed.
func (e *Endpoint) mint(req *request, changes hooks.Changes) (oauth.TokenResponse, *oauth.Error) {
	var resp oauth.TokenResponse
	// The ID token, and an access token without an API, use the tenant's
	// algorithm (RS256); an API's access token takes its signing_alg.
	var tenantSigner *keys.Signer
	var err error
	if req.openid || req.api == nil {
		if tenantSigner, err = req.snap.Keys.Signer(); err != nil {
			return resp, oauth.ServerError("", err)
		}
	}
	signer := tenantSigner
	var aud []string
	lifetime := DefaultUserinfoLifetime
	if api := req.api; api != nil {
		aud = append(aud, api.Identifier)
		lifetime = time.Duration(api.TokenLifetime) * time.Second
		if signer, err = req.snap.AccessSigner(api); err != nil {
			return resp, oauth.ServerError("", err)
		}
	}
	// /userinfo verifies with the tenant's published keys, so it can never
	// accept an HS256 token: such a token does not name it as an audience.
	// A user's token without an API names /userinfo alone.
	if (req.openid || req.api == nil) && signer.Alg != "HS256" {
		aud = append(aud, e.Issuer+"userinfo")
	}
	subject := req.user.UserID
	if !req.grant.user {
		subject = req.client.ClientID + "@clients"
	}
	scope := strings.Join(changes.Access.ScopesOr(req.scopes), " ")
	raw, err := token.MintAccess(signer, token.Access{
		Issuer:    e.Issuer,
		Subject:   subject,
		Audience:  aud,
		ClientID:  req.client.ClientID,
		Scope:     scope,
		GrantType: req.grant.gty,
		IssuedAt:  req.now,
		Lifetime:  lifetime,
		Custom:    changes.Access.Claims,
	})
	if err != nil {
		return resp, oauth.ServerError("", err)
	}
	resp = oauth.TokenResponse{AccessToken: raw, ExpiresIn: int(lifetime / time.Second), Scope: scope}
	if req.openid {
		// The claim sets follow the scopes granted before the hook ran: a
		// hook reshapes the access token's scope, not what the user consented
		// to release about themselves.
		profile, email := oauth.ClaimScopes(req.scopes)
		if resp.IDToken, err = token.MintID(tenantSigner, token.ID{
			Issuer:   e.Issuer,
			Subject:  req.user.UserID,
			ClientID: req.client.ClientID,
			IssuedAt: req.now,
			Lifetime: time.Duration(req.client.IDTokenLifetime) * time.Second,
			User:     userProfile(req.user).Claims(profile, email),
			Custom:   changes.ID.Claims,
		}); err != nil {
			return oauth.TokenResponse{}, oauth.ServerError("", err)
		}
	}
	req.event.Scope = scope
	return resp, nil
}
