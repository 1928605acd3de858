package token

import "time"

// Grant type values of the "gty" claim (compat-spec §2.2).
const (
	GrantTypeClientCredentials = "client-credentials"
	GrantTypePassword          = "password"
)

// Claims are the registered claims of an access token as this server reads
// them back when it verifies one (the Management API's bearer tokens).
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	ClientID  string // azp
	Scope     []string
	GrantType string // gty
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// HasScope reports whether the token carries scope s.
func (c Claims) HasScope(s string) bool {
	for _, v := range c.Scope {
		if v == s {
			return true
		}
	}
	return false
}
