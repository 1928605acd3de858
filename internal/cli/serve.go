package cli

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/server"
)

func newServeCommand() *cobra.Command {
	cfg := config.Default()
	var addrFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the token server",
		Long: `Run the token server: POST /oauth/token, the discovery documents and the
Management API at /api/v2, on the embedded SQLite database by default.

Every flag has a TOKENHOOK_* environment variable (--data-dir is
TOKENHOOK_DATA_DIR); a flag given on the command line wins.`,
		Example: "  tokenhook serve --dev\n  tokenhook serve --addr 0.0.0.0:8443 --issuer https://auth.example.com/ --tls-cert cert.pem --tls-key key.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			cfg.AdminClientID = os.Getenv("TOKENHOOK_ADMIN_CLIENT_ID")
			cfg.AdminClientSecret = os.Getenv("TOKENHOOK_ADMIN_CLIENT_SECRET")
			cfg.MasterKey = os.Getenv("TOKENHOOK_MASTER_KEY")
			cfg.AdminEmail = os.Getenv("TOKENHOOK_ADMIN_EMAIL")
			cfg.AdminPassword = os.Getenv("TOKENHOOK_ADMIN_PASSWORD")
			if err := cfg.Validate(); err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			return serve(cmd, cfg, addrFile)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (port 0: any free port; see --addr-file)")
	f.StringVar(&addrFile, "addr-file", "", "once the server accepts connections, write the address it listens on to this file (for tests and supervisors with --addr 127.0.0.1:0)")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the SQLite database and the generated master key")
	f.StringVar(&cfg.DB, "db", cfg.DB, "a postgres:// URL selects PostgreSQL instead of the embedded SQLite")
	f.StringVar(&cfg.Issuer, "issuer", cfg.Issuer, "issuer URL (default http(s)://<addr>/)")
	f.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "PEM certificate file: serve HTTPS")
	f.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "PEM private key file for --tls-cert")
	f.StringVar(&cfg.Tenant, "tenant", cfg.Tenant, "tenant name (what hooks see as client.tenant)")
	f.BoolVar(&cfg.Dev, "dev", cfg.Dev, "create demo data on first start and print a curl command that gets a token; also serve HTTPS on --dev-https-addr")
	f.StringVar(&cfg.DevHTTPSAddr, "dev-https-addr", cfg.DevHTTPSAddr, "with --dev only: also serve HTTPS here, with a certificate from a local CA generated into the data dir, for Auth0's SDKs and deploy-cli (\"\": off)")
	f.DurationVar(&cfg.HookTimeout, "hook-timeout", cfg.HookTimeout, "deadline of one hook execution")
	f.Int64Var(&cfg.HookMemoryLimit, "hook-memory-limit", cfg.HookMemoryLimit, "memory cap of a hook worker process, in bytes")
	f.IntVar(&cfg.HookWorkers, "hook-workers", cfg.HookWorkers, "hook worker processes (0: one per CPU, at least 2)")
	f.StringVar(&cfg.HookIsolation, "hook-isolation", cfg.HookIsolation, "process (worker processes) or none (in the server process; trusted hooks only)")
	f.StringSliceVar(&cfg.HookEgressAllow, "hook-egress-allow", cfg.HookEgressAllow, "destinations hook code may reach besides public addresses: CIDR, address or host name (*.example.com), comma-separated or repeated")
	f.StringSliceVar(&cfg.HookEgressDeny, "hook-egress-deny", cfg.HookEgressDeny, "destinations hook code may not reach, overriding --hook-egress-allow: CIDR, address or host name")
	f.StringVar(&cfg.Node, "node", cfg.Node, "Node.js executable (18+) for hooks with npm dependencies or Node built-ins (default: node on PATH; without it only those hooks are unavailable)")
	f.StringVar(&cfg.NPMRegistry, "npm-registry", cfg.NPMRegistry, "registry hook dependencies are installed from (default: what the machine's npm is configured for)")
	f.StringVar(&cfg.Signer, "signer", cfg.Signer, "RSA signing backend: go, openssl (fail without it) or auto (OpenSSL when present and self-tested, else Go; the static build has no OpenSSL)")
	f.IntVar(&cfg.BcryptCost, "bcrypt-cost", cfg.BcryptCost, "bcrypt work factor of new password hashes (4..31)")
	f.IntVar(&cfg.BruteForceThreshold, "brute-force-threshold", cfg.BruteForceThreshold, "failed logins of one user from one IP that block the pair (0: off)")
	f.IntVar(&cfg.SignupRateLimit, "signup-rate-limit", cfg.SignupRateLimit, "sign ups one client address may make per minute at /dbconnections/signup (0: no limit)")
	f.DurationVar(&cfg.BruteForceWindow, "brute-force-window", cfg.BruteForceWindow, "how long a brute-force block lasts after the last failure")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "how long a graceful shutdown waits for requests in flight")
	f.DurationVar(&cfg.SessionIdleTimeout, "session-idle-timeout", cfg.SessionIdleTimeout, "dashboard sessions end after this long without a request")
	f.DurationVar(&cfg.SessionMaxAge, "session-max-age", cfg.SessionMaxAge, "dashboard sessions end this long after sign-in")
	f.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "longest time to read one request, body included")
	f.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "close keep-alive connections idle this long")
	f.IntVar(&cfg.MaxHeaderBytes, "max-header-bytes", cfg.MaxHeaderBytes, "largest request header block, in bytes")
	f.IntVar(&cfg.MaxConnsPerIP, "max-conns-per-ip", cfg.MaxConnsPerIP, "open connections allowed from one client address (0: no cap; trusted proxies are exempt)")
	f.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "open connections allowed at once, all addresses together (0: the open-file limit less a reserve for storage, hook workers and npm)")
	f.DurationVar(&cfg.ConnShedGrace, "conn-shed-grace", cfg.ConnShedGrace, "above 3/4 of --max-conns, close connections that have been sending their request (or idle) for longer than this")
	f.StringSliceVar(&cfg.TrustedProxies, "trusted-proxies", cfg.TrustedProxies, "CIDRs of reverse proxies whose forwarding header names the client (comma-separated)")
	f.StringVar(&cfg.ForwardedHeader, "forwarded-header", cfg.ForwardedHeader, "header trusted proxies append the client to: X-Forwarded-For or Forwarded")
	f.StringVar(&cfg.MasterKeyFile, "master-key-file", cfg.MasterKeyFile, "file holding the master key (instead of TOKENHOOK_MASTER_KEY or <data-dir>/master.key)")
	f.DurationVar(&cfg.LogRetention, "log-retention", cfg.LogRetention, "delete tenant log events older than this (0: keep forever)")
	f.Int64Var(&cfg.LogSpoolBytes, "log-spool-bytes", cfg.LogSpoolBytes, "byte budget of the tenant log's spool in <data-dir>/log-spool (events wait there while storage is slow; past it they are dropped and counted in /metrics)")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json")
	return cmd
}

// applyEnv fills each flag not given on the command line from its
// TOKENHOOK_* variable.
func applyEnv(fs *pflag.FlagSet) error {
	var errs []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "TOKENHOOK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if f.Value.Type() == "bool" && v == "" {
			v = "true"
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", name, v, err))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

func newLogger(cfg config.Config, cmd *cobra.Command) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), opts))
	}
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), opts))
}

func serve(cmd *cobra.Command, cfg config.Config, addrFile string) error {
	log := newLogger(cfg, cmd)
	if _, set := os.LookupEnv("GOGC"); !set {
		// The server's live heap is small (the catalog snapshot, key sets)
		// while every token allocates a few KiB, so at Go's default of 100
		// the collector runs hundreds of times a second under load (the
		// figure is in docs/architecture.md). GOGC in the environment
		// still wins, and GOMEMLIMIT still caps the heap.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	// The issuer default names the real port when --addr asked for port 0.
	if cfg.Issuer == "" {
		cfg.Addr = ln.Addr().String()
	}
	var (
		more   []server.TLSListener
		caPath string
	)
	if cfg.DevHTTPS() {
		var dln server.TLSListener
		dln, caPath, err = devHTTPS(cfg)
		if err != nil {
			ln.Close()
			return err
		}
		more = append(more, dln)
		cfg.DevHTTPSAddr = dln.Addr().String()
	}
	srv, err := server.New(ctx, cfg, log, cmd.OutOrStdout())
	if err != nil {
		ln.Close()
		for _, m := range more {
			m.Close()
		}
		return err
	}
	defer srv.Close()
	if cfg.DevHTTPS() {
		// What a Node user of Auth0's SDKs or deploy-cli needs, on every
		// start: nothing here is secret.
		fmt.Fprintf(cmd.OutOrStdout(), "\nHTTPS for Auth0's SDKs and deploy-cli (a local CA made for --dev only):\n"+
			"  export NODE_EXTRA_CA_CERTS=%s\n  domain: %s\n\n", caPath, cfg.DevHTTPSAddr)
	}
	if gaps := jsvm.IsolationGaps(); cfg.HookIsolation == "process" && len(gaps) > 0 {
		log.Warn("hook isolation is partial on this system", "os", runtime.GOOS, "lacks", strings.Join(gaps, "; "))
	}
	if len(more) > 0 {
		log.Info("tokenhook listening (HTTPS, --dev)", "addr", cfg.DevHTTPSAddr)
	}
	log.Info("tokenhook listening", "addr", ln.Addr().String(), "issuer", cfg.ResolvedIssuer(),
		"storage", storageName(cfg), "tenant", cfg.Tenant, "pid", strconv.Itoa(os.Getpid()))
	if addrFile != "" {
		// The listener is bound and the handlers built, so a client that
		// reads the file connects at once (the kernel queues it until
		// Serve accepts). Written whole, then renamed: a reader never sees
		// half an address.
		if err := writeFileAtomic(addrFile, ln.Addr().String()+"\n"); err != nil {
			return fmt.Errorf("--addr-file: %w", err)
		}
	}
	if err := srv.Serve(ctx, ln, more...); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func storageName(cfg config.Config) string {
	if cfg.IsPostgres() {
		return "postgresql"
	}
	return "sqlite"
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place.
func writeFileAtomic(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// devHTTPS binds --dev's HTTPS port with the generated local CA's
// certificate (internal/server/devtls.go).
func devHTTPS(cfg config.Config) (server.TLSListener, string, error) {
	tc, caPath, err := server.DevTLS(cfg.DataDir, time.Now())
	if err != nil {
		return server.TLSListener{}, "", err
	}
	ln, err := net.Listen("tcp", cfg.DevHTTPSAddr)
	if err != nil {
		return server.TLSListener{}, "", fmt.Errorf("--dev-https-addr: %w (another tokenhook --dev running? --dev-https-addr \"\" turns the HTTPS port off)", err)
	}
	return server.TLSListener{Listener: ln, Config: tc}, caPath, nil
}
