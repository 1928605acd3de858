package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tokenhook/tokenhook/internal/actions"
	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/dashboard"
	"github.com/tokenhook/tokenhook/internal/eventlog"
	"github.com/tokenhook/tokenhook/internal/grant"
	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/noderun"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/mgmt"
	"github.com/tokenhook/tokenhook/internal/outbox"
	"github.com/tokenhook/tokenhook/internal/password"
	"github.com/tokenhook/tokenhook/internal/reset"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/signup"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/token"
	"github.com/tokenhook/tokenhook/internal/userinfo"
)

// SQLiteFile is the database file inside the data directory.
const SQLiteFile = "tokenhook.db"

// SpoolDir is the tenant log's spool inside the data directory.
const SpoolDir = "log-spool"

// Server is one running tokenhook tenant.
type Server struct {
	cfg      config.Config
	issuer   string
	log      *slog.Logger
	store    storage.Storage
	cache    *catalog.Cache
	events   *eventlog.Writer
	registry *prometheus.Registry
	// budget is the connection budget of the latest Serve.
	budget        atomic.Pointer[connBudget]
	budgetMetrics sync.Once

	tokens   *grant.Endpoint
	userinfo *userinfo.Handler
	signup   *signup.Handler
	reset    *reset.Handler
	mgmt     *mgmt.API
	dash     *dashboard.Dashboard
	engine   sandbox.Engine
	// node runs hooks needing Node.js; nil (a nil interface) when Node is
	// not available here.
	node     sandbox.Engine
	hookLogs *hooks.LogHub
	// outbox runs the asynchronous points' hooks; nil until built.
	outbox  *outbox.Worker
	proxies *proxies
	stop    context.CancelFunc
}

// New builds a server: storage, bootstrap, caches and handlers. out
// receives what an operator must see once (generated credentials, the dev
// curl command); it is never the structured log.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	o := options{now: func() time.Time { return time.Now().UTC() }}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{cfg: cfg, issuer: cfg.ResolvedIssuer(), log: log, store: store}
	if err := s.build(ctx, out, o.now); err != nil {
		// The one error path: Close stops whatever build had started (the
		// catalog's listener, the event-log writer, the hook workers) and
		// releases storage.
		s.Close()
		return nil, err
	}
	return s, nil
}

func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (storage.Storage, error) {
	keyInDataDir := cfg.MasterKey == "" && cfg.MasterKeyFile == ""
	if !cfg.IsPostgres() || keyInDataDir {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	var (
		key []byte
		err error
	)
	if cfg.MasterKeyFile != "" {
		key, err = seal.LoadKeyFile(cfg.MasterKeyFile)
		keyInDataDir = within(cfg.DataDir, cfg.MasterKeyFile)
	} else {
		key, err = seal.LoadOrCreateKey(cfg.MasterKey, cfg.DataDir)
	}
	if err != nil {
		return nil, err
	}
	// A key beside the database it protects protects nothing against
	// whoever copies the directory (a backup, a volume snapshot).
	if keyInDataDir && !cfg.Dev {
		log.Warn("the master key is in the data directory, next to the database it encrypts; "+
			"in production set TOKENHOOK_MASTER_KEY or --master-key-file from a secret store (docs/configuration.md)",
			"data_dir", cfg.DataDir)
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, SQLiteFile)
	}
	store, err := sqlstore.Open(ctx, dsn, sealer)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	return store, nil
}

// Option changes how New builds a server; the command line needs none.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock makes every time-dependent rule of the server (token
// lifetimes, brute-force windows, sessions, key rotation) read now instead
// of the wall clock, so tests step time instead of sleeping.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// build starts everything but storage, setting s's fields as it goes so
// that Close can stop what was started when a later step fails.
func (s *Server) build(ctx context.Context, out io.Writer, now func() time.Time) error {
	cfg, log, store := s.cfg, s.log, s.store
	trusted, err := cfg.TrustedProxyPrefixes()
	if err != nil {
		return err
	}
	s.proxies = &proxies{trusted: trusted, header: cfg.ForwardedHeader}
	if err := s.bootstrap(ctx, out, now); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	// The cache follows storage changes until Close.
	life, stop := context.WithCancel(context.Background())
	s.stop = stop
	signers, err := keys.NewSigners(cfg.Signer, log)
	if err != nil {
		return err
	}
	cache, err := catalog.New(life, store, cfg.Tenant, now, log, signers)
	if err != nil {
		return err
	}
	s.cache = cache
	// One hasher for logins and the Management API: its dummy hash (for
	// unknown users) has the cost new hashes get.
	passwords, err := password.NewHasher(cfg.BcryptCost)
	if err != nil {
		return err
	}
	lockout := password.Lockout{Threshold: cfg.BruteForceThreshold, Window: cfg.BruteForceWindow}
	s.registry = prometheus.NewRegistry()
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tokenhook_catalog_rebuilds_total",
			Help: "Whole rebuilds of the catalog snapshot (start-up, and a cache too far behind the change log)."},
			func() float64 { return float64(cache.Stats().Rebuilds) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tokenhook_catalog_reads_total",
			Help: "Storage reads by the catalog cache: rebuilds, change-log reads and re-reads of changed records."},
			func() float64 { return float64(cache.Stats().Reads) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tokenhook_catalog_seq",
			Help: "The last catalog change the snapshot includes."},
			func() float64 { return float64(cache.Snapshot().Seq) }))
	s.events = eventlog.New(store, log, eventlog.Options{
		SpoolDir:   filepath.Join(cfg.DataDir, SpoolDir),
		SpoolBytes: cfg.LogSpoolBytes,
		Registerer: s.registry,
		Tenant:     cfg.Tenant,
		Retention:  cfg.LogRetention,
	})
	if s.engine, err = newHookEngine(cfg); err != nil {
		return err
	}
	nodeEngine, err := newNodeEngine(cfg, log)
	if err != nil {
		return err
	}
	if nodeEngine != nil {
		s.node = nodeEngine
	}
	s.hookLogs = hooks.NewLogHub()
	// One runner for token requests and the Management API's test runner,
	// so a test runs exactly as a token request would.
	runner := &hooks.Runner{Engine: s.engine, Node: s.node, Storage: store, Logs: s.hookLogs}
	// Actions run on the same runtimes, after the hook of their point;
	// one runner serves token requests and the Management API's test runs.
	actionRunner := actions.NewRunner(runner, now)
	actionRunner.Timeout = cfg.HookTimeout
	trees, err := newTrees(life, cfg, store, runner, actionRunner, log, now)
	if err != nil {
		return err
	}
	s.tokens = &grant.Endpoint{
		Issuer:    s.issuer,
		Catalog:   cache,
		Events:    s.events,
		Metrics:   grant.NewMetrics(s.registry),
		Hooks:     runner,
		Actions:   actionRunner,
		Users:     store,
		Passwords: passwords,
		Lockout:   lockout,
		Now:       now,
		Log:       log,
	}
	verifier := &token.JWTVerifier{Issuer: s.issuer, Keys: func() *keys.Set { return cache.Snapshot().Keys }, Now: now}
	// The lease outlasts the longest hook run, so a live replica keeps
	// its claim; a dead one's claim ends within seconds of that.
	s.outbox = &outbox.Worker{Store: store, Tenant: cfg.Tenant, Hooks: runner,
		Enabled: func(trigger string) (*storage.Hook, bool) { return cache.Snapshot().EnabledHook(trigger) },
		Events:  s.events, Logs: s.hookLogs, Log: log, Now: now, Lease: cfg.HookTimeout + 5*time.Second}
	go s.outbox.Run(life)
	s.signup = signup.New(signup.Handler{Catalog: cache, Users: store, Passwords: passwords, Events: s.events,
		Now: now, Rand: rand.Reader, Log: log, Hooks: runner, Outbox: s.outbox}, cfg.SignupRateLimit)
	s.reset = &reset.Handler{Catalog: cache, Store: store, Passwords: passwords, Events: s.events, Outbox: s.outbox,
		Now: now, Rand: rand.Reader, Log: log, Secure: cfg.TLS() || strings.HasPrefix(s.issuer, "https://")}
	s.userinfo = &userinfo.Handler{Issuer: s.issuer, Tenant: cfg.Tenant, Verifier: verifier, Users: store, Log: log}
	if err := s.ensureOperators(ctx, out, passwords, now()); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	s.dash = dashboard.New(dashboard.Deps{
		Store:  store,
		Tenant: cfg.Tenant,
		// Under --dev the dashboard is also reached over plain HTTP on the
		// main port, though the issuer names the HTTPS one.
		Secure:      cfg.TLS() || strings.HasPrefix(s.issuer, "https://") && !cfg.DevHTTPS(),
		IdleTimeout: cfg.SessionIdleTimeout,
		MaxAge:      cfg.SessionMaxAge,
		Tokens:      s.tokens,
		Scopes:      mgmt.Scopes(),
		Passwords:   passwords,
		Now:         now,
		Rand:        rand.Reader,
		Logger:      log,
	})
	go s.dash.Sweep(life, 10*time.Minute)
	go s.sweepFailedLogins(life, lockout, 10*time.Minute, now)
	s.mgmt = mgmt.New(mgmt.Deps{
		Store:     store,
		Tenant:    cfg.Tenant,
		Issuer:    s.issuer,
		Verifier:  verifier,
		Keys:      &keys.Manager{Store: store, Tenant: cfg.Tenant, Rand: rand.Reader, Now: now},
		Now:       now,
		Rand:      rand.Reader,
		Logger:    log,
		Hooks:     runner,
		HookLogs:  s.hookLogs,
		Sessions:  s.dash,
		Passwords: passwords,
		Lockout:   lockout,
		ManagementGrant: func(clientID string) ([]string, bool) {
			snap := cache.Snapshot()
			if _, ok := snap.Client(clientID); !ok {
				return nil, false
			}
			g, ok := snap.Grant(clientID, s.issuer+"api/v2/")
			if !ok {
				return nil, false
			}
			return g.Scope, true
		},
		Modules: trees,
		Events:  s.events,
		// Read at each save: the runner's Node engine decides.
		NodeAvailable: nodeAvailable(runner, cfg.Node),
		Outbox:        s.outbox,
		CheckNode:     nodeCheck(runner),
		Actions:       actionRunner,
		Life:          life,
	})
	return nil
}

// hookCACerts is the PEM file of extra certificate authorities hook and
// Action code trusts in its outbound TLS, on both runtimes: the server's
// own NODE_EXTRA_CA_CERTS (Node's variable: an operator who sets it for
// tokenhook means its Node code too), else under --dev the local CA of
// the dev HTTPS listener, so code can call this server's HTTPS (its
// Management API through node-auth0, say) as it calls Auth0's.
func hookCACerts(cfg config.Config) string {
	if v := os.Getenv("NODE_EXTRA_CA_CERTS"); v != "" {
		return v
	}
	if cfg.DevHTTPS() {
		if abs, err := filepath.Abs(filepath.Join(cfg.DataDir, DevTLSDir, devCAFile)); err == nil {
			return abs
		}
	}
	return ""
}

// newHookEngine starts the hook workers (this same binary, `hook-worker`)
// or, with --hook-isolation=none, the in-process engine.
func newHookEngine(cfg config.Config) (sandbox.Engine, error) {
	policy, err := cfg.EgressPolicy()
	if err != nil {
		return nil, err
	}
	opts := sandbox.Options{Timeout: cfg.HookTimeout, MemoryLimit: cfg.HookMemoryLimit, Workers: cfg.HookWorkers, Egress: policy,
		ExtraCACerts: hookCACerts(cfg)}
	if cfg.HookIsolation == "none" {
		return jsvm.NewInProcess(opts)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("hook workers: %w", err)
	}
	opts.Command = []string{exe, "hook-worker"}
	return jsvm.NewPool(opts)
}

// newNodeEngine prepares the Node.js runtime for hooks that need npm
// packages or Node built-ins. Without Node on the machine it returns nil
// (those hooks cannot be saved; everything else works), unless --node named
// an executable explicitly: then failing to use it stops start-up.
func newNodeEngine(cfg config.Config, log *slog.Logger) (*noderun.Engine, error) {
	policy, err := cfg.EgressPolicy()
	if err != nil {
		return nil, err
	}
	e, err := noderun.New(noderun.Options{
		Options: sandbox.Options{Timeout: cfg.HookTimeout, MemoryLimit: cfg.HookMemoryLimit, Egress: policy, ExtraCACerts: hookCACerts(cfg)},
		Node:    cfg.Node,
	})
	if err != nil {
		if cfg.Node != "" {
			return nil, err
		}
		log.Info("hooks needing Node.js are unavailable", "reason", err.Error())
		return nil, nil
	}
	log.Info("Node.js hook runtime", "node", e.Node().Path, "version", e.Node().Version)
	return e, nil
}

// Handler is the server's whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.routes() }

// TLSListener is one more listener Serve answers on, over TLS with Config
// (the --dev HTTPS port).
type TLSListener struct {
	net.Listener
	Config *tls.Config
}

// Serve answers on ln, and on each of more, until ctx ends, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (up to
// ShutdownTimeout) and flushes the tenant event log.
func (s *Server) Serve(ctx context.Context, ln net.Listener, more ...TLSListener) error {
	srv := &http.Server{
		Handler: s.routes(),
		// The header deadline is the shorter one: a client that has not
		// even sent its headers is not waiting on anything of ours.
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		// limitHeaders enforces the configured limit with a JSON answer;
		// net/http's, in plain text, is only the memory bound behind it.
		MaxHeaderBytes: 2 * s.cfg.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// One budget for every listener: they share the process's file
	// descriptors. It wraps the per-address cap, so a connection that cap
	// refuses is never counted.
	budget := s.connBudget()
	budget.install(srv)
	ln = budget.listen(limitPerIP(ln, s.cfg.MaxConnsPerIP, s.proxies.isTrusted, s.log))
	if !s.cfg.TLS() {
		ln = cannedErrors{ln}
	}
	// Hook log streams never end on their own; Shutdown would otherwise
	// wait for every watcher until ShutdownTimeout.
	srv.RegisterOnShutdown(s.mgmt.CloseStreams)
	errc := make(chan error, 1+len(more))
	go func() {
		if s.cfg.TLS() {
			errc <- srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	for _, m := range more {
		tln := tls.NewListener(budget.listen(limitPerIP(m.Listener, s.cfg.MaxConnsPerIP, s.proxies.isTrusted, s.log)), m.Config)
		go func() { errc <- srv.Serve(tln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	return err
}

// connBudget is the connection budget of Serve's listeners (--max-conns,
// or derived from the open-file limit), registered in /metrics.
func (s *Server) connBudget() *connBudget {
	limit := fileLimit()
	max := s.cfg.MaxConns
	if max <= 0 {
		max = connBudgetFor(limit)
	}
	grace := s.cfg.ConnShedGrace
	if grace <= 0 {
		grace = 2 * time.Second
	}
	b := newConnBudget(max, grace, s.log)
	s.log.Info("connection budget", "max_conns", max, "shed_above", b.high, "shed_grace", grace.String(), "open_file_limit", limit)
	// Serve may run more than once on one Server (tests): the metrics
	// follow the latest budget.
	s.budget.Store(b)
	s.budgetMetrics.Do(func() {
		cur := func(f func(*connBudget) float64) func() float64 {
			return func() float64 {
				if b := s.budget.Load(); b != nil {
					return f(b)
				}
				return 0
			}
		}
		s.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tokenhook_connections_open",
				Help: "Client connections open now, counted against the connection budget."},
				cur(func(b *connBudget) float64 { return float64(b.Open()) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tokenhook_connections_max",
				Help: "The connection budget (--max-conns, or derived from the open-file limit)."},
				cur(func(b *connBudget) float64 { return float64(b.max) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tokenhook_connections_shed_total",
				Help: "Connections closed above the high-water mark for being slow to send their request, or idle."},
				cur(func(b *connBudget) float64 { return float64(b.shed.Load()) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tokenhook_connections_refused_total",
				Help: "Connections closed as they were accepted because the budget was full of requests in progress."},
				cur(func(b *connBudget) float64 { return float64(b.refused.Load()) })),
		)
	})
	return b
}

// Close flushes the event log, stops the catalog's listener and the hook
// workers, and releases storage. Call after Serve returns; New calls it on
// a partly built server when a start-up step fails.
func (s *Server) Close() error {
	if s.stop != nil {
		s.stop()
	}
	// The outbox worker records its last outcomes in the event log and
	// storage: it stops first. A hook it interrupts runs again later.
	if s.outbox != nil {
		<-s.outbox.Done()
	}
	if s.events != nil {
		s.events.Close()
	}
	if s.node != nil {
		s.node.Close()
	}
	if s.engine != nil {
		s.engine.Close()
	}
	return s.store.Close()
}

// within reports whether path lies inside dir.
func within(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// sweepFailedLogins forgets brute-force counters that no longer block
// anything, every interval until ctx ends. Counters of unknown login names
// (an attacker can make one per guessed name) are only ever removed here.
func (s *Server) sweepFailedLogins(ctx context.Context, l password.Lockout, every time.Duration, now func() time.Time) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.store.DeleteFailedLoginsBefore(ctx, l.StaleBefore(now())); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping brute-force counters", "err", err)
		} else if n > 0 {
			s.log.Debug("swept brute-force counters", "count", n)
		}
	}
}

// localURL is the base URL of the main listener, for what the operator is
// told to open or curl: the issuer, except under --dev's HTTPS, where the
// issuer names the HTTPS port and the main one is plain HTTP.
func (s *Server) localURL() string {
	if s.cfg.DevHTTPS() {
		return "http://" + s.cfg.Addr + "/"
	}
	return s.issuer
}
