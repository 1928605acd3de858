package mgmt

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/mail"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/outbox"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Users of the database connection (compat-spec §1, §4.2), in Auth0's
// shapes. A password or hash never appears in a response: userOut has no
// field for it.

const userIDPrefix = "auth0|"

var (
	errNoUser          = newError(http.StatusNotFound, "inexistent_user", "The user does not exist.")
	errUserExists      = newError(http.StatusConflict, "auth0_idp_error", "The user already exists.")
	errNoConnection    = newError(http.StatusBadRequest, "inexistent_connection", "The connection does not exist.")
	errNoPasswordSetup = newError(http.StatusNotImplemented, "not_implemented", "Passwords are not configured on this server")
	// localID is what may follow "auth0|": Auth0's generated ids are hex,
	// imported ones are often other ids kept for continuity.
	localID = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
)

const maxProfileLen = 300

type identityJSON struct {
	Connection string `json:"connection"`
	UserID     string `json:"user_id"`
	Provider   string `json:"provider"`
	IsSocial   bool   `json:"isSocial"`
}

type userJSON struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Username      string         `json:"username,omitempty"`
	Name          string         `json:"name"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Nickname      string         `json:"nickname"`
	Picture       string         `json:"picture,omitempty"`
	UserMetadata  map[string]any `json:"user_metadata"`
	AppMetadata   map[string]any `json:"app_metadata"`
	Identities    []identityJSON `json:"identities"`
	CreatedAt     string         `json:"created_at"`
	UpdatedAt     string         `json:"updated_at"`
	LastLogin     string         `json:"last_login,omitempty"`
	LastIP        string         `json:"last_ip,omitempty"`
	LoginsCount   int            `json:"logins_count"`
	Blocked       bool           `json:"blocked"`
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func userOut(u storage.User) userJSON {
	return userJSON{
		UserID:        u.UserID,
		Email:         u.Email,
		EmailVerified: u.EmailVerified,
		Username:      u.Username,
		Name:          u.Name,
		GivenName:     u.GivenName,
		FamilyName:    u.FamilyName,
		Nickname:      u.Nickname,
		Picture:       u.Picture,
		UserMetadata:  orEmptyMap(u.UserMetadata),
		AppMetadata:   orEmptyMap(u.AppMetadata),
		Identities: []identityJSON{{Connection: u.Connection, UserID: strings.TrimPrefix(u.UserID, userIDPrefix),
			Provider: "auth0", IsSocial: false}},
		CreatedAt:   isoTime(u.CreatedAt),
		UpdatedAt:   isoTime(u.UpdatedAt),
		LastLogin:   isoTimePtr(u.LastLogin),
		LastIP:      u.LastIP,
		LoginsCount: u.LoginsCount,
		Blocked:     u.Blocked,
	}
}

// userIn is the body of POST and PATCH /users. The metadata are raw so
// PATCH can tell an absent property from null and from {}.
type userIn struct {
	UserID        *string         `json:"user_id"`
	Connection    *string         `json:"connection"`
	Email         *string         `json:"email"`
	EmailVerified *bool           `json:"email_verified"`
	VerifyEmail   *bool           `json:"verify_email"`
	Username      *string         `json:"username"`
	Password      *string         `json:"password"`
	PasswordHash  *string         `json:"password_hash"`
	Name          *string         `json:"name"`
	GivenName     *string         `json:"given_name"`
	FamilyName    *string         `json:"family_name"`
	Nickname      *string         `json:"nickname"`
	Picture       *string         `json:"picture"`
	UserMetadata  json.RawMessage `json:"user_metadata"`
	AppMetadata   json.RawMessage `json:"app_metadata"`
	Blocked       *bool           `json:"blocked"`
}

// apply copies the profile fields that were sent onto u and validates
// them. Passwords, ids and the connection are the handlers' business.
func (in userIn) apply(u *storage.User) error {
	if in.Connection != nil && *in.Connection != storage.DatabaseConnection {
		return errNoConnection
	}
	if in.Email != nil {
		email, err := normalizeEmail(*in.Email)
		if err != nil {
			return err
		}
		if email != u.Email {
			// A new address is unverified unless the caller says otherwise,
			// as on Auth0.
			u.EmailVerified = false
		}
		u.Email = email
	}
	if in.EmailVerified != nil {
		u.EmailVerified = *in.EmailVerified
	}
	if in.Username != nil {
		if err := validUsername(*in.Username); err != nil {
			return err
		}
		u.Username = *in.Username
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *string
	}{{"name", in.Name, &u.Name}, {"given_name", in.GivenName, &u.GivenName}, {"family_name", in.FamilyName, &u.FamilyName},
		{"nickname", in.Nickname, &u.Nickname}, {"picture", in.Picture, &u.Picture}} {
		if f.in == nil {
			continue
		}
		if len(*f.in) > maxProfileLen {
			return errBodyOn(f.name, "String is too long (%d chars), maximum %d", len(*f.in), maxProfileLen)
		}
		*f.out = *f.in
	}
	var err error
	if u.UserMetadata, err = mergeMetadata("user_metadata", u.UserMetadata, in.UserMetadata); err != nil {
		return err
	}
	if u.AppMetadata, err = mergeMetadata("app_metadata", u.AppMetadata, in.AppMetadata); err != nil {
		return err
	}
	if in.Blocked != nil {
		u.Blocked = *in.Blocked
	}
	return nil
}

// mergeMetadata applies Auth0's metadata PATCH semantics: top-level
// properties merge into what is stored (nested objects are replaced, not
// merged), a null property deletes its key, and {} (or null) clears all.
func mergeMetadata(prop string, old map[string]any, raw json.RawMessage) (map[string]any, error) {
	if raw == nil {
		return old, nil
	}
	if string(raw) == "null" {
		return map[string]any{}, nil
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil || in == nil {
		return nil, errBodyOn(prop, "Expected type object but found type %s", jsonKind(raw))
	}
	if len(in) == 0 {
		return map[string]any{}, nil
	}
	out := make(map[string]any, len(old)+len(in))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range in {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if err := storage.CheckMetadata(prop, out); err != nil {
		return nil, errBodyOn(prop, "%s", err.Error())
	}
	return out, nil
}

// normalizeEmail checks a plain address and lower-cases it, as Auth0
// stores emails.
func normalizeEmail(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", errBodyOn("email", "Object didn't pass validation for format email: %s", s)
	}
	return strings.ToLower(s), nil
}

// validUsername keeps usernames disjoint from emails (no "@"), so a login
// name is never ambiguous.
func validUsername(s string) error {
	if s == "" || len(s) > 128 {
		return errBodyOn("username", "String length must be between 1 and 128")
	}
	if strings.ContainsRune(s, '@') || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errBodyOn("username", "Usernames cannot contain '@', spaces or control characters")
	}
	return nil
}

// hashFor applies the password policy and hashes.
func (a *API) hashFor(pw string) (string, error) {
	if a.d.Passwords == nil {
		return "", errNoPasswordSetup
	}
	if err := password.CheckPolicy(pw); err != nil {
		return "", newError(http.StatusBadRequest, "password_strength_error",
			"PasswordStrengthError: Password is too weak ("+strings.TrimPrefix(err.Error(), password.ErrPolicy.Error()+": ")+")")
	}
	return a.d.Passwords.Hash(pw)
}

func (a *API) newUserID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(a.d.Rand, b); err != nil {
		return "", err
	}
	return userIDPrefix + hex.EncodeToString(b), nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in userIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	switch {
	case in.Connection == nil:
		return errBody("Missing required property: connection")
	case in.Email == nil:
		return errBody("Missing required property: email")
	case in.Password == nil && in.PasswordHash == nil:
		return errBody("Missing required property: password")
	case in.Password != nil && in.PasswordHash != nil:
		return errBody("Only one of password and password_hash may be given")
	}
	now := a.d.Now()
	u := storage.User{Tenant: a.d.Tenant, Connection: storage.DatabaseConnection, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&u); err != nil {
		return err
	}
	if in.UserID != nil {
		id := strings.TrimPrefix(*in.UserID, userIDPrefix)
		if !localID.MatchString(id) {
			return errBodyOn("user_id", "String does not match pattern: %s", localID.String())
		}
		u.UserID = userIDPrefix + id
	} else {
		id, err := a.newUserID()
		if err != nil {
			return err
		}
		u.UserID = id
	}
	// Auth0's defaults for the profile a database signup leaves empty.
	if u.Name == "" {
		u.Name = u.Email
	}
	if u.Nickname == "" {
		u.Nickname, _, _ = strings.Cut(u.Email, "@")
	}
	if in.PasswordHash != nil {
		if !password.ValidHash(*in.PasswordHash) {
			return errBodyOn("password_hash", "Expected a bcrypt hash ($2a$, $2b$ or $2y$)")
		}
		u.PasswordHash = *in.PasswordHash
	} else {
		h, err := a.hashFor(*in.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = h
	}
	if err := a.d.Store.CreateUser(r.Context(), u); err != nil {
		return conflictAsErr(err, errUserExists)
	}
	writeJSON(w, http.StatusCreated, userOut(u))
	return nil
}

func conflictAsErr(err error, e *apiError) error {
	if errors.Is(err, storage.ErrConflict) {
		return e
	}
	return err
}

// userQuery turns Auth0's q into a storage query. The Lucene syntax of
// Auth0's search engine is not implemented: `email:"x"` (or email:x) is an
// exact email match, anything else a substring of email, username or name.
func userQuery(q string) storage.UserQuery {
	q = strings.TrimSpace(q)
	if v, ok := strings.CutPrefix(q, "email:"); ok {
		return storage.UserQuery{Email: strings.Trim(v, `"`)}
	}
	return storage.UserQuery{Search: strings.Trim(strings.Trim(q, `"`), "*")}
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, listParams, "q", "search_engine", "connection", "sort", "primary_order")
	if err != nil {
		return err
	}
	if v, ok := q.filters["search_engine"]; ok && v != "v1" && v != "v2" && v != "v3" {
		return errQuery("No enum match for search_engine: %q", v)
	}
	// primary_order=false lets Auth0 answer in any order; the one order
	// here is always deterministic.
	if _, err := queryBool(q.filters["primary_order"], "primary_order", true); err != nil {
		return err
	}
	uq := userQuery(q.filters["q"])
	if v, ok := q.filters["sort"]; ok {
		field, dir, _ := strings.Cut(v, ":")
		if !slices.Contains(storage.UserSortFields, field) || (dir != "1" && dir != "-1") {
			return errQuery("Invalid sort: expected field:1 or field:-1 with a field among %s", strings.Join(storage.UserSortFields, ", "))
		}
		uq.SortBy, uq.Descending = field, dir == "-1"
	}
	if v, ok := q.filters["connection"]; ok && v != storage.DatabaseConnection {
		return writeList(w, "users", []userJSON{}, 0, q)
	}
	uq.Page = q.storagePage()
	list, total, err := a.d.Store.ListUsers(r.Context(), a.d.Tenant, uq)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(list))
	for i, u := range list {
		out[i] = userOut(u)
	}
	return writeList(w, "users", out, total, q)
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	u, err := a.d.Store.GetUser(r.Context(), a.d.Tenant, r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errNoUser)
	}
	return writeOne(w, http.StatusOK, userOut(u), q.sel)
}

func (a *API) usersByEmail(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams, "email")
	if err != nil {
		return err
	}
	email := q.filters["email"]
	if email == "" {
		return errQuery("Missing required property: email")
	}
	list, _, err := a.d.Store.ListUsers(r.Context(), a.d.Tenant, storage.UserQuery{Email: email})
	if err != nil {
		return err
	}
	out := make([]any, 0, len(list))
	for _, u := range list {
		p, err := project(userOut(u), q.sel)
		if err != nil {
			return err
		}
		out = append(out, p)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, caller token.Claims) error {
	var in userIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	// update:users_app_metadata alone may change app_metadata only.
	rest := in
	rest.AppMetadata = nil
	if !caller.HasScope(scopeUpdateUsers) && !reflect.ValueOf(rest).IsZero() {
		return authorize(caller, anyOf(scopeUpdateUsers))
	}
	switch {
	case in.UserID != nil:
		return errBody("Additional properties not allowed: user_id")
	case in.PasswordHash != nil:
		return errBody("Additional properties not allowed: password_hash")
	}
	var (
		hash string
		err  error
	)
	if in.Password != nil {
		// Hashed before the update transaction: bcrypt must not hold the
		// row lock (or, on SQLite, the database write lock).
		if hash, err = a.hashFor(*in.Password); err != nil {
			return err
		}
	}
	id := r.PathValue("id")
	notify := false
	if hash != "" {
		if notify, err = a.postChangePasswordEnabled(r); err != nil {
			return err
		}
	}
	u, err := a.d.Store.UpdateUserThen(r.Context(), a.d.Tenant, id, func(u storage.User) (storage.User, []storage.Execution, error) {
		if err := in.apply(&u); err != nil {
			return u, nil, err
		}
		u.UpdatedAt = a.d.Now()
		if hash == "" {
			return u, nil, nil
		}
		u.PasswordHash = hash
		if !notify {
			return u, nil, nil
		}
		// post-change-password runs from the outbox, stored with the new
		// password in this transaction (internal/outbox).
		e, err := outbox.PasswordChanged(u, u.UpdatedAt, a.d.Rand)
		return u, []storage.Execution{e}, err
	})
	if err != nil {
		return notFoundAs(conflictAsErr(err, errUserExists), errNoUser)
	}
	if notify && a.d.Outbox != nil {
		a.d.Outbox.Notify()
	}
	// A new password lifts brute-force blocks, as a reset does on Auth0.
	if hash != "" {
		if err := a.d.Store.ResetFailedLogins(r.Context(), a.d.Tenant, id, ""); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, userOut(u))
	return nil
}

// postChangePasswordEnabled reports whether a post-change-password hook
// is enabled: only then is a pending execution stored.
func (a *API) postChangePasswordEnabled(r *http.Request) (bool, error) {
	on := true
	list, _, err := a.d.Store.ListHooks(r.Context(), a.d.Tenant, storage.HookFilter{TriggerID: hooks.PostChangePassword, Enabled: &on},
		storage.Page{PerPage: 1})
	return len(list) > 0, err
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	if err := a.d.Store.DeleteUser(r.Context(), a.d.Tenant, r.PathValue("id")); err != nil {
		return notFoundAs(err, errNoUser)
	}
	writeNoContent(w)
	return nil
}

// blockJSON is one entry of Auth0's {"blocked_for": [...]}.
type blockJSON struct {
	Identifier string `json:"identifier"`
	IP         string `json:"ip"`
}

// blockedUser finds the user of /user-blocks/{id} or ?identifier=. An
// unknown identifier is not an error: there is simply nothing blocked.
func (a *API) blockedUser(r *http.Request, byIdentifier bool) (storage.User, bool, error) {
	if !byIdentifier {
		u, err := a.d.Store.GetUser(r.Context(), a.d.Tenant, r.PathValue("id"))
		if err != nil {
			return u, false, notFoundAs(err, errNoUser)
		}
		return u, true, nil
	}
	q, err := parseQuery(r, noParams, "identifier")
	if err != nil {
		return storage.User{}, false, err
	}
	ident := q.filters["identifier"]
	if ident == "" {
		return storage.User{}, false, errQuery("Missing required property: identifier")
	}
	u, err := a.d.Store.GetUserByLogin(r.Context(), a.d.Tenant, storage.DatabaseConnection, ident)
	if errors.Is(err, storage.ErrNotFound) {
		return u, false, nil
	}
	return u, err == nil, err
}

func (a *API) listUserBlocks(byIdentifier bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
		if !byIdentifier {
			if _, err := parseQuery(r, noParams); err != nil {
				return err
			}
		}
		u, ok, err := a.blockedUser(r, byIdentifier)
		if err != nil {
			return err
		}
		out := []blockJSON{}
		if ok {
			counters, err := a.d.Store.ListFailedLogins(r.Context(), a.d.Tenant, u.UserID)
			if err != nil {
				return err
			}
			now := a.d.Now()
			for _, c := range counters {
				if a.d.Lockout.Blocked(c.Count, c.Last, now) {
					out = append(out, blockJSON{Identifier: u.Email, IP: c.IP})
				}
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"blocked_for": out})
		return nil
	}
}

func (a *API) deleteUserBlocks(byIdentifier bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
		if !byIdentifier {
			if _, err := parseQuery(r, noParams); err != nil {
				return err
			}
		}
		u, ok, err := a.blockedUser(r, byIdentifier)
		if err != nil {
			return err
		}
		if ok {
			if err := a.d.Store.ResetFailedLogins(r.Context(), a.d.Tenant, u.UserID, ""); err != nil {
				return err
			}
		}
		writeNoContent(w)
		return nil
	}
}
