package token

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
)

// IDTokenLifetime is Auth0's default ID token lifetime (compat-spec §2.2);
// a client's jwt_configuration.lifetime_in_seconds replaces it.
const IDTokenLifetime = 36000 * time.Second

// Profile is the user data OIDC scopes release, in an ID token and at
// /userinfo alike (OpenID Connect Core §5.4).
type Profile struct {
	Name          string
	Nickname      string
	Picture       string
	UpdatedAt     time.Time
	Email         string
	EmailVerified bool
}

// Claims returns the claims of the profile and email scopes that were
// granted. updated_at is an ISO 8601 string, as Auth0 writes it, rather than
// the number OIDC Core §5.1 specifies: clients written against Auth0 parse
// the string.
func (p Profile) Claims(profile, email bool) map[string]any {
	out := map[string]any{}
	if profile {
		out["name"] = p.Name
		out["nickname"] = p.Nickname
		out["picture"] = p.Picture
		out["updated_at"] = p.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if email {
		out["email"] = p.Email
		out["email_verified"] = p.EmailVerified
	}
	return out
}

// ID is what an ID token says (compat-spec §2.2).
type ID struct {
	Issuer   string
	Subject  string
	ClientID string // the audience
	IssuedAt time.Time
	// Lifetime is exp-iat; zero means IDTokenLifetime.
	Lifetime time.Duration
	// User holds the scope-selected profile claims (Profile.Claims).
	User map[string]any
	// Custom holds the namespaced claims a hook added to the idToken.
	Custom map[string]json.RawMessage
}

// MintID signs an ID token. It runs once per password login, next to a
// bcrypt compare that costs a hundred times more, so plain encoding/json
// is fine here. Registered claims are written last and so always win.
func MintID(s *keys.Signer, t ID) (string, error) {
	payload := make(map[string]any, 6+len(t.User)+len(t.Custom))
	for k, v := range t.Custom {
		payload[k] = v
	}
	for k, v := range t.User {
		payload[k] = v
	}
	payload["iss"] = t.Issuer
	payload["sub"] = t.Subject
	payload["aud"] = t.ClientID
	payload["iat"] = t.IssuedAt.Unix()
	lifetime := t.Lifetime
	if lifetime <= 0 {
		lifetime = IDTokenLifetime
	}
	payload["exp"] = t.IssuedAt.Add(lifetime).Unix()
	b, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("token: id token: %w", err)
	}
	return s.Sign(b)
}
