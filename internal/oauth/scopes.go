package oauth

// OIDC scopes (OpenID Connect Core §5.4): they select user claims, not API
// permissions, and are never intersected with an API's scopes.
const (
	ScopeOpenID  = "openid"
	ScopeProfile = "profile"
	ScopeEmail   = "email"
)

// IsOIDCScope reports whether s is one of the OIDC scopes this server knows.
func IsOIDCScope(s string) bool {
	return s == ScopeOpenID || s == ScopeProfile || s == ScopeEmail
}

// ClaimScopes says which user claim sets scopes release. openid alone
// releases both profile and email (compat-spec §2.1, as Auth0 does);
// without openid none is released.
func ClaimScopes(scopes []string) (profile, email bool) {
	var openid bool
	for _, s := range scopes {
		switch s {
		case ScopeOpenID:
			openid = true
		case ScopeProfile:
			profile = true
		case ScopeEmail:
			email = true
		}
	}
	if !openid {
		return false, false
	}
	if !profile && !email {
		return true, true
	}
	return profile, email
}
