package grant

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// credentials are what the client presented (RFC 6749 §2.3.1).
type credentials struct {
	id, secret string
	basic      bool // came in an Authorization: Basic header
}

func clientCredentials(r *http.Request, p params) (credentials, *oauth.Error) {
	user, pass, hasBasic := r.BasicAuth()
	if !hasBasic {
		return credentials{id: p["client_id"], secret: p["client_secret"]}, nil
	}
	// The Basic credentials are form-encoded before base64 (§2.3.1).
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil {
		return credentials{}, oauth.InvalidRequest("Authorization header is not valid")
	}
	if p["client_secret"] != "" {
		return credentials{}, oauth.InvalidRequest("Use only one client authentication method")
	}
	if bodyID := p["client_id"]; bodyID != "" && bodyID != id {
		return credentials{}, oauth.InvalidRequest("client_id does not match the Authorization header")
	}
	return credentials{id: id, secret: secret, basic: true}, nil
}

// authenticateClient finds the client and checks its secret. Unknown
// clients and wrong secrets get the same answer after the same work.
func authenticateClient(snap *catalog.Snapshot, c credentials, secretRequired bool) (*storage.Client, *oauth.Error) {
	if c.id == "" {
		return nil, oauth.MissingParameter("client_id")
	}
	client, ok := snap.Client(c.id)
	if ok && client.TokenEndpointAuthMethod == "none" && !secretRequired {
		return client, nil
	}
	stored := ""
	if ok {
		stored = client.Secret
	}
	if !secretsEqual(stored, c.secret) {
		return nil, oauth.Unauthorized(c.basic)
	}
	return client, nil
}

// secretsEqual compares in constant time, over fixed-length digests so the
// secret's length does not leak either.
func secretsEqual(stored, given string) bool {
	a := sha256.Sum256([]byte(stored))
	b := sha256.Sum256([]byte(given))
	// An unknown client compares against "" and never matches.
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && stored != ""
}
