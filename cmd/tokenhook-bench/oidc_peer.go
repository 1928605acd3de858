//go:build linux

package main

import (
	"bufio"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The peer's npm project: its pinned node-oidc-provider and the script
// that configures it, installed by `npm ci` into a temporary directory.
//
//go:embed testdata/oidc-peer/package.json testdata/oidc-peer/package-lock.json testdata/oidc-peer/peer.mjs
var oidcPeerFiles embed.FS

var (
	oidcRounds      = flag.Int("oidc-rounds", 3, "rounds of the node-oidc-provider comparison per concurrency; the ratios printed are their medians")
	oidcConcurrency = flag.String("oidc-c", "16,64", "concurrencies of the node-oidc-provider comparison, comma-separated")
	oidcWarmup      = flag.Duration("oidc-warmup", 10*time.Second, "unmeasured load on each server once before the node-oidc-provider comparison's rounds")
)

// oidcScenario names the comparison for -run.
const oidcScenario = "vs node-oidc-provider"

// Targets of issue 14 for the default build with the simple hook against
// node-oidc-provider with its extraTokenClaims: at least this many times
// its tokens/s, at most this fraction of its server CPU per token.
const (
	targetTokensRatio = 2.0
	targetCPURatio    = 0.70
)

// oidcPeer is a running node-oidc-provider.
type oidcPeer struct {
	cmd          *exec.Cmd
	base         string
	clientID     string
	clientSecret string
	audience     string
	scope        string
	version      string
}

// measurement is one load run against one server.
type measurement struct {
	tokensPerSec float64
	p50, p99     time.Duration
	cpuPerToken  time.Duration
}

// runOIDCPeer compares the default build (no --signer: auto, which signs
// through OpenSSL when it loads) with the simple hook against
// node-oidc-provider with the equivalent extraTokenClaims, in alternating
// rounds at each concurrency, so both see the same machine.
func runOIDCPeer(bin string, duration, warmup time.Duration) error {
	if !scenarioFilter.MatchString(oidcScenario) {
		return nil
	}
	fmt.Println()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Printf("%s skipped: %s is not on PATH\n", oidcScenario, tool)
			return nil
		}
	}
	concs, err := parseConcurrencies(*oidcConcurrency)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tokenhook-bench-oidc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	if err := installOIDCPeer(dir); err != nil {
		return err
	}
	installTime := time.Since(t0)

	srv, err := start(bin)
	if err != nil {
		return err
	}
	defer srv.stop()
	if err := setupSimpleHook(srv); err != nil {
		return err
	}
	thBody := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.clientID},
		"client_secret": {srv.clientSecret}, "audience": {srv.audience}}.Encode()
	// The peer grants the scopes tokenhook's token carries before its hook
	// adds "extra" (node-oidc-provider's extraTokenClaims cannot change the
	// scope).
	scope, err := tokenScope(srv)
	if err != nil {
		return err
	}
	peer, err := startOIDCPeer(dir, srv.audience, scope)
	if err != nil {
		return err
	}
	defer peer.stop()
	peerBody := url.Values{"grant_type": {"client_credentials"}, "client_id": {peer.clientID},
		"client_secret": {peer.clientSecret}, "resource": {peer.audience}, "scope": {peer.scope}}.Encode()
	if err := peer.check(peerBody); err != nil {
		return err
	}

	fmt.Printf("%s (oidc-provider %s on node %s, installed by npm ci in %.1f s): the default build (--signer auto) with the\n"+
		"simple hook vs node-oidc-provider with the same claims from extraTokenClaims; both warmed up for %v, then %d alternating\n"+
		"rounds per concurrency\n", oidcScenario, peer.version, nodeVersion(), installTime.Seconds(), *oidcWarmup, *oidcRounds)
	fmt.Printf("%-22s %-5s %-20s %10s %9s %9s %14s\n", "scenario", "c", "server", "tokens/s", "p50 ms", "p99 ms", "CPU ms/token")
	peerSrv := &server{base: peer.base}
	// Node compiles hot code as it runs: its first thousands of tokens
	// cost several times its steady state, which -warmup alone did not
	// cover. Both servers get the same long warm-up.
	load(srv, concs[0], *oidcWarmup, thBody)
	load(peerSrv, concs[0], *oidcWarmup, peerBody)
	for _, c := range concs {
		var tokRatios, cpuRatios []float64
		for round := 1; round <= *oidcRounds; round++ {
			th, err := measure(srv, srv.cmd.Process.Pid, c, warmup, duration, thBody)
			if err != nil {
				return fmt.Errorf("tokenhook c=%d: %w", c, err)
			}
			nd, err := measure(peerSrv, peer.cmd.Process.Pid, c, warmup, duration, peerBody)
			if err != nil {
				return fmt.Errorf("node-oidc-provider c=%d: %w", c, err)
			}
			for _, row := range []struct {
				name string
				m    measurement
			}{{"tokenhook + hook", th}, {"node-oidc-provider", nd}} {
				fmt.Printf("%-22s %-5d %-20s %10.0f %9.2f %9.2f %14.3f\n", fmt.Sprintf("  round %d", round), c, row.name,
					row.m.tokensPerSec, ms(row.m.p50), ms(row.m.p99), ms(row.m.cpuPerToken))
			}
			tokRatios = append(tokRatios, th.tokensPerSec/nd.tokensPerSec)
			cpuRatios = append(cpuRatios, float64(th.cpuPerToken)/float64(nd.cpuPerToken))
		}
		tok, cpu := median(tokRatios), median(cpuRatios)
		fmt.Printf("%-22s %-5d tokenhook/node: tokens/s %.2fx (target >= %.1fx: %s), CPU per token %.2fx (target <= %.2fx: %s), median of %d\n",
			"  ratio", c, tok, targetTokensRatio, met(tok >= targetTokensRatio), cpu, targetCPURatio, met(cpu <= targetCPURatio), len(tokRatios))
	}
	return nil
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func parseConcurrencies(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-oidc-c: bad concurrency %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// measure warms srv up, then loads it for d and reads the CPU of pid and
// its descendants over the measured part.
func measure(srv *server, pid, concurrency int, warmup, d time.Duration, body string) (measurement, error) {
	load(srv, concurrency, warmup, body)
	cpu0, err := treeCPU(pid)
	if err != nil {
		return measurement{}, err
	}
	res := load(srv, concurrency, d, body)
	cpu1, err := treeCPU(pid)
	if err != nil {
		return measurement{}, err
	}
	if res.errors > 0 {
		return measurement{}, fmt.Errorf("%d failed requests (first: %s)", res.errors, res.firstErr)
	}
	if res.ok == 0 {
		return measurement{}, errors.New("no token issued")
	}
	return measurement{tokensPerSec: float64(res.ok) / d.Seconds(), p50: res.p(0.50), p99: res.p(0.99),
		cpuPerToken: (cpu1 - cpu0) / time.Duration(res.ok)}, nil
}

// setupSimpleHook runs the setup of the "with simple hook" scenario, so
// both comparisons use one definition of it.
func setupSimpleHook(srv *server) error {
	for _, sc := range scenarios(srv, nil) {
		if sc.name == "with simple hook" {
			return sc.setup()
		}
	}
	return errors.New(`no "with simple hook" scenario`)
}

// tokenScope is the scope of a tokenhook token without the one its hook
// adds.
func tokenScope(srv *server) (string, error) {
	tok, err := srv.token(srv.clientID, srv.clientSecret, srv.audience)
	if err != nil {
		return "", err
	}
	claims, err := jwtClaims(tok)
	if err != nil {
		return "", err
	}
	var scopes []string
	for _, s := range strings.Fields(fmt.Sprint(claims["scope"])) {
		if s != "extra" {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		return "", fmt.Errorf("tokenhook's token has no scope: %v", claims)
	}
	return strings.Join(scopes, " "), nil
}

func jwtClaims(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT: %.40q", tok)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	return claims, json.Unmarshal(payload, &claims)
}

// installOIDCPeer writes the peer's project into dir and installs its
// locked dependencies there.
func installOIDCPeer(dir string) error {
	files, err := fs.Sub(oidcPeerFiles, "testdata/oidc-peer")
	if err != nil {
		return err
	}
	if err := os.CopyFS(dir, files); err != nil {
		return err
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel", "error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci for node-oidc-provider: %w\n%s", err, out)
	}
	return nil
}

func startOIDCPeer(dir, audience, scope string) (*oidcPeer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &oidcPeer{base: fmt.Sprintf("http://127.0.0.1:%d/", port), clientID: randomHex(16), clientSecret: randomHex(32),
		audience: audience, scope: scope}
	if b, err := os.ReadFile(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err == nil {
		var pkg struct{ Version string }
		_ = json.Unmarshal(b, &pkg)
		p.version = pkg.Version
	}
	cmd := exec.Command("node", "peer.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=production", "PEER_PORT="+strconv.Itoa(port), "PEER_CLIENT_ID="+p.clientID,
		"PEER_CLIENT_SECRET="+p.clientSecret, "PEER_AUDIENCE="+audience, "PEER_SCOPE="+scope)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// Its warnings (an in-memory adapter, a Node.js release it does not
	// list) go to stderr; shown only when it fails to start.
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.cmd = cmd
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening ") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if ok {
			return p, nil
		}
	case <-time.After(60 * time.Second):
	}
	p.stop()
	return nil, fmt.Errorf("node-oidc-provider did not start:\n%s", stderr.String())
}

// check gets one token from the peer and makes sure it carries the hook's
// claims, so the rows compare the same work.
func (p *oidcPeer) check(body string) error {
	v, _ := url.ParseQuery(body)
	resp, err := http.PostForm(p.base+"oauth/token", v)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("node-oidc-provider's token endpoint: status %d, %v", resp.StatusCode, err)
	}
	tok := out.AccessToken
	claims, err := jwtClaims(tok)
	if err != nil {
		return err
	}
	if claims["https://example.com/plan"] == nil || claims["scope"] != p.scope {
		return fmt.Errorf("node-oidc-provider's token lacks the hook's claims or the scope: %v", claims)
	}
	return nil
}

func (p *oidcPeer) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func nodeVersion() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
