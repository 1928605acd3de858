package grant

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// UserStore is what the password grant reads and writes of users. Users
// are not in the catalog snapshot: a login reads its one user from storage.
type UserStore interface {
	GetUserByLogin(ctx context.Context, tenant, connection, login string) (storage.User, error)
	CountLoginAttempt(ctx context.Context, tenant, key, ip string, at, staleBefore time.Time, limit int) (int, error)
	ResetFailedLogins(ctx context.Context, tenant, userID, ip string) error
	RecordLogin(ctx context.Context, tenant, userID, ip string, at time.Time) error
	// UpdateUser persists post-login Actions' metadata writes.
	UpdateUser(ctx context.Context, tenant, userID string, fn func(storage.User) (storage.User, error)) (storage.User, error)
}

// forwardedForHeader carries the end user's IP when a confidential
// back end calls the token endpoint on the user's behalf (Auth0's name).
const forwardedForHeader = "auth0-forwarded-for"

// passwordParams and authorizePassword are grant_type=password's and
// Auth0's password-realm extension's own part (compat-spec §2.1, RFC 6749
// §4.3). The parameters are checked before the audience, so a malformed
// request never costs a bcrypt compare.
func (e *Endpoint) passwordParams(req *request) *oauth.Error {
	// Only a back end that proved its secret may speak for the user's IP;
	// anyone else could use the header to dodge the brute-force counter.
	if fwd := req.forwardedFor; fwd != "" && req.client.TokenEndpointAuthMethod != "none" {
		first, _, _ := strings.Cut(fwd, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			req.ip = ip.String()
		}
	}
	if req.params["username"] == "" {
		return oauth.MissingParameter("username")
	}
	if req.params["password"] == "" {
		return oauth.MissingParameter("password")
	}
	if req.grantType == oauth.GrantPasswordRealm {
		realm := req.params["realm"]
		if realm == "" {
			return oauth.MissingParameter("realm")
		}
		if realm != storage.DatabaseConnection {
			return oauth.UnknownRealm(realm)
		}
	} else if d := req.snap.Settings.DefaultDirectory; d != "" && d != storage.DatabaseConnection {
		return oauth.UnknownRealm(d)
	}
	if cc := req.snap.Settings.ConnectionClients; cc != nil && !slices.Contains(*cc, req.client.ClientID) {
		return oauth.InvalidRequest("The connection " + storage.DatabaseConnection + " is not enabled for this client")
	}
	req.requested = strings.Fields(req.params["scope"])
	req.openid = slices.Contains(req.requested, oauth.ScopeOpenID)
	return nil
}

func (e *Endpoint) authorizePassword(req *request) *oauth.Error {
	req.scopes = grantedScopes(req.requested, req.api)
	user, failure := e.authenticateUser(req, storage.DatabaseConnection, req.params["username"], req.params["password"])
	if failure != nil {
		return failure
	}
	req.user = user
	return nil
}

// authenticateUser checks the brute-force counter and the password
// (compat-spec §2.3). The attempt is counted before the compare, in one
// atomic statement, so however many guesses arrive at once for one user
// from one IP, at most the threshold of them are compared; the rest get
// 429 without costing a compare. A success resets the counter, as Auth0's
// does. Unknown login names are counted the same way under a key of their
// own, cost one bcrypt compare like known ones and get the same answers,
// so neither a 403 nor a 429 tells which names exist.
func (e *Endpoint) authenticateUser(req *request, connection, login, pw string) (storage.User, *oauth.Error) {
	ev := &req.event
	ev.UserName = login
	tenant := req.snap.Tenant
	user, err := e.Users.GetUserByLogin(req.ctx, tenant, connection, login)
	known := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return user, oauth.ServerError("", err)
	}
	key := user.UserID
	if known {
		ev.UserID = user.UserID
	} else {
		key = password.UnknownLoginKey(connection, login)
	}
	if e.Lockout.Threshold > 0 {
		// One attempt of a key at a time in this process (see
		// password.AttemptGate); past Threshold waiting, the burst is
		// refused as a lockout would refuse it.
		leave, ok := e.attempts.Enter(req.ctx, tenant+"\x00"+key+"\x00"+req.ip, e.Lockout.Threshold)
		if !ok {
			return user, oauth.TooManyAttempts()
		}
		defer leave()
		n, err := e.Users.CountLoginAttempt(req.ctx, tenant, key, req.ip, req.now, e.Lockout.StaleBefore(req.now), e.Lockout.Threshold)
		if err != nil {
			return user, oauth.ServerError("", err)
		}
		if !e.Lockout.Attempt(n) {
			return user, oauth.TooManyAttempts()
		}
	}
	if !known {
		e.Passwords.Waste(pw)
		return user, oauth.WrongCredentials()
	}
	if !e.Passwords.Matches(user.PasswordHash, pw) {
		return user, oauth.WrongCredentials()
	}
	if e.Lockout.Threshold > 0 {
		if err := e.Users.ResetFailedLogins(req.ctx, tenant, user.UserID, req.ip); err != nil {
			return user, oauth.ServerError("", err)
		}
	}
	// Checked after the password so that only someone who knows it learns
	// that the account is blocked.
	if user.Blocked {
		return user, oauth.BlockedUser()
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
