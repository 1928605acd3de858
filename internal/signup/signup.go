package signup

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/outbox"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// MaxBody caps a signup request's body; a larger one is refused unread.
const MaxBody = 64 << 10

// Auth0's limits on signup user_metadata: at most ten properties, names
// up to 100 characters, string values up to 500.
const (
	maxMetadataProps = 10
	maxMetadataName  = 100
	maxMetadataValue = 500
	maxProfileField  = 2048
)

const userIDPrefix = "auth0|"

// Snapshots gives the current catalog (clients, hooks).
type Snapshots interface{ Snapshot() *catalog.Snapshot }

// Users stores new users; CreateUser fails with storage.ErrConflict when
// the email or username is taken.
type Users interface {
	CreateUser(ctx context.Context, u storage.User, then ...storage.Execution) error
}

// Notifier wakes the outbox worker after a signup stored a pending
// post-user-registration execution.
type Notifier interface{ Notify() }

// Events is the tenant log.
type Events interface{ Record(e storage.LogEvent) }

// Handler serves POST /dbconnections/signup.
type Handler struct {
	Catalog   Snapshots
	Users     Users
	Passwords *password.Hasher
	Events    Events
	Now       func() time.Time
	Rand      io.Reader
	Log       *slog.Logger
	// Hooks runs the tenant's pre-user-registration hook; nil: none runs.
	Hooks *hooks.Runner
	// Outbox is woken when a signup stored a post-user-registration
	// execution (with the user, in one transaction); nil: nobody is.
	Outbox Notifier
	limit  *limiter
}

// New returns a handler that allows perIPPerMinute signups per client
// address and minute (0: no limit).
func New(h Handler, perIPPerMinute int) *Handler {
	h.limit = newLimiter(perIPPerMinute, h.Now)
	return &h
}

// request is a parsed signup body.
type request struct {
	ClientID, Email, Password, Connection                    string
	Username, GivenName, FamilyName, Name, Nickname, Picture string
	UserMetadata                                             map[string]any
}

// response is Auth0's signup answer: the new user without the "auth0|"
// prefix on its id.
type response struct {
	ID            string         `json:"_id"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Username      string         `json:"username,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Name          string         `json:"name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	UserMetadata  map[string]any `json:"user_metadata,omitempty"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, &apiError{Name: "MethodNotAllowedError", Code: "method_not_allowed",
			Description: "Use POST", StatusCode: http.StatusMethodNotAllowed})
		return
	}
	snap := h.Catalog.Snapshot()
	ev := storage.LogEvent{Tenant: snap.Tenant, Date: h.Now().UTC(), IP: clientIP(r), UserAgent: r.UserAgent()}
	u, e := h.signup(w, r, snap, &ev)
	if e != nil {
		ev.Type = eventlog.FailedSignup
		ev.Description = e.logText
		if ev.Description == "" {
			if s, ok := e.Description.(string); ok {
				ev.Description = s
			} else {
				ev.Description = "Password is too weak"
			}
		}
		if ev.Details == nil {
			ev.Details = map[string]any{}
		}
		ev.Details["code"] = e.Code
		h.Events.Record(ev)
		writeError(w, e)
		return
	}
	ev.Type, ev.UserID, ev.UserName = eventlog.SuccessSignup, u.UserID, u.Email
	h.Events.Record(ev)
	writeJSON(w, http.StatusOK, u.out)
}

type created struct {
	storage.User
	out response
}

func (h *Handler) signup(w http.ResponseWriter, r *http.Request, snap *catalog.Snapshot, ev *storage.LogEvent) (*created, *apiError) {
	if !h.limit.allow(ev.IP) {
		return nil, &apiError{Name: "TooManyRequestsError", Code: "too_many_requests",
			Description: "Too many sign ups from this address; try again later", StatusCode: http.StatusTooManyRequests}
	}
	in, e := parse(w, r)
	if e != nil {
		return nil, e
	}
	if in.ClientID == "" {
		return nil, badRequest("bad.client_id", "Missing required property: client_id")
	}
	client, ok := snap.Client(in.ClientID)
	if !ok {
		return nil, badRequest("bad.client_id", "Unknown client")
	}
	ev.ClientID, ev.ClientName = client.ClientID, client.Name
	if in.Connection == "" {
		return nil, badRequest("bad.connection", "Missing required property: connection")
	}
	if in.Connection != storage.DatabaseConnection {
		return nil, badRequest("bad.connection", "Connection does not exist")
	}
	if cc := snap.Settings.ConnectionClients; cc != nil && !slices.Contains(*cc, client.ClientID) {
		return nil, badRequest("bad.connection", "The connection "+storage.DatabaseConnection+" is not enabled for this client")
	}
	// The connection's options.disable_signup (PATCH /api/v2/connections).
	if snap.Settings.DisableSignup {
		return nil, badRequest("operation_not_supported", "public signup is disabled")
	}
	email, e := checkEmail(in.Email)
	if e != nil {
		return nil, e
	}
	ev.UserName = email
	if in.Password == "" {
		return nil, badRequest("bad.password", "Missing required property: password")
	}
	if in.Username != "" {
		if e := checkUsername(in.Username); e != nil {
			return nil, e
		}
	}
	if e := checkMetadata(in.UserMetadata); e != nil {
		return nil, e
	}
	if e := policy(in.Password); e != nil {
		return nil, e
	}
	now := h.Now().UTC()
	u := storage.User{Tenant: snap.Tenant, Connection: storage.DatabaseConnection, Email: email, Username: in.Username,
		Name: in.Name, GivenName: in.GivenName, FamilyName: in.FamilyName, Nickname: in.Nickname, Picture: in.Picture,
		UserMetadata: in.UserMetadata, CreatedAt: now, UpdatedAt: now}
	id := make([]byte, 12)
	if _, err := io.ReadFull(h.Rand, id); err != nil {
		return nil, h.internal("random id", err)
	}
	u.UserID = userIDPrefix + hex.EncodeToString(id)
	// Auth0's defaults for the profile a database signup leaves empty.
	if u.Name == "" {
		u.Name = u.Email
	}
	if u.Nickname == "" {
		u.Nickname, _, _ = strings.Cut(u.Email, "@")
	}
	if e := h.preUserRegistration(r, snap, in, &u, ev); e != nil {
		return nil, e
	}
	// Hashed before the store is asked, so a taken email costs the same
	// time as a new one.
	hash, err := h.Passwords.Hash(in.Password)
	if err != nil {
		return nil, h.internal("hash", err)
	}
	u.PasswordHash = hash
	then, e := h.postUserRegistration(r, snap, u, ev)
	if e != nil {
		return nil, e
	}
	if err := h.Users.CreateUser(r.Context(), u, then...); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, errExists()
		}
		return nil, h.internal("store", err)
	}
	if len(then) > 0 && h.Outbox != nil {
		h.Outbox.Notify()
	}
	out := response{ID: strings.TrimPrefix(u.UserID, userIDPrefix), Email: u.Email, Username: u.Username,
		GivenName: in.GivenName, FamilyName: in.FamilyName, Name: in.Name, Nickname: in.Nickname, Picture: in.Picture,
		UserMetadata: u.UserMetadata}
	if len(out.UserMetadata) == 0 {
		out.UserMetadata = nil
	}
	return &created{User: u, out: out}, nil
}

// internal logs a failure of this server and refuses the signup with
// Auth0's generic text: a signup never answers a 5xx for what storage or
// the random source did, and the client learns nothing of internals.
func (h *Handler) internal(what string, err error) *apiError {
	if h.Log != nil {
		h.Log.Error("signup failed", "step", what, "err", err)
	}
	e := badRequest("invalid_signup", "Invalid sign up")
	e.logText = "Sign up failed on the server (" + what + ")"
	return e
}

// parse reads a JSON or form body of at most MaxBody bytes.
func parse(w http.ResponseWriter, r *http.Request) (request, *apiError) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var in request
	switch ct {
	case "application/json":
		var raw map[string]json.RawMessage
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&raw); err != nil || raw == nil {
			return in, bodyError(err)
		}
		fields := map[string]*string{"client_id": &in.ClientID, "email": &in.Email, "password": &in.Password,
			"connection": &in.Connection, "username": &in.Username, "given_name": &in.GivenName,
			"family_name": &in.FamilyName, "name": &in.Name, "nickname": &in.Nickname, "picture": &in.Picture}
		for name, dst := range fields {
			v, ok := raw[name]
			if !ok || string(v) == "null" {
				continue
			}
			if json.Unmarshal(v, dst) != nil {
				return in, badRequest("invalid_body", "Property "+name+" must be a string")
			}
		}
		if v, ok := raw["user_metadata"]; ok && string(v) != "null" {
			if json.Unmarshal(v, &in.UserMetadata) != nil || in.UserMetadata == nil {
				return in, badRequest("invalid_body", "Property user_metadata must be an object")
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return in, bodyError(err)
		}
		f := r.PostForm
		in.ClientID, in.Email, in.Password, in.Connection = f.Get("client_id"), f.Get("email"), f.Get("password"), f.Get("connection")
		in.Username, in.GivenName, in.FamilyName = f.Get("username"), f.Get("given_name"), f.Get("family_name")
		in.Name, in.Nickname, in.Picture = f.Get("name"), f.Get("nickname"), f.Get("picture")
	default:
		return in, badRequest("invalid_body", "Send application/json or application/x-www-form-urlencoded")
	}
	for _, s := range []string{in.ClientID, in.Email, in.Password, in.Connection, in.Username, in.GivenName,
		in.FamilyName, in.Name, in.Nickname, in.Picture} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || len(s) > maxProfileField {
			return in, badRequest("invalid_body", "Properties must be valid UTF-8 strings of at most 2048 bytes")
		}
	}
	return in, nil
}

func bodyError(err error) *apiError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &apiError{Name: "PayloadTooLargeError", Code: "invalid_body", Description: "The request body is too large",
			StatusCode: http.StatusRequestEntityTooLarge}
	}
	return badRequest("invalid_body", "The request body is not valid")
}

func checkEmail(s string) (string, *apiError) {
	if s == "" {
		return "", badRequest("bad.email", "Missing required property: email")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", badRequest("bad.email", "Invalid email address")
	}
	return strings.ToLower(s), nil
}

// checkUsername keeps usernames disjoint from emails (no "@"), as the
// Management API does, so a login name is never ambiguous.
func checkUsername(s string) *apiError {
	if len(s) > 128 || strings.ContainsRune(s, '@') ||
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return badRequest("bad.username", "Usernames are 1 to 128 characters without '@', spaces or control characters")
	}
	return nil
}

func checkMetadata(m map[string]any) *apiError {
	if len(m) > maxMetadataProps {
		return badRequest("invalid_body", "user_metadata may have at most 10 properties")
	}
	for k, v := range m {
		s, ok := v.(string)
		if !ok || utf8.RuneCountInString(k) > maxMetadataName || utf8.RuneCountInString(s) > maxMetadataValue {
			return badRequest("invalid_body", "user_metadata properties are strings of at most 500 characters, named in at most 100")
		}
	}
	return nil
}

// policy answers Auth0's PasswordStrengthError with the rules of
// password.CheckPolicy, each marked verified or not.
func policy(pw string) *apiError {
	if password.CheckPolicy(pw) == nil {
		return nil
	}
	d := passwordDescription{Rules: []rule{
		{Message: "At least %d characters in length", Format: []any{password.MinLength}, Code: "lengthAtLeast",
			Verified: utf8.RuneCountInString(pw) >= password.MinLength},
		{Message: "At most %d bytes in length", Format: []any{password.MaxBytes}, Code: "lengthAtMost",
			Verified: len(pw) <= password.MaxBytes},
	}}
	return &apiError{Name: "PasswordStrengthError", Code: "invalid_password", Description: d, StatusCode: http.StatusBadRequest,
		logText: "Password is too weak"}
}

func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// preUserRegistration runs the enabled pre-user-registration hook, if any,
// before anything is stored, and merges the metadata it answers into u.
// Any failure refuses the signup with extensibility_error (docs/hooks.md).
func (h *Handler) preUserRegistration(r *http.Request, snap *catalog.Snapshot, in request, u *storage.User, ev *storage.LogEvent) *apiError {
	hk, ok := snap.EnabledHook(hooks.PreUserRegistration)
	if !ok || h.Hooks == nil {
		return nil
	}
	params := map[string]string{"client_id": in.ClientID, "email": in.Email, "connection": in.Connection}
	if in.Username != "" {
		params["username"] = in.Username
	}
	hin := hooks.Input{
		Registration: &hooks.Registration{Tenant: snap.Tenant, Username: u.Username, Password: in.Password, Email: u.Email,
			UserMetadata: copyMap(u.UserMetadata), AppMetadata: map[string]any{}},
		Context: hooks.Context{IP: ev.IP, UserAgent: ev.UserAgent, Params: params, Header: r.Header, Host: r.Host,
			Lifecycle: &hooks.LifecycleContext{Language: r.Header.Get("Accept-Language"), ConnectionID: storage.DatabaseConnectionID(snap.Tenant),
				ConnectionName: storage.DatabaseConnection, Tenant: snap.Tenant}},
	}
	ex := h.Hooks.Run(r.Context(), hooks.PreUserRegistration, hooks.Script{Tenant: snap.Tenant, ID: hk.ID, Name: hk.Name,
		Source: hk.Script, Secrets: hk.SetSecrets(), Runtime: hk.Runtime, Modules: hk.Modules}, hin, "signup-"+u.UserID)
	outcome := "success"
	if ex.Err != nil {
		outcome = ex.Err.Code
	}
	ev.Details = map[string]any{"hook": map[string]any{"id": hk.ID, "name": hk.Name, "trigger": hooks.PreUserRegistration,
		"duration_ms": float64(ex.Duration.Microseconds()) / 1000, "outcome": outcome}}
	if ex.Err != nil {
		// Every failure (the hook's error, a timeout, a crash, bad
		// metadata) refuses with extensibility_error and the description
		// the hooks package chose; the internal message goes to the log.
		e := badRequest(hooks.ExtensibilityCode, ex.Err.Description)
		e.logText = ex.Err.Description
		if ex.Err.Cause != nil {
			e.logText = ex.Err.Cause.Error()
		}
		return e
	}
	u.UserMetadata = merge(u.UserMetadata, ex.Changes.User.UserMetadata)
	u.AppMetadata = merge(u.AppMetadata, ex.Changes.User.AppMetadata)
	return nil
}

// postUserRegistration is the pending execution of the enabled
// post-user-registration hook, if any, for the user about to be stored:
// CreateUser stores it in the user's transaction, and the outbox worker
// runs it after the answer (internal/outbox).
func (h *Handler) postUserRegistration(r *http.Request, snap *catalog.Snapshot, u storage.User, ev *storage.LogEvent) ([]storage.Execution, *apiError) {
	if _, ok := snap.EnabledHook(hooks.PostUserRegistration); !ok || h.Hooks == nil {
		return nil, nil
	}
	d := hooks.Deferred{
		NewUser: &hooks.NewUser{ID: strings.TrimPrefix(u.UserID, userIDPrefix), Tenant: snap.Tenant, Username: u.Username,
			Email: u.Email, EmailVerified: u.EmailVerified, UserMetadata: u.UserMetadata, AppMetadata: u.AppMetadata},
		IP: ev.IP, UserAgent: ev.UserAgent, Language: r.Header.Get("Accept-Language"),
		ConnectionID: storage.DatabaseConnectionID(snap.Tenant), ConnectionName: storage.DatabaseConnection, Tenant: snap.Tenant,
	}
	e, err := outbox.New(snap.Tenant, hooks.PostUserRegistration, d, u.CreatedAt, h.Rand)
	if err != nil {
		return nil, h.internal("outbox", err)
	}
	return []storage.Execution{e}, nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// merge sets add's top-level properties over base's.
func merge(base, add map[string]any) map[string]any {
	if len(add) == 0 {
		return base
	}
	out := copyMap(base)
	for k, v := range add {
		out[k] = v
	}
	return out
}
