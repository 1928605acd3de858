//go:build linux

// The bench reads the server's CPU time from /proc, so it is Linux-only;
// main_other.go says so elsewhere.

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
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

	"golang.org/x/crypto/bcrypt"

	"github.com/tokenhook/tokenhook/internal/keys/openssl"
)

func main() {
	bin := flag.String("bin", "./bin/tokenhook", "tokenhook binary")
	duration := flag.Duration("duration", 10*time.Second, "measured load per scenario")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured load before each scenario")
	flag.DurationVar(&nodeWarmup, "node-warmup", 10*time.Second, "unmeasured load before each Node-runtime scenario (at least -warmup)")
	concurrency := flag.Int("c", 16, "concurrent keep-alive connections")
	only := flag.String("run", "", "run only the scenarios whose name matches this regular expression")
	mockAPI := flag.String("mock-api", "", "internal: serve the loopback mock API of the node fetch scenario on this address")
	flag.Parse()
	if *mockAPI != "" {
		serveMockAPI(*mockAPI)
		return
	}
	var err error
	if scenarioFilter, err = regexp.Compile(*only); err != nil {
		fmt.Fprintln(os.Stderr, "bench: -run:", err)
		os.Exit(2)
	}
	if err := run(*bin, *duration, *warmup, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// scenarioFilter selects the scenarios to run (-run).
var scenarioFilter *regexp.Regexp

// nodeWarmup is the Node rows' warm-up (-node-warmup). V8 compiles a new
// worker's hot paths (the runner's, Node's HTTP client's) on background
// threads for several seconds of load, more on a busy machine; a longer
// warm-up measures the warm worker that serves a hook's tokens after its
// first seconds, instead of charging a one-off compilation to a few
// seconds' tokens.
var nodeWarmup time.Duration

type server struct {
	cmd          *exec.Cmd
	dir          string // the data dir, removed by stop
	base         string
	clientID     string
	clientSecret string
	audience     string
	adminID      string
	adminSecret  string
}

// backend is one way of running the server: the binary, its --signer and
// other flags, and the same signature done in this process (the row's
// floor). name labels its rows.
type backend struct {
	name   string
	bin    string
	signer string
	args   []string
	sign   crypto.Signer
	// only, when set, limits the scenarios run (the password ones are
	// bcrypt-bound and would only repeat the Go rows).
	only map[string]bool
	// node marks the backend of the Node-runtime scenarios: they run only
	// there, and the backend is skipped when Node is missing.
	node bool
}

func run(bin string, duration, warmup time.Duration, concurrency int) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	backends := []backend{{name: "go", bin: bin, signer: "go", sign: key},
		// Hooks in the server process (--hook-isolation none), to weigh what
		// the worker processes cost against what they protect from.
		{name: "go/inproc", bin: bin, signer: "go", args: []string{"--hook-isolation", "none"}, sign: key,
			only: map[string]bool{"with simple hook": true}}}
	// The Node runtime on its own server, which lets hooks reach the
	// loopback mock API; the embedded engine's rows above are its baseline.
	backends = append(backends, backend{name: "node", bin: bin, signer: "go", sign: key, node: true,
		args: []string{"--hook-egress-allow", "127.0.0.0/8"}})
	opensslNote := "not measured"
	if err := openssl.Load(); err != nil {
		opensslNote += ": " + err.Error()
	} else {
		ossl, err := opensslSigner(key)
		if err != nil {
			return err
		}
		backends = append(backends, backend{name: "openssl", bin: bin, signer: "openssl", sign: ossl,
			only: map[string]bool{"client_credentials": true, "with simple hook": true}})
		opensslNote = fmt.Sprintf("%.3f ms CPU (%s)", ms(bareSignatureCPU(ossl, 1000)), openssl.Version())
	}

	fmt.Printf("concurrency %d, %v per scenario after %v of warm-up (Node rows: %v); the row's bare signature (RS256 2048-bit by its\n"+
		"backend, P-256 for ES256) is measured right before each scenario, since other load on the machine moves both figures together\n\n",
		concurrency, duration, warmup, max(warmup, nodeWarmup))
	fmt.Printf("bcrypt compare at cost 10 (the password scenarios' floor): %.3f ms CPU\n", ms(bcryptCPU(10, 20)))
	fmt.Printf("bare RS256 signature, crypto/rsa: %.3f ms CPU\n", ms(bareSignatureCPU(key, 1000)))
	fmt.Printf("bare RS256 signature, OpenSSL:    %s\n", opensslNote)
	fmt.Printf("bare ES256 signature, crypto/ecdsa: %.3f ms CPU\n\n", ms(bareSignatureCPU(ecKey, 1000)))
	fmt.Printf("%-22s %-10s %10s %9s %9s %14s %12s %9s\n", "scenario", "server", "tokens/s", "p50 ms", "p99 ms", "CPU ms/token", "sign ms", "x sign")
	for _, b := range backends {
		if !b.selected() {
			continue
		}
		if b.node {
			if _, err := exec.LookPath("node"); err != nil {
				fmt.Println("node scenarios skipped: node is not on PATH (the Node hook runtime needs it)")
				continue
			}
		}
		if err := runBackend(b, duration, warmup, concurrency); err != nil {
			return fmt.Errorf("signer %s: %w", b.name, err)
		}
	}
	return errors.Join(runOIDCPeer(bin, duration, warmup), runLogs(bin, duration, concurrency), runReplicas(bin, duration, concurrency), scaleSection(bin))
}

func runBackend(b backend, duration, warmup time.Duration, concurrency int) error {
	srv, err := start(b.bin, append([]string{"--signer", b.signer}, b.args...)...)
	if err != nil {
		return err
	}
	defer srv.stop()
	var mock *mockAPI
	if b.node {
		if mock, err = startMockAPI(); err != nil {
			return err
		}
		defer mock.stop()
	}
	perToken := map[string]time.Duration{}
	for _, sc := range scenarios(srv, mock) {
		if !b.runs(sc) {
			continue
		}
		if sc.setup != nil {
			if err := sc.setup(); err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
		}
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.clientID},
			"client_secret": {srv.clientSecret}, "audience": {srv.audience}}.Encode()
		if sc.body != nil {
			body = sc.body()
		}
		bodyFor := func(int) string { return body }
		if sc.bodyFor != nil {
			bodyFor = sc.bodyFor
		}
		w := warmup
		if b.node {
			w = max(warmup, nodeWarmup)
		}
		loadEach(srv, concurrency, w, bodyFor)
		floor := b.sign
		if sc.sign != nil {
			floor = sc.sign
		}
		sign := bareSignatureCPU(floor, 1000)
		cpu0, err := treeCPU(srv.cmd.Process.Pid)
		if err != nil {
			return err
		}
		own0 := ownCPU(srv.cmd.Process.Pid)
		var mockCPU0 time.Duration
		var mockN0 int64
		if mock != nil {
			if mockCPU0, mockN0, err = mock.usage(); err != nil {
				return err
			}
		}
		res := loadEach(srv, concurrency, duration, bodyFor)
		cpu1, _ := treeCPU(srv.cmd.Process.Pid)
		own1 := ownCPU(srv.cmd.Process.Pid)
		if res.errors > 0 {
			return fmt.Errorf("%s: %d failed requests (first: %s)", sc.name, res.errors, res.firstErr)
		}
		cpuPerToken := (cpu1 - cpu0) / time.Duration(res.ok)
		perToken[sc.name] = cpuPerToken
		fmt.Printf("%-22s %-10s %10.0f %9.2f %9.2f %14.3f %12.3f %9.2f\n", sc.name, b.name, float64(res.ok)/duration.Seconds(),
			ms(res.p(0.50)), ms(res.p(0.99)), ms(cpuPerToken), ms(sign), float64(cpuPerToken)/float64(sign))
		fmt.Printf("%-22s %-10s server process %.3f ms/token, hook workers %.3f ms/token\n", "  split", "",
			ms((own1-own0)/time.Duration(res.ok)), ms((cpu1-cpu0-(own1-own0))/time.Duration(res.ok)))
		if mock != nil {
			mockCPU1, mockN1, err := mock.usage()
			if err != nil {
				return err
			}
			if n := mockN1 - mockN0; n > 0 {
				fmt.Printf("%-22s %-10s %d requests for %d tokens, mock API's own CPU %.3f ms/request\n", "  mock API", "", n, res.ok,
					ms((mockCPU1-mockCPU0)/time.Duration(n)))
			}
		}
		if sc.after != nil {
			sc.after(perToken)
		}
	}
	return nil
}

// runs says whether the backend runs sc (its own list, and -run).
func (b backend) runs(sc scenario) bool {
	return (b.only == nil || b.only[sc.name]) && sc.node == b.node && scenarioFilter.MatchString(sc.name)
}

// selected says whether -run leaves the backend a scenario, so that a
// server (and the mock API) starts only when needed.
func (b backend) selected() bool {
	for _, sc := range scenarios(&server{}, nil) {
		if b.runs(sc) {
			return true
		}
	}
	return false
}

// opensslSigner is key held by OpenSSL, self-tested as the server does.
func opensslSigner(key *rsa.PrivateKey) (crypto.Signer, error) {
	s, err := openssl.NewSigner(key)
	if err != nil {
		return nil, err
	}
	if err := openssl.SelfTest(s, key); err != nil {
		return nil, err
	}
	return s, nil
}

type scenario struct {
	name  string
	setup func() error
	// body is the token request; nil means the demo application's
	// client-credentials request.
	body func() string
	// bodyFor, when set, gives each load client its own body instead.
	bodyFor func(client int) string
	// sign, when set, is the row's floor instead of the backend's RSA
	// signature (the ES256 row's P-256 key).
	sign crypto.Signer
	// node marks a scenario of the Node-runtime backend.
	node bool
	// after, when set, runs once the row is printed, with the CPU per
	// token of every row of the server so far (the Action rows weigh
	// themselves against the Hook rows).
	after func(perToken map[string]time.Duration)
}

// simpleHook adds a scope and two claims: the hook of the target.
const simpleHook = `module.exports = function (client, scope, audience, context, cb) {
  var access_token = { scope: scope };
  access_token.scope.push('extra');
  access_token['https://example.com/plan'] = client.metadata.plan || 'free';
  access_token['https://example.com/tenant'] = client.tenant;
  cb(null, access_token);
};`

func scenarios(srv *server, mock *mockAPI) []scenario {
	pw := &passwordBench{srv: srv}
	es := &es256Bench{srv: srv}
	nb := &nodeBench{srv: srv, mock: mock}
	ab := &actionsBench{srv: srv}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	list := []scenario{
		{name: "client_credentials"},
		// Before the hook scenario, which leaves its hook enabled.
		{name: "ES256 client_creds", setup: es.setup, body: es.body, sign: ecKey},
		{name: "with simple hook", setup: func() error {
			if err := srv.mgmt("POST", "hooks", map[string]any{"name": "bench-hook", "script": simpleHook,
				"triggerId": "credentials-exchange", "enabled": true}); err != nil {
				return err
			}
			// Measure only if the hook really runs.
			tok, err := srv.token(srv.clientID, srv.clientSecret, srv.audience)
			if err != nil {
				return err
			}
			payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
			if !strings.Contains(string(payload), "https://example.com/plan") {
				return fmt.Errorf("the hook did not run: %s", payload)
			}
			return nil
		}},
	}
	// The Actions pair, after the hook row (the pair's Hook replaces the
	// simple hook on the point) and before the password rows.
	list = append(list, ab.scenarios()...)
	return append(list,
		scenario{name: "password", setup: pw.setup, bodyFor: pw.body("")},
		scenario{name: "password + openid", setup: pw.setup, bodyFor: pw.body("openid profile email")},
		scenario{name: "node simple hook", node: true, setup: func() error { return nb.save(nodeSimpleHook) }},
		scenario{name: "node fetch hook", node: true, setup: func() error { return nb.save(nodeFetchHook(mock)) }},
	)
}

// es256Bench is client credentials for an API whose signing_alg is ES256.
type es256Bench struct{ srv *server }

const es256Audience = "https://es256.bench/"

func (e *es256Bench) setup() error {
	if err := e.srv.mgmt("POST", "resource-servers", map[string]any{"identifier": es256Audience, "signing_alg": "ES256"}); err != nil {
		return err
	}
	if err := e.srv.mgmt("POST", "client-grants", map[string]any{"client_id": e.srv.clientID, "audience": es256Audience, "scope": []string{}}); err != nil {
		return err
	}
	// Measure only once the catalog signs this API's tokens with ES256.
	deadline := time.Now().Add(10 * time.Second)
	for {
		tok, err := e.srv.token(e.srv.clientID, e.srv.clientSecret, es256Audience)
		if err == nil {
			header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
			if strings.Contains(string(header), `"alg":"ES256"`) {
				return nil
			}
			err = fmt.Errorf("token header %s", header)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no ES256 token: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *es256Bench) body() string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {e.srv.clientID},
		"client_secret": {e.srv.clientSecret}, "audience": {es256Audience}}.Encode()
}

// passwordBench is the password-grant scenario: a user per load client (a
// user's attempts from one IP take turns, as brute-force protection
// needs), one regular web application, the demo API. Every token costs a
// bcrypt compare at the server's default cost (10), which dwarfs the
// signature: the bcrypt line printed before the table is the floor of
// this scenario.
type passwordBench struct {
	srv              *server
	clientID, secret string
}

const benchPassword = "bench-password-1"

// benchUsers is how many users the password scenarios share out among
// their load clients, client i logging in as user i mod benchUsers.
const benchUsers = 64

func benchUser(i int) string { return fmt.Sprintf("bench%d@example.com", i%benchUsers) }

func (p *passwordBench) setup() error {
	if p.clientID != "" {
		return nil // the other password scenario made them
	}
	out, err := p.srv.mgmtJSON("POST", "clients", map[string]any{"name": "bench password app", "app_type": "regular_web",
		"grant_types": []string{"password"}})
	if err != nil {
		return err
	}
	p.clientID, _ = out["client_id"].(string)
	p.secret, _ = out["client_secret"].(string)
	for i := range benchUsers {
		if _, err := p.srv.mgmtJSON("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
			"email": benchUser(i), "password": benchPassword}); err != nil {
			return err
		}
	}
	// Measure only if the grant really succeeds.
	resp, err := http.Post(p.srv.base+"oauth/token", "application/x-www-form-urlencoded", strings.NewReader(p.body("openid")(0)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("password grant: %d %s", resp.StatusCode, msg)
	}
	return nil
}

func (p *passwordBench) body(scope string) func(client int) string {
	return func(client int) string {
		v := url.Values{"grant_type": {"password"}, "client_id": {p.clientID}, "client_secret": {p.secret},
			"username": {benchUser(client)}, "password": {benchPassword}, "audience": {p.srv.audience}}
		if scope != "" {
			v.Set("scope", scope)
		}
		return v.Encode()
	}
}

// bcryptCPU is the CPU time of one bcrypt compare at cost, the floor of a
// password-grant token.
func bcryptCPU(cost, n int) time.Duration {
	hash, _ := bcrypt.GenerateFromPassword([]byte(benchPassword), cost)
	before := selfCPU()
	for i := 0; i < n; i++ {
		_ = bcrypt.CompareHashAndPassword(hash, []byte(benchPassword))
	}
	return (selfCPU() - before) / time.Duration(n)
}

// bareSignatureCPU is the process CPU time of one SHA-256 signature by s
// (PKCS#1 v1.5 for an RSA key, ECDSA for a P-256 one) over a token-sized
// payload, the same work a token's signature is.
func bareSignatureCPU(s crypto.Signer, n int) time.Duration {
	payload := bytes.Repeat([]byte("x"), 300)
	for i := 0; i < 50; i++ { // warm up
		digest := sha256.Sum256(payload)
		_, _ = s.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	before := selfCPU()
	for i := 0; i < n; i++ {
		digest := sha256.Sum256(payload)
		if _, err := s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			panic(err)
		}
	}
	return (selfCPU() - before) / time.Duration(n)
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// treeCPU is the CPU time of pid and all its descendants (hook workers).
func treeCPU(pid int) (time.Duration, error) {
	total := time.Duration(0)
	for _, p := range append([]int{pid}, descendants(pid)...) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			if p == pid {
				return 0, err
			}
			continue
		}
		total += statCPU(b, p == pid)
	}
	return total, nil
}

// statCPU is the utime and stime of a /proc/PID/stat line and, with
// reaped, also its cutime and cstime: the CPU of children that exited and
// were waited for (a worker replaced, or one stopped between two
// readings), which the live descendants no longer show.
func statCPU(b []byte, reaped bool) time.Duration {
	// Fields after the parenthesised command name; utime, stime, cutime
	// and cstime are fields 14 to 17 of the whole line.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	last := 12
	if reaped {
		last = 14
	}
	var ticks int64
	for i := 11; i <= last; i++ {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// ownCPU is the CPU time of pid alone (live threads, without children).
func ownCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return statCPU(b, false)
}

func descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			c, _ := strconv.Atoi(f)
			out = append(out, c)
			out = append(out, descendants(c)...)
		}
	}
	return out
}

func start(bin string, args ...string) (*server, error) {
	dir, err := os.MkdirTemp("", "tokenhook-bench-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := &server{dir: dir, base: "http://" + addr + "/", adminID: "benchadmin0000000000000000000000", adminSecret: "bench-admin-secret-0123456789abcdef"}
	// No --dev HTTPS port: its fixed default address is taken by any other
	// --dev server on the machine.
	cmd := exec.Command(bin, "serve", "--dev", "--dev-https-addr", "", "--addr", addr, "--data-dir", dir, "--log-level", "warn")
	cmd.Args = append(cmd.Args, args...)
	cmd.Env = append(os.Environ(), "TOKENHOOK_ADMIN_CLIENT_ID="+srv.adminID, "TOKENHOOK_ADMIN_CLIENT_SECRET="+srv.adminSecret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	srv.cmd = cmd
	// The --dev banner carries the demo application's credentials.
	re := regexp.MustCompile(`"client_id":"([^"]+)","client_secret":"([^"]+)","audience":"([^"]+)"`)
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
			}
		}
	}()
	select {
	case m := <-found:
		srv.clientID, srv.clientSecret, srv.audience = m[1], m[2], m[3]
	case <-time.After(60 * time.Second):
		srv.stop()
		return nil, errors.New("server did not print the demo credentials")
	}
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(srv.base + "healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return srv, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.stop()
	return nil, errors.New("server not healthy")
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	_ = os.RemoveAll(s.dir)
}

// mgmtJSON calls the Management API and decodes the answer.
func (s *server) mgmtJSON(method, path string, body any) (map[string]any, error) {
	tok, err := s.token(s.adminID, s.adminSecret, s.base+"api/v2/")
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.base+"api/v2/"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	var out map[string]any
	_ = json.Unmarshal(msg, &out)
	return out, nil
}

// mgmt calls the Management API with a fresh admin token.
func (s *server) mgmt(method, path string, body any) error {
	tok, err := s.token(s.adminID, s.adminSecret, s.base+"api/v2/")
	if err != nil {
		return err
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.base+"api/v2/"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	return nil
}

func (s *server) token(id, secret, audience string) (string, error) {
	resp, err := http.PostForm(s.base+"oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {id}, "client_secret": {secret}, "audience": {audience}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("token: status %d", resp.StatusCode)
	}
	return out.AccessToken, nil
}

type result struct {
	ok, errors int
	firstErr   string
	latencies  []time.Duration
}

func (r result) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(q*float64(len(r.latencies)-1))]
}

// load runs concurrency keep-alive clients for d, all sending body.
func load(s *server, concurrency int, d time.Duration, body string) result {
	return loadEach(s, concurrency, d, func(int) string { return body })
}

// loadEach is load with a body per client: bodyFor(i) for the i-th.
func loadEach(s *server, concurrency int, d time.Duration, bodyFor func(client int) string) result {
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var total result
	var wg sync.WaitGroup
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		body := bodyFor(i)
		go func() {
			defer wg.Done()
			var local result
			for ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", s.base+"oauth/token", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						local.errors++
						local.firstErr = err.Error()
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					local.errors++
					local.firstErr = resp.Status
					continue
				}
				local.ok++
				local.latencies = append(local.latencies, time.Since(t0))
			}
			mu.Lock()
			total.ok += local.ok
			total.errors += local.errors
			if local.firstErr != "" {
				total.firstErr = local.firstErr
			}
			total.latencies = append(total.latencies, local.latencies...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(total.latencies, func(i, j int) bool { return total.latencies[i] < total.latencies[j] })
	return total
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
