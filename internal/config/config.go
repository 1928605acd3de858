package config

import (
	"github.com/tokenhook/tokenhook/internal/egress"

	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Config configures a server.
type Config struct {
	// Addr is the listen address (TOKENHOOK_ADDR).
	Addr string
	// DataDir holds the SQLite database and the generated master key
	// (TOKENHOOK_DATA_DIR).
	DataDir string
	// DB selects PostgreSQL when it is a postgres:// URL; empty means the
	// embedded SQLite database in DataDir (TOKENHOOK_DB).
	DB string
	// Issuer is the tenant's issuer URL, always ending in "/"; empty means
	// http(s)://<Addr>/ (TOKENHOOK_ISSUER).
	Issuer string
	// TLSCert and TLSKey serve HTTPS when both are set (TOKENHOOK_TLS_CERT,
	// TOKENHOOK_TLS_KEY).
	TLSCert string
	TLSKey  string
	// Tenant is the tenant's name, what hooks see as client.tenant
	// (TOKENHOOK_TENANT).
	Tenant string
	// Dev creates demo data on first start and prints a curl command that
	// gets a token (TOKENHOOK_DEV).
	Dev bool
	// DevHTTPSAddr is where --dev also serves HTTPS, with a certificate
	// for 127.0.0.1/localhost from a local CA generated into DataDir, for
	// Auth0's SDKs and deploy-cli, which only speak https://
	// (TOKENHOOK_DEV_HTTPS_ADDR). Empty turns it off; without Dev, or
	// when the main listener serves TLS itself, it is not used.
	DevHTTPSAddr string
	// MasterKey encrypts secrets at rest: 64 hex characters or base64 of 32
	// bytes; empty means generate one into DataDir (TOKENHOOK_MASTER_KEY).
	MasterKey string
	// AdminClientID and AdminClientSecret, when both set, are made the
	// credentials of the management application on every start
	// (TOKENHOOK_ADMIN_CLIENT_ID, TOKENHOOK_ADMIN_CLIENT_SECRET).
	AdminClientID     string
	AdminClientSecret string
	// HookTimeout bounds one hook execution (TOKENHOOK_HOOK_TIMEOUT;
	// Auth0's was 20s).
	HookTimeout time.Duration
	// HookMemoryLimit caps a hook worker's memory in bytes
	// (TOKENHOOK_HOOK_MEMORY_LIMIT).
	HookMemoryLimit int64
	// HookWorkers is the number of hook worker processes; 0 means one per
	// CPU, at least two (TOKENHOOK_HOOK_WORKERS).
	HookWorkers int
	// HookIsolation is "process" (hooks run in supervised worker processes
	// that can be killed) or "none" (in the server process: faster, for
	// trusted hook code only; a runaway built-in cannot be stopped)
	// (TOKENHOOK_HOOK_ISOLATION).
	HookIsolation string
	// HookEgressAllow and HookEgressDeny widen and narrow what hook code may
	// connect to (by default public addresses only): CIDRs, addresses or host
	// names ("*.example.com" for subdomains); deny wins over allow
	// (TOKENHOOK_HOOK_EGRESS_ALLOW, TOKENHOOK_HOOK_EGRESS_DENY, comma-separated).
	HookEgressAllow []string
	HookEgressDeny  []string
	// Node is the Node.js executable (18 or later) that runs hooks needing
	// npm packages or Node built-ins; empty means `node` on PATH, and
	// without one only such hooks are unavailable (TOKENHOOK_NODE). A path
	// given here must work: start-up fails otherwise.
	Node string
	// Signer is the RSA signing backend: "go" (crypto/rsa), "openssl" (the
	// system's libcrypto.so.3; start-up fails without it) or "auto"
	// (OpenSSL when it loads and passes its self-test, else Go)
	// (TOKENHOOK_SIGNER). The static build (-tags nolibcrypto, `make
	// build-static`) has no OpenSSL: there auto means Go and openssl fails.
	Signer string
	// ShutdownTimeout bounds a graceful shutdown (TOKENHOOK_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// BcryptCost is the work factor of new password hashes, 4..31; each
	// step doubles the cost of a login (TOKENHOOK_BCRYPT_COST; Auth0's is 10).
	BcryptCost int
	// BruteForceThreshold consecutive failed logins for one user from one
	// IP block that pair; 0 turns the protection off
	// (TOKENHOOK_BRUTE_FORCE_THRESHOLD; Auth0's is 10).
	BruteForceThreshold int
	// SignupRateLimit is how many POST /dbconnections/signup one client
	// address may make per minute; 0 turns the limit off
	// (TOKENHOOK_SIGNUP_RATE_LIMIT).
	SignupRateLimit int
	// BruteForceWindow is how long after the last failure a block (and a
	// failure count) lasts unless lifted through /api/v2/user-blocks
	// (TOKENHOOK_BRUTE_FORCE_WINDOW).
	BruteForceWindow time.Duration
	// AdminEmail and AdminPassword, when both set, make that operator able
	// to sign in to the dashboard with that password; the password is reset
	// to this value on every start (TOKENHOOK_ADMIN_EMAIL,
	// TOKENHOOK_ADMIN_PASSWORD).
	AdminEmail    string
	AdminPassword string
	// SessionIdleTimeout ends a dashboard session after this long without
	// a request; SessionMaxAge ends it this long after sign-in
	// (TOKENHOOK_SESSION_IDLE_TIMEOUT, TOKENHOOK_SESSION_MAX_AGE).
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	// ReadTimeout bounds reading one whole request, body included, so a
	// client that trickles its body cannot hold a connection for ever
	// (TOKENHOOK_READ_TIMEOUT). The hook log stream lifts it for itself.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection after this long without a
	// request (TOKENHOOK_IDLE_TIMEOUT).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block
	// (TOKENHOOK_MAX_HEADER_BYTES).
	MaxHeaderBytes int
	// MaxConnsPerIP caps the open connections of one client address; more
	// are closed as they are accepted. Trusted proxies are exempt; 0 means
	// no cap (TOKENHOOK_MAX_CONNS_PER_IP).
	MaxConnsPerIP int
	// MaxConns bounds the connections open at once, all addresses
	// together (TOKENHOOK_MAX_CONNS); 0 derives it from the open-file
	// limit, keeping a reserve for storage, the log spool, hook workers
	// and npm. Above three quarters of it, connections slower than
	// ConnShedGrace to send their request are closed
	// (TOKENHOOK_CONN_SHED_GRACE).
	MaxConns      int
	ConnShedGrace time.Duration
	// TrustedProxies are the CIDRs (or single addresses) of reverse proxies
	// whose forwarding header names the client (TOKENHOOK_TRUSTED_PROXIES,
	// comma-separated). Empty: the connection's address is the client's.
	TrustedProxies []string
	// ForwardedHeader is the header trusted proxies append the client to:
	// "X-Forwarded-For" or "Forwarded" (RFC 7239) (TOKENHOOK_FORWARDED_HEADER).
	ForwardedHeader string
	// MasterKeyFile names a file holding the master key, as
	// TOKENHOOK_MASTER_KEY would (TOKENHOOK_MASTER_KEY_FILE).
	MasterKeyFile string
	// NPMRegistry, when set, is the registry hook dependencies are
	// installed from; empty means whatever the machine's npm is
	// configured for (its .npmrc, registry and auth included)
	// (TOKENHOOK_NPM_REGISTRY).
	NPMRegistry string
	// LogSpoolBytes is the byte budget of the tenant log's spool in
	// <DataDir>/log-spool, where events wait while storage is slow or
	// down; past it events are dropped and counted (TOKENHOOK_LOG_SPOOL_BYTES).
	LogSpoolBytes int64
	// LogRetention deletes tenant log events older than this, in small
	// batches off the token path; 0 keeps them forever
	// (TOKENHOOK_LOG_RETENTION).
	LogRetention time.Duration
	// LogLevel is debug, info, warn or error; LogFormat is text or json
	// (TOKENHOOK_LOG_LEVEL, TOKENHOOK_LOG_FORMAT).
	LogLevel  string
	LogFormat string
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:                "127.0.0.1:8080",
		DevHTTPSAddr:        "127.0.0.1:8443",
		DataDir:             "./tokenhook-data",
		Tenant:              "default",
		HookTimeout:         20 * time.Second,
		HookMemoryLimit:     256 << 20,
		HookIsolation:       "process",
		Signer:              "auto",
		ShutdownTimeout:     15 * time.Second,
		BcryptCost:          10,
		BruteForceThreshold: 10,
		SignupRateLimit:     20,
		BruteForceWindow:    24 * time.Hour,
		// A working day idle, a week in all: the dashboard holds every
		// Management API scope, so sessions should not live for ever.
		SessionIdleTimeout: 12 * time.Hour,
		SessionMaxAge:      7 * 24 * time.Hour,
		LogSpoolBytes:      256 << 20,
		LogRetention:       30 * 24 * time.Hour,
		LogLevel:           "info",
		LogFormat:          "text",
		ReadTimeout:        30 * time.Second,
		IdleTimeout:        2 * time.Minute,
		// Node's own default (16 KiB) is what Auth0's SDKs run under; a
		// management token with every scope is a few KiB.
		MaxHeaderBytes:  16 << 10,
		MaxConnsPerIP:   100,
		ConnShedGrace:   2 * time.Second,
		ForwardedHeader: "X-Forwarded-For",
	}
}

// EgressPolicy is the outbound network policy of hook code.
func (c Config) EgressPolicy() (*egress.Policy, error) {
	return egress.New(c.HookEgressAllow, c.HookEgressDeny)
}

// TLS reports whether the server serves HTTPS.
func (c Config) TLS() bool { return c.TLSCert != "" && c.TLSKey != "" }

// DevHTTPS reports whether the server also serves HTTPS on DevHTTPSAddr
// with a generated local CA: only under --dev, and only when the main
// listener is plain HTTP.
func (c Config) DevHTTPS() bool { return c.Dev && !c.TLS() && c.DevHTTPSAddr != "" }

// IsPostgres reports whether DB selects PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://")
}

// ResolvedIssuer returns the issuer with its default applied and a
// trailing slash guaranteed (compat-spec §2.2).
func (c Config) ResolvedIssuer() string {
	iss := c.Issuer
	switch {
	case iss != "":
	case c.DevHTTPS():
		// Auth0's SDKs build https://<domain>/ as the issuer they check
		// and the Management API audience they ask for: with --dev, the
		// domain they are given is the HTTPS address.
		iss = "https://" + c.DevHTTPSAddr
	case c.TLS():
		iss = "https://" + c.Addr
	default:
		iss = "http://" + c.Addr
	}
	if !strings.HasSuffix(iss, "/") {
		iss += "/"
	}
	return iss
}

var tenantName = func(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Validate reports every problem, joined.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %v", c.Addr, err))
	}
	if c.DevHTTPS() {
		if _, _, err := net.SplitHostPort(c.DevHTTPSAddr); err != nil {
			errs = append(errs, fmt.Errorf("--dev-https-addr %q: %v", c.DevHTTPSAddr, err))
		}
	}
	if c.DB == "" && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required when --db is not set"))
	}
	if c.DB != "" && !c.IsPostgres() {
		errs = append(errs, fmt.Errorf("--db %q: only postgres:// URLs are supported; leave it empty for the embedded database", c.DB))
	}
	if c.Issuer != "" {
		u, err := url.Parse(c.Issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--issuer %q must be an absolute http(s) URL", c.Issuer))
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key must be given together"))
	}
	if !tenantName(c.Tenant) {
		errs = append(errs, fmt.Errorf("--tenant %q: use 1 to 64 lower-case letters, digits and '-'", c.Tenant))
	}
	if (c.AdminClientID == "") != (c.AdminClientSecret == "") {
		errs = append(errs, errors.New("TOKENHOOK_ADMIN_CLIENT_ID and TOKENHOOK_ADMIN_CLIENT_SECRET must be set together"))
	}
	if c.AdminClientSecret != "" && len(c.AdminClientSecret) < 16 {
		errs = append(errs, errors.New("TOKENHOOK_ADMIN_CLIENT_SECRET must be at least 16 characters"))
	}
	if c.NPMRegistry != "" {
		u, err := url.Parse(c.NPMRegistry)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("--npm-registry must be an absolute http(s) URL"))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: use text or json", c.LogFormat))
	}
	if c.LogRetention < 0 {
		errs = append(errs, errors.New("--log-retention must not be negative (0 keeps events forever)"))
	}
	if c.LogSpoolBytes < 1<<20 {
		errs = append(errs, errors.New("--log-spool-bytes must be at least 1 MiB"))
	}
	if c.HookTimeout <= 0 {
		errs = append(errs, errors.New("--hook-timeout must be positive"))
	}
	if c.HookMemoryLimit < 32<<20 {
		errs = append(errs, errors.New("--hook-memory-limit must be at least 32 MiB"))
	}
	if c.HookWorkers < 0 {
		errs = append(errs, errors.New("--hook-workers must not be negative"))
	}
	if _, err := c.EgressPolicy(); err != nil {
		errs = append(errs, err)
	}
	switch c.HookIsolation {
	case "process", "none":
	default:
		errs = append(errs, fmt.Errorf("--hook-isolation %q: use process or none", c.HookIsolation))
	}
	switch c.Signer {
	case "go", "openssl", "auto":
	default:
		errs = append(errs, fmt.Errorf("--signer %q: use go, openssl or auto", c.Signer))
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		errs = append(errs, errors.New("TOKENHOOK_ADMIN_EMAIL and TOKENHOOK_ADMIN_PASSWORD must be set together"))
	}
	if c.AdminEmail != "" && !strings.Contains(c.AdminEmail, "@") {
		errs = append(errs, fmt.Errorf("TOKENHOOK_ADMIN_EMAIL %q is not an email address", c.AdminEmail))
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		errs = append(errs, errors.New("TOKENHOOK_ADMIN_PASSWORD must be at least 8 characters"))
	}
	if c.SessionIdleTimeout <= 0 || c.SessionMaxAge <= 0 {
		errs = append(errs, errors.New("--session-idle-timeout and --session-max-age must be positive"))
	}
	if c.BcryptCost < 4 || c.BcryptCost > 31 {
		errs = append(errs, fmt.Errorf("--bcrypt-cost %d: use 4 to 31", c.BcryptCost))
	}
	if c.BruteForceThreshold < 0 {
		errs = append(errs, errors.New("--brute-force-threshold must not be negative"))
	}
	if c.SignupRateLimit < 0 {
		errs = append(errs, errors.New("--signup-rate-limit must not be negative"))
	}
	if c.BruteForceWindow <= 0 {
		errs = append(errs, errors.New("--brute-force-window must be positive"))
	}
	if c.ReadTimeout <= 0 || c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("--read-timeout and --idle-timeout must be positive"))
	}
	if c.MaxHeaderBytes < 4<<10 || c.MaxHeaderBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("--max-header-bytes %d: use 4096 to 1048576", c.MaxHeaderBytes))
	}
	if c.MaxConnsPerIP < 0 {
		errs = append(errs, errors.New("--max-conns-per-ip must not be negative"))
	}
	if c.MaxConns < 0 {
		errs = append(errs, errors.New("--max-conns must not be negative"))
	}
	if c.ConnShedGrace <= 0 {
		errs = append(errs, errors.New("--conn-shed-grace must be positive"))
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		errs = append(errs, err)
	}
	switch c.ForwardedHeader {
	case "X-Forwarded-For", "Forwarded":
	default:
		errs = append(errs, fmt.Errorf("--forwarded-header %q: use X-Forwarded-For or Forwarded", c.ForwardedHeader))
	}
	if c.MasterKey != "" && c.MasterKeyFile != "" {
		errs = append(errs, errors.New("TOKENHOOK_MASTER_KEY and --master-key-file are exclusive"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	return errors.Join(errs...)
}

// TrustedProxyPrefixes parses TrustedProxies: CIDRs, or addresses standing
// for themselves.
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range c.TrustedProxies {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies %q: not a CIDR or an IP address", e)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
