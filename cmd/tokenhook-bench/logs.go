//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

var (
	logEvents   = flag.Int("log-events", 5_000_000, "logs section: events seeded into the tenant log of each backend")
	logBackends = flag.String("log-backends", "sqlite,postgres", "logs section: the backends to run it on")
	logPruned   = flag.Float64("log-backlog", 0.1, "logs section: the share of the seeded events older than --log-retention, pruned while tokens are measured")
	benchPG     = flag.String("pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"PostgreSQL of the logs and replicas sections (each run makes a schema and drops it); empty skips what needs it")
)

// logRetention is the server's default --log-retention, which the seeded
// backlog is older than.
const logRetention = 30 * 24 * time.Hour

// runLogs is the logs section: on each backend, a tenant log of
// -log-events events written straight into the database, then
// /api/v2/logs query latency, bytes per event on disk, and the prune rate
// with token issuance measured while a backlog is pruned.
func runLogs(bin string, duration time.Duration, concurrency int) error {
	if !scenarioFilter.MatchString("logs") {
		return nil
	}
	fmt.Printf("\nlogs: %d events seeded per backend (-log-events), %.0f%% of them older than the 30-day retention\n",
		*logEvents, 100**logPruned)
	for _, backend := range strings.Split(*logBackends, ",") {
		if backend == "postgres" && *benchPG == "" {
			fmt.Println("logs postgres: skipped (-pg is empty)")
			continue
		}
		if err := runLogsOn(bin, backend, duration, concurrency); err != nil {
			return fmt.Errorf("logs %s: %w", backend, err)
		}
	}
	return nil
}

func runLogsOn(bin, backend string, duration time.Duration, concurrency int) error {
	var (
		args []string
		db   *sql.DB
		err  error
	)
	if backend == "postgres" {
		dsn, drop, err := pgSchema(*benchPG)
		if err != nil {
			return err
		}
		defer drop()
		args = []string{"--db", dsn}
		if db, err = sql.Open("pgx", dsn); err != nil {
			return err
		}
		db.SetMaxOpenConns(1) // the seeding session keeps its settings
	}
	// Phase one: no retention. The server creates the schema and the demo
	// application; the log is seeded beside it.
	httpsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	srv, err := start(bin, append([]string{"--log-retention", "0", "--dev-https-addr", httpsAddr}, args...)...)
	if err != nil {
		return err
	}
	dataDir := srv.dir
	defer os.RemoveAll(dataDir)
	if backend == "sqlite" {
		if db, err = sql.Open("sqlite", "file:"+filepath.Join(dataDir, "tokenhook.db")+"?_pragma=busy_timeout(60000)"); err != nil {
			halt(srv)
			return err
		}
		db.SetMaxOpenConns(1)
	}
	defer db.Close()
	seed := logSeed{backend: backend, n: *logEvents, now: time.Now()}
	t0 := time.Now()
	perEvent, err := seed.run(db)
	if err != nil {
		halt(srv)
		return err
	}
	fmt.Printf("logs %-8s seeded %d events in %.0f s: %.0f bytes per event on disk (table and indexes)\n",
		backend, seed.n, time.Since(t0).Seconds(), perEvent)

	// The Management API's identifier is the issuer's (under --dev the
	// HTTPS address), not necessarily the address the bench talks to.
	issuer, err := discoverIssuer(srv.base)
	if err != nil {
		halt(srv)
		return err
	}
	admin, err := srv.token(srv.adminID, srv.adminSecret, issuer+"api/v2/")
	if err != nil {
		halt(srv)
		return err
	}
	fmt.Printf("logs %-8s %-44s %8s %8s %6s\n", backend, "GET /api/v2/logs?…", "p50 ms", "p99 ms", "rows")
	for _, q := range seed.queries() {
		p50, p99, rows, err := timeQuery(srv.base+"api/v2/logs?"+q.query, admin, 41)
		if err != nil {
			halt(srv)
			return fmt.Errorf("%s: %w", q.name, err)
		}
		fmt.Printf("logs %-8s %-44s %8.2f %8.2f %6d\n", backend, q.name, ms(p50), ms(p99), rows)
	}

	halt(srv)

	// Phase two: tokens on a server just started on this database without
	// retention, then on one started with the default retention, which
	// prunes the backlog from its start: the same cold start both times.
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.clientID},
		"client_secret": {srv.clientSecret}, "audience": {srv.audience}}.Encode()
	again := append([]string{"--data-dir", dataDir}, args...)
	srv1, err := startAgain(bin, srv, append([]string{"--log-retention", "0"}, again...)...)
	if err != nil {
		return err
	}
	base := tokenLoad(srv1.base, concurrency, duration, body, nil)
	halt(srv1)
	srv2, err := startAgain(bin, srv, again...)
	if err != nil {
		return err
	}
	defer halt(srv2)
	var samples []pruneSample
	pruned0, _ := srv2.metric("tokenhook_log_events_pruned_total")
	during := tokenLoad(srv2.base, concurrency, duration, body, func(t time.Time) {
		if n, err := srv2.metric("tokenhook_log_events_pruned_total"); err == nil {
			samples = append(samples, pruneSample{t, n})
		}
	})
	// The window in which pruning ran: up to the last sample that saw the
	// counter grow.
	var last pruneSample
	for _, s := range samples {
		if s.pruned > pruned0 && s.pruned > last.pruned {
			last = s
		}
	}
	if last.t.IsZero() {
		fmt.Printf("logs %-8s prune: the backlog (%.0f events) was gone before the load began: seed more (-log-events, -log-backlog) to measure it\n",
			backend, pruned0)
		return nil
	}
	window := during.window(during.start, last.t)
	took := last.t.Sub(during.start).Seconds()
	fmt.Printf("logs %-8s prune: %.0f events in %.1f s under load, %.0f events/s (%.0f of the ~%d old ones left when the load ended)\n",
		backend, last.pruned-pruned0, took, (last.pruned-pruned0)/took,
		max(0, float64(seed.backlog())-samples[len(samples)-1].pruned), seed.backlog())
	fmt.Printf("logs %-8s tokens/s while pruning %.0f (p50 %.2f ms, p99 %.2f ms) vs %.0f (p50 %.2f ms, p99 %.2f ms) without: %.2fx\n",
		backend, window.rate, ms(window.p(0.5)), ms(window.p(0.99)), base.rate, ms(base.p(0.5)), ms(base.p(0.99)), window.rate/base.rate)
	return nil
}

// logSeed writes n events into a server's log_events, spread evenly from
// (1+backlog) × 30 days ago to a minute ago, in id order, with ids in the
// server's own ULID form (the time in the first ten characters), 10 %
// failures, and 100 clients (runs of ten events each, so every client
// has failures too).
type logSeed struct {
	backend string
	n       int
	now     time.Time
}

const seedChunk = 250_000

func (s logSeed) span() (first time.Time, step time.Duration) {
	total := time.Duration(float64(logRetention) * (1 + *logPruned))
	first = s.now.Add(-total)
	return first, (total - time.Minute) / time.Duration(max(s.n, 1))
}

func (s logSeed) backlog() int {
	first, step := s.span()
	return int(s.now.Add(-logRetention).Sub(first)/step) + 1
}

// idAt is the log id of the i-th seeded event (1-based), as the SQL makes
// it.
func (s logSeed) idAt(i int) string {
	first, step := s.span()
	ms := (first.UnixNano()/1e6*1000 + int64(i)*step.Microseconds()) / 1000
	return crockford(uint64(ms), 10) + "000000" + crockford(uint64(i), 10)
}

func crockford(v uint64, n int) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, n)
	for k := n - 1; k >= 0; k-- {
		b[k] = alphabet[v&31]
		v >>= 5
	}
	return string(b)
}

// crockfordSQL encodes the integer expression v as n Crockford base32
// characters, in SQL both dialects run.
func crockfordSQL(v string, n int) string {
	var parts []string
	for k := n - 1; k >= 0; k-- {
		parts = append(parts, fmt.Sprintf("substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', CAST(((%s >> %d) & 31) + 1 AS INTEGER), 1)", v, 5*k))
	}
	return strings.Join(parts, " || ")
}

const (
	seedClient  = "bench000000000000000000000000042"
	okAttrs     = `{"description":"Client Credentials for Access Token","client_name":"bench application","ip":"203.0.113.7","user_agent":"Go-http-client/1.1","audience":"https://api.example.com/","scope":"read:data","details":{"hook":{"id":"01KBF3Q0Y7T0J4C6VQ6X2M9E1Z","name":"bench-hook","trigger":"credentials-exchange","duration_ms":0.21,"outcome":"ok"}}}`
	failedAttrs = `{"description":"Unauthorized","client_name":"bench application","ip":"203.0.113.7","user_agent":"Go-http-client/1.1","details":{"error":"access_denied"}}`
)

// run seeds the log and returns its bytes per event on disk.
func (s logSeed) run(db *sql.DB) (float64, error) {
	ctx := context.Background()
	first, step := s.span()
	firstMS, stepUS := first.UnixNano()/1e6, step.Microseconds()
	// ms and us of event i, integer arithmetic in both dialects.
	us := fmt.Sprintf("(%d * 1000 + i * %d)", firstMS, stepUS)
	ms := "(" + us + " / 1000)"
	var date, client, insert string
	switch s.backend {
	case "sqlite":
		date = "strftime('%Y-%m-%dT%H:%M:%S', " + ms + " / 1000, 'unixepoch') || printf('.%06dZ', " + us + " % 1000000)"
		client = "'bench' || printf('%027d', (i / 10) % 100)"
		insert = "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO log_events (tenant, log_id, date, type, client_id, attrs) SELECT 'default', %s, %s, CASE WHEN i %% 10 = 7 THEN 'feccft' ELSE 'seccft' END, %s, CASE WHEN i %% 10 = 7 THEN '%s' ELSE '%s' END FROM n"
	default:
		date = "to_char(to_timestamp(" + us + " / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
		client = "'bench' || lpad(((i / 10) % 100)::text, 27, '0')"
		insert = "INSERT INTO log_events (tenant, log_id, date, type, client_id, attrs) SELECT 'default', %s, %s, CASE WHEN i %% 10 = 7 THEN 'feccft' ELSE 'seccft' END, %s, CASE WHEN i %% 10 = 7 THEN '%s' ELSE '%s' END FROM generate_series($1::bigint, $2::bigint) AS g(i)"
	}
	id := crockfordSQL(ms, 10) + " || '000000' || " + crockfordSQL("i", 10)
	query := fmt.Sprintf(insert, id, date, client, failedAttrs, okAttrs)
	before, err := s.diskBytes(ctx, db)
	if err != nil {
		return 0, err
	}
	for lo := 1; lo <= s.n; lo += seedChunk {
		hi := min(lo+seedChunk-1, s.n)
		if _, err := db.ExecContext(ctx, query, lo, hi); err != nil {
			return 0, fmt.Errorf("seed events %d..%d: %w", lo, hi, err)
		}
	}
	// A seeded id must be what idAt says, or the checkpoint queries would
	// read from the wrong place.
	var got string
	if err := db.QueryRowContext(ctx, "SELECT min(log_id) FROM log_events WHERE client_id = '"+seedClient+"'").Scan(&got); err != nil || got != s.idAt(420) {
		return 0, fmt.Errorf("seeded id %q (%v), want %q", got, err, s.idAt(420))
	}
	after, err := s.diskBytes(ctx, db)
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(s.n), nil
}

// diskBytes is what log_events and its indexes take: on PostgreSQL their
// relations (after the vacuum and analyze autovacuum would do), on SQLite
// the database's used pages after a checkpoint (nothing else grows while
// seeding).
func (s logSeed) diskBytes(ctx context.Context, db *sql.DB) (int64, error) {
	var n int64
	if s.backend == "postgres" {
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE log_events"); err != nil {
			return 0, err
		}
		err := db.QueryRowContext(ctx, "SELECT pg_total_relation_size('log_events')").Scan(&n)
		return n, err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return 0, err
	}
	err := db.QueryRowContext(ctx, "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size").Scan(&n)
	return n, err
}

type logQueryCase struct{ name, query string }

func (s logSeed) queries() []logQueryCase {
	mid := s.idAt(s.n / 2)
	client := url.QueryEscape("client_id:" + seedClient)
	return []logQueryCase{
		{"newest 50", ""},
		{"page=19&per_page=50 (offset 950)", "page=19&per_page=50"},
		{"sort=date:1&page=9&per_page=100", "sort=date:1&page=9&per_page=100"},
		{"include_totals=true", "include_totals=true"},
		{"q=type:feccft&page=5&include_totals=true", "q=type:feccft&page=5&include_totals=true"},
		{"q=client_id:…&sort=date:1&per_page=100", "q=" + client + "&sort=date:1&per_page=100"},
		{"q=type:feccft AND client_id:…", "q=" + url.QueryEscape("type:feccft AND client_id:"+seedClient)},
		{"q=type:sepft AND client_id:… (none)", "q=" + url.QueryEscape("type:sepft AND client_id:"+seedClient)},
		{"from=<middle>&take=100", "from=" + mid + "&take=100"},
		{"from=<middle>&take=100&q=type:feccft", "from=" + mid + "&take=100&q=type:feccft"},
		{"from=<middle>&take=100&q=client_id:…", "from=" + mid + "&take=100&q=" + client},
		{"take=100", "take=100"},
	}
}

// timeQuery GETs u n times (after one unmeasured), sequentially, and
// returns the latency p50 and p99 and the rows of the answer.
func timeQuery(u, token string, n int) (p50, p99 time.Duration, rows int, err error) {
	var lat []time.Duration
	for i := 0; i <= n; i++ {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, 0, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, 0, 0, fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		if i == 0 {
			rows = strings.Count(string(body), `"log_id"`)
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[(len(lat)-1)*99/100], rows, nil
}

type pruneSample struct {
	t      time.Time
	pruned float64
}

// timedResult is a load's tokens with their completion times.
type timedResult struct {
	start, end time.Time
	done       []timedToken
	rate       float64 // tokens/s over the whole load
	errors     int
	firstErr   string
}

type timedToken struct {
	at      time.Time
	latency time.Duration
}

// windowResult is the tokens of a load that completed in a time window.
type windowResult struct {
	rate      float64
	latencies []time.Duration
}

func (r windowResult) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(q*float64(len(r.latencies)-1))]
}

func (r timedResult) window(from, to time.Time) windowResult {
	var w windowResult
	for _, t := range r.done {
		if !t.at.Before(from) && !t.at.After(to) {
			w.latencies = append(w.latencies, t.latency)
		}
	}
	sort.Slice(w.latencies, func(i, j int) bool { return w.latencies[i] < w.latencies[j] })
	if d := to.Sub(from).Seconds(); d > 0 {
		w.rate = float64(len(w.latencies)) / d
	}
	return w
}

func (r timedResult) p(q float64) time.Duration {
	return r.window(r.start, r.end).p(q)
}

// tokenLoad runs concurrency keep-alive clients posting body to base's
// token endpoint for d, calling sample (when set) every 200 ms.
func tokenLoad(base string, concurrency int, d time.Duration, body string, sample func(time.Time)) timedResult {
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res := timedResult{start: time.Now()}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	if sample != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			sample(time.Now())
			for {
				select {
				case t := <-tick.C:
					sample(t)
				case <-ctx.Done():
					sample(time.Now())
					return
				}
			}
		}()
	}
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []timedToken
			var errs int
			var firstErr string
			for ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"oauth/token", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs++
						firstErr = err.Error()
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs++
					firstErr = resp.Status
					continue
				}
				now := time.Now()
				local = append(local, timedToken{now, now.Sub(t0)})
			}
			mu.Lock()
			res.done = append(res.done, local...)
			res.errors += errs
			if firstErr != "" {
				res.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.end = time.Now()
	res.rate = float64(len(res.done)) / res.end.Sub(res.start).Seconds()
	return res
}

// halt stops a server and keeps its data directory (stop removes it).
func halt(s *server) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// startAgain starts bin on the database of prev (whose demo application
// and admin client exist already, so no --dev banner is waited for).
func startAgain(bin string, prev *server, args ...string) (*server, error) {
	srv := *prev
	srv.cmd = nil
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	srv.base = "http://" + addr + "/"
	env := append(os.Environ(), "TOKENHOOK_ADMIN_CLIENT_ID="+srv.adminID, "TOKENHOOK_ADMIN_CLIENT_SECRET="+srv.adminSecret)
	cmd, err := startProcess(bin, env, append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...))
	if err != nil {
		return nil, err
	}
	srv.cmd = cmd
	if err := waitHealthy(srv.base); err != nil {
		halt(&srv)
		return nil, err
	}
	return &srv, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startProcess(bin string, env, args []string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	return cmd, cmd.Start()
}

// waitHealthy waits up to 60 s for base's /healthz (migrations of a large
// log run before the server listens).
func waitHealthy(base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("server at " + base + " not healthy within 60 s")
}

// discoverIssuer reads the issuer from base's OpenID configuration.
func discoverIssuer(base string) (string, error) {
	resp, err := http.Get(base + ".well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var conf struct {
		Issuer string `json:"issuer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&conf); err != nil || conf.Issuer == "" {
		return "", fmt.Errorf("no issuer in %s's OpenID configuration (%v)", base, err)
	}
	return conf.Issuer, nil
}

var metricLine = regexp.MustCompile(`(?m)^(\S+) (\S+)$`)

// metric reads one unlabelled counter or gauge from /metrics.
func (s *server) metric(name string) (float64, error) {
	resp, err := http.Get(s.base + "metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, m := range metricLine.FindAllStringSubmatch(string(b), -1) {
		if m[1] == name {
			return strconv.ParseFloat(m[2], 64)
		}
	}
	return 0, fmt.Errorf("%s not in /metrics", name)
}

// pgSchema makes a schema for one bench run in the PostgreSQL at dsn and
// returns a DSN that selects it, and its drop.
func pgSchema(dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "tokenhook_bench_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("postgres at %s: %w", dsn, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "bench: drop schema", schema+":", err)
		}
		admin.Close()
	}, nil
}
