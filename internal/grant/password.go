package grant

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// UserStore is what the password grant reads and writes of users. Users
// are not in the catalog snapshot: a login reads its one user from storage.
type UserStore interface {
	GetUserByLogin(ctx context.Context, tenant, connection, login string) (storage.User, error)
	GetFailedLogins(ctx context.Context, tenant, userID, ip string) (storage.FailedLogins, error)
	RecordFailedLogin(ctx context.Context, tenant, userID, ip string, at, staleBefore time.Time) (int, error)
	ResetFailedLogins(ctx context.Context, tenant, userID, ip string) error
	RecordLogin(ctx context.Context, tenant, userID, ip string, at time.Time) error
}

// forwardedForHeader carries the end user's IP when a confidential
// back end calls the token endpoint on the user's behalf (Auth0's name).
const forwardedForHeader = "auth0-forwarded-for"

// password implements grant_type=password and Auth0's password-realm
// extension (compat-spec §2.1, RFC 6749 §4.3). Cheap checks run first so
// a malformed request never costs a bcrypt compare.
func (e *Endpoint) password(req *request) (issued, *oauth.Error) {
	ev := storage.LogEvent{Type: eventlog.SuccessPasswordExchange, Description: "Successful exchange of password for access token"}
	if e.Users == nil || e.Passwords == nil {
		return issued{event: ev}, oauth.UnsupportedGrantType(req.grantType)
	}
	// Public clients (token_endpoint_auth_method none) run on the user's
	// device and cannot keep a secret; confidential ones must prove theirs.
	client, failure := authenticateClient(req.snap, req.creds, false)
	if failure != nil {
		return issued{event: ev}, failure
	}
	ev.ClientID, ev.ClientName = client.ClientID, client.Name
	if !hasGrantType(client, req.grantType) {
		return issued{event: ev}, oauth.UnauthorizedClient(req.grantType)
	}
	// Only a back end that proved its secret may speak for the user's IP;
	// anyone else could use the header to dodge the brute-force counter.
	if fwd := req.forwardedFor; fwd != "" && client.TokenEndpointAuthMethod != "none" {
		first, _, _ := strings.Cut(fwd, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			req.ip = ip.String()
		}
	}
	login, pw := req.params["username"], req.params["password"]
	if login == "" {
		return issued{event: ev}, oauth.MissingParameter("username")
	}
	if pw == "" {
		return issued{event: ev}, oauth.MissingParameter("password")
	}
	connection := storage.DatabaseConnection
	if req.grantType == oauth.GrantPasswordRealm {
		realm := req.params["realm"]
		if realm == "" {
			return issued{event: ev}, oauth.MissingParameter("realm")
		}
		if realm != connection {
			return issued{event: ev}, oauth.UnknownRealm(realm)
		}
	} else if d := req.snap.Settings.DefaultDirectory; d != "" && d != connection {
		return issued{event: ev}, oauth.UnknownRealm(d)
	}

	requested := strings.Fields(req.params["scope"])
	openid := slices.Contains(requested, oauth.ScopeOpenID)
	audience := req.params["audience"]
	if audience == "" {
		audience = req.snap.Settings.DefaultAudience
	}
	var api *storage.ResourceServer
	switch {
	case audience != "":
		var ok bool
		if api, ok = req.snap.API(audience); !ok {
			return issued{event: ev}, oauth.UnknownAudience(audience)
		}
		// A user token must never carry Management API scopes: with "all
		// of the API's scopes" as the default, it would make every user an
		// administrator.
		if api.IsSystem {
			return issued{event: ev}, oauth.AccessDenied(fmt.Sprintf("Users cannot get tokens for %q", audience))
		}
	case !openid:
		return issued{event: ev}, oauth.MissingParameter("audience")
	}
	ev.Audience = audience
	scopes := grantedScopes(requested, api)

	user, failure := e.authenticateUser(req, connection, login, pw, &ev)
	if failure != nil {
		return issued{event: ev}, failure
	}

	changes, failure := e.runHook(req, hooks.PasswordExchange, hooks.Input{
		User:     hookUser(user, req.snap.Tenant),
		Client:   hookClient(client, req.snap.Tenant),
		Scope:    scopes,
		Audience: audience,
	}, &ev)
	if failure != nil {
		return issued{event: ev}, failure
	}
	accessScopes := changes.Access.ScopesOr(scopes)
	accessClaims, idClaims := changes.Access.Claims, changes.ID.Claims

	// The ID token keeps the tenant's algorithm (RS256); the access token
	// takes its API's signing_alg.
	signer, err := req.snap.Keys.Signer()
	if err != nil {
		return issued{event: ev}, oauth.ServerError("", err)
	}
	accessSigner := signer
	userinfo := e.Issuer + "userinfo"
	var aud []string
	lifetime := DefaultUserinfoLifetime
	if api != nil {
		aud = append(aud, api.Identifier)
		lifetime = time.Duration(api.TokenLifetime) * time.Second
		if accessSigner, err = req.snap.AccessSigner(api); err != nil {
			return issued{event: ev}, oauth.ServerError("", err)
		}
	}
	// /userinfo verifies with the tenant's published keys, so it can never
	// accept an HS256 token: such a token does not name it as an audience.
	if openid && accessSigner.Alg != "HS256" {
		aud = append(aud, userinfo)
	}
	scope := scopeString(accessScopes)
	raw, err := token.MintAccess(accessSigner, token.Access{
		Issuer:    e.Issuer,
		Subject:   user.UserID,
		Audience:  aud,
		ClientID:  client.ClientID,
		Scope:     scope,
		GrantType: token.GrantTypePassword,
		IssuedAt:  req.now,
		Lifetime:  lifetime,
		Custom:    accessClaims,
	})
	if err != nil {
		return issued{event: ev}, oauth.ServerError("", err)
	}
	resp := oauth.TokenResponse{AccessToken: raw, ExpiresIn: int(lifetime / time.Second), Scope: scope}
	if openid {
		// The claim sets follow the scopes granted before the hook ran: a
		// hook reshapes the access token's scope, not what the user consented
		// to release about themselves.
		profile, email := oauth.ClaimScopes(scopes)
		if resp.IDToken, err = token.MintID(signer, token.ID{
			Issuer:   e.Issuer,
			Subject:  user.UserID,
			ClientID: client.ClientID,
			IssuedAt: req.now,
			User:     userProfile(user).Claims(profile, email),
			Custom:   idClaims,
		}); err != nil {
			return issued{event: ev}, oauth.ServerError("", err)
		}
	}
	// Login statistics are bookkeeping: a failure to write them is logged,
	// not turned into a failed login.
	if err := e.Users.RecordLogin(req.ctx, req.snap.Tenant, user.UserID, req.ip, req.now); err != nil {
		e.Log.Error("recording a login failed", "user_id", user.UserID, "err", err)
	}
	ev.Scope = scope
	return issued{response: resp, event: ev}, nil
}

// DefaultUserinfoLifetime is the lifetime of a token issued without an
// audience, good only for /userinfo (Auth0's default API token lifetime).
const DefaultUserinfoLifetime = 86400 * time.Second

// authenticateUser checks the password and the brute-force counter.
// Unknown users cost one bcrypt compare like known ones and get the same
// answer as a wrong password (compat-spec §2.3).
func (e *Endpoint) authenticateUser(req *request, connection, login, pw string, ev *storage.LogEvent) (storage.User, *oauth.Error) {
	ev.UserName = login
	tenant := req.snap.Tenant
	user, err := e.Users.GetUserByLogin(req.ctx, tenant, connection, login)
	if errors.Is(err, storage.ErrNotFound) {
		e.Passwords.Waste(pw)
		return user, oauth.WrongCredentials()
	}
	if err != nil {
		return user, oauth.ServerError("", err)
	}
	ev.UserID = user.UserID
	failures, err := e.Users.GetFailedLogins(req.ctx, tenant, user.UserID, req.ip)
	if err != nil {
		return user, oauth.ServerError("", err)
	}
	if e.Lockout.Blocked(failures.Count, failures.Last, req.now) {
		return user, oauth.TooManyAttempts()
	}
	if !e.Passwords.Matches(user.PasswordHash, pw) {
		if e.Lockout.Threshold > 0 {
			if _, err := e.Users.RecordFailedLogin(req.ctx, tenant, user.UserID, req.ip, req.now, e.Lockout.StaleBefore(req.now)); err != nil {
				return user, oauth.ServerError("", err)
			}
		}
		return user, oauth.WrongCredentials()
	}
	// Checked after the password so that only someone who knows it learns
	// that the account is blocked.
	if user.Blocked {
		return user, oauth.BlockedUser()
	}
	if failures.Count > 0 {
		if err := e.Users.ResetFailedLogins(req.ctx, tenant, user.UserID, req.ip); err != nil {
			return user, oauth.ServerError("", err)
		}
	}
	return user, nil
}

// grantedScopes applies compat-spec §2.1 (decision): the OIDC scopes
// requested, then the requested scopes the API defines, or all of the
// API's scopes when none but OIDC scopes were requested.
func grantedScopes(requested []string, api *storage.ResourceServer) []string {
	var oidc, apiRequested []string
	for _, s := range requested {
		if oauth.IsOIDCScope(s) {
			if !slices.Contains(oidc, s) {
				oidc = append(oidc, s)
			}
		} else {
			apiRequested = append(apiRequested, s)
		}
	}
	out := oidc
	if api == nil {
		return out
	}
	for _, s := range api.Scopes {
		if len(apiRequested) == 0 || slices.Contains(apiRequested, s.Value) {
			out = append(out, s.Value)
		}
	}
	return out
}

func hookUser(u storage.User, tenant string) *hooks.User {
	return &hooks.User{
		ID: u.UserID, Tenant: tenant, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified,
		DisplayName: u.Name, UserMetadata: u.UserMetadata, AppMetadata: u.AppMetadata,
	}
}

func userProfile(u storage.User) token.Profile {
	return token.Profile{Name: u.Name, Nickname: u.Nickname, Picture: u.Picture, UpdatedAt: u.UpdatedAt,
		Email: u.Email, EmailVerified: u.EmailVerified}
}
