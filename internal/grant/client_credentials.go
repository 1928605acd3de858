package grant

import (
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// clientCredentials implements grant_type=client_credentials (RFC 6749
// §4.4, compat-spec §2.1): the client grant for the audience decides the
// scopes; a requested scope narrows them to the intersection.
func (e *Endpoint) clientCredentials(req *request) (issued, *oauth.Error) {
	ev := storage.LogEvent{Type: eventlog.SuccessCredentialsExchange, Description: "Client Credentials for Access Token"}
	client, failure := authenticateClient(req.snap, req.creds, true)
	if failure != nil {
		return issued{event: ev}, failure
	}
	ev.ClientID, ev.ClientName = client.ClientID, client.Name
	if !hasGrantType(client, oauth.GrantClientCredentials) {
		return issued{event: ev}, oauth.UnauthorizedClient(oauth.GrantClientCredentials)
	}
	audience := req.params["audience"]
	if audience == "" {
		audience = req.snap.Settings.DefaultAudience
	}
	if audience == "" {
		return issued{event: ev}, oauth.MissingParameter("audience")
	}
	ev.Audience = audience
	api, ok := req.snap.API(audience)
	if !ok {
		return issued{event: ev}, oauth.UnknownAudience(audience)
	}
	grant, ok := req.snap.Grant(client.ClientID, audience)
	if !ok {
		return issued{event: ev}, oauth.NoClientGrant(audience)
	}
	scopes := grant.Scope
	if requested, ok := req.params["scope"]; ok {
		scopes = intersect(grant.Scope, strings.Fields(requested))
	}
	var changes hooks.Changes
	// Hooks do not run for tokenhook's own Management API (the system API):
	// a hook that denies or loops must never lock operators out of the API
	// they need to fix it. Auth0 ran them there too; this is a deliberate
	// deviation (docs/hooks.md).
	if !api.IsSystem {
		var failure *oauth.Error
		changes, failure = e.runHook(req, hooks.CredentialsExchange, hooks.Input{
			Client:   hookClient(client, req.snap.Tenant),
			Scope:    scopes,
			Audience: audience,
		}, &ev)
		if failure != nil {
			return issued{event: ev}, failure
		}
	}
	scopes = changes.Access.ScopesOr(scopes)
	custom := changes.Access.Claims
	signer, err := req.snap.AccessSigner(api)
	if err != nil {
		return issued{event: ev}, oauth.ServerError("", err)
	}
	scope := scopeString(scopes)
	access := token.Access{
		Issuer:    e.Issuer,
		Subject:   client.ClientID + "@clients",
		Audience:  []string{audience},
		ClientID:  client.ClientID,
		Scope:     scope,
		GrantType: token.GrantTypeClientCredentials,
		IssuedAt:  req.now,
		Lifetime:  time.Duration(api.TokenLifetime) * time.Second,
		Custom:    custom,
	}
	raw, err := token.MintAccess(signer, access)
	if err != nil {
		return issued{event: ev}, oauth.ServerError("", err)
	}
	ev.Scope = scope
	return issued{
		response: oauth.TokenResponse{AccessToken: raw, ExpiresIn: api.TokenLifetime, Scope: scope},
		event:    ev,
	}, nil
}

func hasGrantType(c *storage.Client, grant string) bool {
	for _, g := range c.GrantTypes {
		if g == grant {
			return true
		}
	}
	return false
}

// intersect keeps the granted scopes that were requested, in grant order.
func intersect(granted, requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, g := range granted {
		for _, r := range requested {
			if g == r {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
