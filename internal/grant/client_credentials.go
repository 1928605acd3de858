package grant

import (
	"strings"

	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// authorizeClientCredentials is grant_type=client_credentials' own part
// (RFC 6749 §4.4, compat-spec §2.1): the client grant for the audience
// decides the scopes (all of the API's when it allows all scopes); a
// requested scope narrows them to the intersection.
// The audience is required (Endpoint.resolveAudience): this grant never
// sets request.openid.
func (e *Endpoint) authorizeClientCredentials(req *request) *oauth.Error {
	grant, ok := req.snap.Grant(req.client.ClientID, req.audience)
	if !ok {
		return oauth.NoClientGrant(req.audience)
	}
	granted := req.snap.GrantedScopes(grant)
	req.scopes = granted
	req.allowed = granted
	if requested, ok := req.params["scope"]; ok {
		req.scopes = intersect(granted, strings.Fields(requested))
	}
	return nil
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
