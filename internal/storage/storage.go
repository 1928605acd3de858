package storage

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
var (
	// ErrNotFound: no record with that key in that tenant.
	ErrNotFound = errors.New("storage: not found")
	// ErrConflict: a unique key (client_id, API identifier, hook name,
	// client grant per client+audience, ...) is already taken.
	ErrConflict = errors.New("storage: already exists")
)

// RejectedEventsError is AppendLogEvents storing every event but Count:
// rows the database refused. The others are stored; a
// bad row never takes its batch with it.
type RejectedEventsError struct {
	Count int
	Err   error // the first refusal
}

func (e *RejectedEventsError) Error() string {
	return fmt.Sprintf("storage: %d log events refused: %v", e.Count, e.Err)
}

func (e *RejectedEventsError) Unwrap() error { return e.Err }

// Client is an application (Auth0 "client"). Secret is held in plain text
// in memory only; backends seal it before it reaches the database.
type Client struct {
	Tenant                  string
	ClientID                string
	Secret                  string
	Name                    string
	Description             string
	AppType                 string // non_interactive, regular_web, spa, native
	GrantTypes              []string
	TokenEndpointAuthMethod string // client_secret_post, client_secret_basic, none
	Metadata                map[string]string
	Callbacks               []string
	AllowedOrigins          []string
	WebOrigins              []string
	AllowedLogoutURLs       []string
	LogoURI                 string
	IsFirstParty            bool
	// IDTokenLifetime is the exp-iat of this client's ID tokens in seconds
	// (Auth0's jwt_configuration.lifetime_in_seconds); 0 means Auth0's
	// default, token.IDTokenLifetime.
	IDTokenLifetime int
	// Global marks the bootstrap management client; it cannot be deleted
	// through the API while it is the only way in.
	Global    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Scope is one permission an API defines.
type Scope struct {
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// ResourceServer is an API: the audience of access tokens.
type ResourceServer struct {
	Tenant        string
	ID            string
	Identifier    string // the audience; immutable
	Name          string
	Scopes        []Scope
	TokenLifetime int // seconds
	SigningAlg    string
	// SigningSecret is used by HS256 APIs; sealed at rest.
	SigningSecret      string
	AllowOfflineAccess bool
	SkipConsent        bool
	// IsSystem marks the Management API itself; it cannot be changed or deleted.
	IsSystem  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientGrant authorizes one client to get tokens for one API.
type ClientGrant struct {
	Tenant   string
	ID       string
	ClientID string
	Audience string
	Scope    []string
	// OrganizationUsage ("deny", "allow", "require"; "" when unset) and
	// AllowAnyOrganization (nil when unset) are Auth0's organization
	// settings, kept so an import reads back as it was written. tokenhook
	// has no organizations: they change no token.
	OrganizationUsage    string
	AllowAnyOrganization *bool
	// AllowAllScopes (nil when unset) grants every scope the API defines
	// when the token is issued, those added later included; Scope is then
	// empty.
	AllowAllScopes *bool
	// AuthorizationDetailsTypes are Auth0's Rich Authorization Request
	// types, kept so an import reads back as it was written. tokenhook
	// does not support authorization_details: they change no token.
	AuthorizationDetailsTypes []string
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
}

// SigningKey is one key pair of a tenant. PrivateKey is PKCS#8 DER in
// memory; backends seal it at rest.
type SigningKey struct {
	Tenant string
	KID    string
	// Alg is the key family: "" for RSA (RS256 and PS256; every key stored
	// before the others existed), "ES256" (P-256) or "EdDSA" (Ed25519).
	Alg        string
	PrivateKey []byte
	// Cert is the self-signed X.509 certificate (DER) published as x5c.
	Cert []byte
	// State: "next", "current", "previous" or "revoked" (Auth0's vocabulary).
	State        string
	CreatedAt    time.Time
	CurrentSince *time.Time
	CurrentUntil *time.Time
	RevokedAt    *time.Time
}

// TenantSettings are the tenant-wide settings exposed at /api/v2/tenants/settings.
type TenantSettings struct {
	Tenant           string
	FriendlyName     string
	DefaultAudience  string
	DefaultDirectory string
	// ConnectionClients lists the clients the database connection
	// (DatabaseConnection) is enabled for, Auth0's enabled_clients: nil
	// means every client, an empty list none.
	ConnectionClients *[]string
	// DisableSignup is the connection's options.disable_signup.
	DisableSignup bool
	UpdatedAt     time.Time
}

// LogEvent is one tenant log event (Auth0's /api/v2/logs), e.g. "seccft".
type LogEvent struct {
	Tenant      string
	LogID       string // unique, sortable: newer events sort after older ones
	Date        time.Time
	Type        string
	Description string
	ClientID    string
	ClientName  string
	IP          string
	UserAgent   string
	UserID      string
	UserName    string
	Audience    string
	Scope       string
	// Details is free-form JSON-able data (hook runs, error codes...).
	Details map[string]any
}

// Hook is an extensibility hook. Secrets are plain text in memory only.
type Hook struct {
	Tenant       string
	ID           string // 26-char ULID
	Name         string
	Script       string
	TriggerID    string
	Enabled      bool
	Dependencies map[string]string
	// Secrets maps each secret's name to its value; SecretUnset as the
	// value marks a secret that exists by name but has none yet (created
	// by an import of Auth0's placeholder): hooks never see it.
	Secrets map[string]string
	// Runtime is where the hook runs: RuntimeEmbedded or RuntimeNode,
	// chosen at save from its code and dependencies. Empty (hooks saved
	// before runtimes existed) means RuntimeEmbedded.
	Runtime string
	// Modules is the content hash of the hook's installed npm dependency
	// tree (its lockfile is GetNPMLockfile(Modules)); empty when the hook
	// has no dependencies.
	Modules string
	// Resolved lists the installed versions of the hook's direct
	// dependencies, name → version, as npm resolved them at save.
	Resolved  map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SecretUnset is the stored value of a secret that has no value yet. It
// is Auth0's placeholder for hidden secret values, which the Management
// API never accepts as a value, so no real secret can equal it.
const SecretUnset = "_VALUE_NOT_SHOWN_"

// SetSecrets is what the hook's code sees as its secrets: Secrets without
// the unset ones. It returns Secrets itself when every secret is set (the
// common case, on the token path: no copy).
func (h Hook) SetSecrets() map[string]string {
	n := 0
	for _, v := range h.Secrets {
		if v == SecretUnset {
			n++
		}
	}
	if n == 0 {
		return h.Secrets
	}
	out := make(map[string]string, len(h.Secrets)-n)
	for k, v := range h.Secrets {
		if v != SecretUnset {
			out[k] = v
		}
	}
	return out
}

// UnsetSecrets lists, sorted, the names of the secrets that have no value.
func (h Hook) UnsetSecrets() []string {
	var out []string
	for k, v := range h.Secrets {
		if v == SecretUnset {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Hook runtimes (Hook.Runtime).
const (
	RuntimeEmbedded = "embedded"
	RuntimeNode     = "node"
)

// DatabaseConnection is the one user store this server has (Auth0's
// default database connection name, compat-spec §1).
const DatabaseConnection = "Username-Password-Authentication"

// DatabaseConnectionID is the id of a tenant's DatabaseConnection, stable
// per tenant and shaped like Auth0's ("con_" + 16 characters): what
// /api/v2/connections lists and what hooks see as context.connection.id.
func DatabaseConnectionID(tenant string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sum := sha256.Sum256([]byte("connection:" + tenant))
	out := []byte("con_")
	for _, b := range sum[:16] {
		out = append(out, alphabet[int(b)%len(alphabet)])
	}
	return string(out)
}

// User is a database-connection user (compat-spec §1). PasswordHash is a
// bcrypt hash; it leaves storage only for the password grant to compare
// against and is sealed at rest like every other secret.
type User struct {
	Tenant        string
	UserID        string // "auth0|<id>"
	Connection    string
	Email         string // unique per tenant+connection, case-insensitively
	Username      string // optional; unique per tenant+connection, case-insensitively
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	Nickname      string
	Picture       string
	UserMetadata  map[string]any
	AppMetadata   map[string]any
	Blocked       bool
	PasswordHash  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Login statistics, written by RecordLogin (not by UpdateUser, so an
	// administrator's edit never races a login's counter).
	LastLogin   *time.Time
	LoginsCount int
	LastIP      string
}

// UserQuery narrows ListUsers. Search matches a case-insensitive substring
// of the email, username or name; Email matches the whole email,
// case-insensitively. Empty fields match everything. Results are ordered
// by creation, or by SortBy (one of UserSortFields; email, name and
// username ignoring case) with users lacking that field last, Descending
// reversing the order.
type UserQuery struct {
	Search     string
	Email      string
	SortBy     string
	Descending bool
	Page       Page
}

// UserSortFields are the fields ListUsers can order by.
var UserSortFields = []string{"created_at", "updated_at", "last_login", "logins_count", "email", "name", "username", "user_id"}

// FailedLogins is the brute-force counter of one user from one IP:
// consecutive failures and when the last one happened.
type FailedLogins struct {
	UserID string
	IP     string
	Count  int
	Last   time.Time
}

// Page selects a slice of a list. PerPage 0 means "all".
type Page struct {
	Page    int
	PerPage int
}

// GrantFilter narrows ListClientGrants; empty fields match everything.
type GrantFilter struct {
	ClientID string
	Audience string
}

// HookFilter narrows ListHooks; nil/empty fields match everything.
type HookFilter struct {
	TriggerID string
	Enabled   *bool
	// ExcludeTriggers leaves out hooks of these triggers.
	ExcludeTriggers []string
}

// DayCount is how many events of one type a UTC day holds, with the dates
// of the first and last of them.
type DayCount struct {
	Day         time.Time // midnight UTC
	Type        string
	Count       int
	First, Last time.Time
}

// MaxLogPage is the most events one ListLogEvents call returns: a query
// without a page gets the first MaxLogPage, never the whole table.
const MaxLogPage = 1000

// LogQuery narrows ListLogEvents. Results are newest first unless
// OldestFirst. Only the page asked for is read.
type LogQuery struct {
	Type     string
	ClientID string
	// UserID keeps one user's events (with Type, or alone; with ClientID
	// no index serves the read).
	UserID      string
	Page        Page
	OldestFirst bool
	// After, when set, keeps only the events logged after the event with
	// this id (ids sort by age): Auth0's checkpoint read of logs.
	After string
	// SkipTotal spares the count of matching events (returned as -1) for
	// callers that do not show it.
	SkipTotal bool
	// CountUpTo, when positive, stops the count at that many events: an
	// exact count of millions of events reads them all.
	CountUpTo int
}

// Catalog is everything the token endpoint reads, loaded in one consistent
// read so a cache can be rebuilt atomically. Seq is the tenant's catalog
// change sequence at that read: every change with a higher Seq came after.
type Catalog struct {
	Clients         []Client
	ResourceServers []ResourceServer
	ClientGrants    []ClientGrant
	SigningKeys     []SigningKey
	Settings        TenantSettings
	Hooks           []Hook
	// BoundActions are every trigger's bound Actions with their deployed
	// versions, each trigger's in binding order.
	BoundActions []BoundAction
	Seq          int64
}

// Change tells subscribers that a tenant's catalog changed. Kind is the
// resource ("clients", "resource_servers", "client_grants", "signing_keys",
// "settings", "hooks", "actions") or KindResync when changes may have been
// missed (for example after the PostgreSQL listener reconnected): catch up
// from CatalogChanges.
//
// Key names the one record that changed, so a cache can re-read just it:
// the client_id for "clients", the client_id whose grants changed for
// "client_grants", the identifier for "resource_servers". It is empty for
// the kinds a cache reads whole ("signing_keys", "settings", "hooks",
// "actions") and when a write touched too many records to name (read the
// kind whole).
// Deleting an API deletes its grants and announces each client whose
// grants went with it.
//
// Seq numbers a tenant's changes in commit order, without gaps: a
// subscriber that saw Seq n and next sees n+2 missed one, and reads it from
// CatalogChanges.
type Change struct {
	Tenant string
	Kind   string
	Key    string
	Seq    int64
}

// KindResync asks subscribers to reload every tenant they cache.
const KindResync = "resync"

// Storage is the persistence contract. Every method is tenant-scoped.
// Update methods read the record, call fn and write what it returns inside
// one transaction, so fields that fn does not know about are never lost;
// an error from fn aborts the update and is returned unchanged.
type Storage interface {
	Actions
	// Operators: dashboard operators and sessions (operators.go).
	Operators
	// HookStorage: each hook's webtask storage document (hook_storage.go).
	HookStorage
	// Outbox: pending executions of asynchronous points (outbox.go).
	Outbox
	// PasswordTickets: password-change links (password_tickets.go).
	PasswordTickets

	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, tenant, clientID string) (Client, error)
	ListClients(ctx context.Context, tenant string, p Page) (list []Client, total int, err error)
	UpdateClient(ctx context.Context, tenant, clientID string, fn func(Client) (Client, error)) (Client, error)
	// DeleteClient also deletes the client's grants.
	DeleteClient(ctx context.Context, tenant, clientID string) error

	CreateResourceServer(ctx context.Context, rs ResourceServer) error
	// GetResourceServer accepts the id or the identifier (Auth0 does too).
	GetResourceServer(ctx context.Context, tenant, idOrIdentifier string) (ResourceServer, error)
	ListResourceServers(ctx context.Context, tenant string, p Page) ([]ResourceServer, int, error)
	UpdateResourceServer(ctx context.Context, tenant, id string, fn func(ResourceServer) (ResourceServer, error)) (ResourceServer, error)
	// DeleteResourceServer also deletes the grants for its identifier.
	DeleteResourceServer(ctx context.Context, tenant, id string) error

	CreateClientGrant(ctx context.Context, g ClientGrant) error
	GetClientGrant(ctx context.Context, tenant, id string) (ClientGrant, error)
	ListClientGrants(ctx context.Context, tenant string, f GrantFilter, p Page) ([]ClientGrant, int, error)
	UpdateClientGrant(ctx context.Context, tenant, id string, fn func(ClientGrant) (ClientGrant, error)) (ClientGrant, error)
	DeleteClientGrant(ctx context.Context, tenant, id string) error

	// ListSigningKeys returns every key, oldest first.
	ListSigningKeys(ctx context.Context, tenant string) ([]SigningKey, error)
	// UpdateSigningKeys replaces the tenant's key set atomically with what fn
	// returns (used for first-start generation and rotation).
	UpdateSigningKeys(ctx context.Context, tenant string, fn func([]SigningKey) ([]SigningKey, error)) ([]SigningKey, error)

	// GetTenantSettings returns zero settings (with Tenant set) when none were saved.
	GetTenantSettings(ctx context.Context, tenant string) (TenantSettings, error)
	UpdateTenantSettings(ctx context.Context, tenant string, fn func(TenantSettings) (TenantSettings, error)) (TenantSettings, error)

	// AppendLogEvents stores events, ignoring one whose (tenant, log id)
	// is already stored, so a batch may be written again after a crash.
	// Strings are stored as valid UTF-8 without NUL. A row the database
	// refuses all the same is left out with *RejectedEventsError: it never
	// fails the other rows.
	AppendLogEvents(ctx context.Context, events []LogEvent) error
	// ListLogEvents returns the page and the number of matching events
	// (-1 with SkipTotal, at most CountUpTo when set).
	ListLogEvents(ctx context.Context, tenant string, q LogQuery) ([]LogEvent, int, error)
	// CountLogEventsByDay counts the tenant's events of the given types
	// dated in [from, to), per UTC day and type, in no order. It reads
	// every event of those types in the log.
	CountLogEventsByDay(ctx context.Context, tenant string, types []string, from, to time.Time) ([]DayCount, error)
	// PruneLogEvents deletes those of the tenant's limit oldest events
	// (by log id) dated before before, and says how many it deleted: fewer
	// than limit means none older is left.
	PruneLogEvents(ctx context.Context, tenant string, before time.Time, limit int) (int, error)
	GetLogEvent(ctx context.Context, tenant, logID string) (LogEvent, error)

	// CreateHook and UpdateHook keep at most one enabled hook per trigger:
	// saving an enabled hook disables the others of its trigger in the same
	// transaction.
	CreateHook(ctx context.Context, h Hook) error
	GetHook(ctx context.Context, tenant, id string) (Hook, error)
	ListHooks(ctx context.Context, tenant string, f HookFilter, p Page) ([]Hook, int, error)
	UpdateHook(ctx context.Context, tenant, id string, fn func(Hook) (Hook, error)) (Hook, error)
	// DeleteHook also deletes the hook's storage document.
	DeleteHook(ctx context.Context, tenant, id string) error

	// PutNPMLockfile stores the npm lockfile of an installed dependency
	// tree under its content hash, so every replica installs exactly that
	// tree. The hash is derived from the lockfile's resolved packages, so a
	// second put of a hash keeps the first lockfile and is not an error.
	PutNPMLockfile(ctx context.Context, tenant, hash string, lockfile []byte) error
	// GetNPMLockfile returns the lockfile stored under hash, ErrNotFound
	// when there is none.
	GetNPMLockfile(ctx context.Context, tenant, hash string) ([]byte, error)

	// CatalogChanges returns the tenant's catalog changes with a Seq above
	// after, oldest first, at most limit of them, and the tenant's latest
	// Seq. Only the most recent changes are kept: when the first one
	// returned is not after+1 (or none is while latest > after), the ones
	// between are gone and the caller must reload the whole catalog.
	CatalogChanges(ctx context.Context, tenant string, after int64, limit int) (changes []Change, latest int64, err error)
	// CommittedCatalogSeq is the highest catalog change Seq of tenant that
	// this process committed since it opened the store (0 if none), without
	// touching the database: after a write, a cache behind it knows to
	// catch up, and after a write that changed nothing, that it need not.
	CommittedCatalogSeq(tenant string) int64

	// Users are not part of the catalog: there may be many, and logins read
	// them one at a time. Their writes announce no Change.
	//
	// CreateUser fails with ErrConflict when the id, or the email or
	// username in that connection (case-insensitively), is taken. The
	// executions in then are stored in the same transaction (the outbox of
	// post-user-registration): both or neither.
	CreateUser(ctx context.Context, u User, then ...Execution) error
	GetUser(ctx context.Context, tenant, userID string) (User, error)
	// GetUserByEmail finds the user of a connection by email, ignoring case.
	GetUserByEmail(ctx context.Context, tenant, connection, email string) (User, error)
	// GetUserByLogin finds the user of a connection whose email or username
	// is login, ignoring case (what the password grant's username means).
	GetUserByLogin(ctx context.Context, tenant, connection, login string) (User, error)
	ListUsers(ctx context.Context, tenant string, q UserQuery) ([]User, int, error)
	// CountActiveUsers counts the tenant's users whose last login is at or
	// after since. It reads every user of the tenant.
	CountActiveUsers(ctx context.Context, tenant string, since time.Time) (int, error)
	// UpdateUser keeps the key and the login statistics; a change of email
	// or username onto a taken one is ErrConflict.
	UpdateUser(ctx context.Context, tenant, userID string, fn func(User) (User, error)) (User, error)
	// UpdateUserThen is UpdateUser whose fn also returns executions to
	// store in the same transaction (the outbox of post-change-password).
	UpdateUserThen(ctx context.Context, tenant, userID string, fn func(User) (User, []Execution, error)) (User, error)
	// DeleteUser also forgets the user's failed-login counters.
	DeleteUser(ctx context.Context, tenant, userID string) error
	// RecordLogin counts a successful login atomically: logins_count + 1,
	// last_login = at, last_ip = ip.
	RecordLogin(ctx context.Context, tenant, userID, ip string, at time.Time) error

	// CountLoginAttempt counts one login attempt of key (a user id, or a
	// key the caller derives from an unknown login name) from ip BEFORE its
	// password is compared, and returns the count including this attempt,
	// in one atomic statement: however many attempts run at once, on this
	// replica or on any other sharing the database, each sees a distinct
	// count, so a caller comparing only when the count is at most limit
	// runs at most limit compares per key and ip. A counter whose last
	// counted attempt is before staleBefore starts again from 1. Attempts
	// beyond limit still raise Count but leave Last alone, so a block ends
	// staleBefore's window after the attempt that reached the limit. A
	// successful login calls ResetFailedLogins.
	CountLoginAttempt(ctx context.Context, tenant, key, ip string, at, staleBefore time.Time, limit int) (int, error)
	// DeleteFailedLoginsBefore forgets every counter, of every tenant, whose
	// last counted attempt is before staleBefore (they no longer block
	// anything); it returns how many. Counters of unknown login names are
	// only ever removed this way.
	DeleteFailedLoginsBefore(ctx context.Context, staleBefore time.Time) (int, error)
	// GetFailedLogins returns the (user, ip) counter, Count 0 when none.
	GetFailedLogins(ctx context.Context, tenant, userID, ip string) (FailedLogins, error)
	// ListFailedLogins returns every counter of a user, by IP.
	ListFailedLogins(ctx context.Context, tenant, userID string) ([]FailedLogins, error)
	// ResetFailedLogins forgets the user's counter for ip, or for every IP
	// when ip is empty. Forgetting nothing is not an error.
	ResetFailedLogins(ctx context.Context, tenant, userID, ip string) error

	// LoadCatalog reads everything the token endpoint needs in one transaction.
	LoadCatalog(ctx context.Context, tenant string) (Catalog, error)

	// Subscribe delivers a Change after every committed write to the catalog
	// resources, from this process and (PostgreSQL) from every other replica
	// sharing the database. The channel is closed when ctx ends. Slow
	// subscribers may see changes coalesced, never dropped silently: when the
	// buffer overflows a KindResync is delivered instead.
	Subscribe(ctx context.Context) <-chan Change

	Close() error
}
