package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the tokenhook binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tokenhook-e2e-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tokenhook")
	// The same build as `make build`: no tags (so OpenSSL is in) and no cgo.
	build := exec.Command("go", "build", "-o", binary, "github.com/tokenhook/tokenhook/cmd/tokenhook")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building tokenhook: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	adminID     = "e2eadmin000000000000000000000000"
	adminSecret = "e2e-admin-secret-0123456789abcdef"
)

// options start a server; zero values are the defaults used by most tests.
type options struct {
	dataDir string
	addr    string   // listen address; when empty the server picks a free port and reports it (--addr-file)
	db      string   // postgres URL
	args    []string // extra serve flags
	env     []string
	noAdmin bool   // do not pass TOKENHOOK_ADMIN_* (exercise the generated admin)
	bin     string // another executable (the static build, a wrapper); empty means binary
	tls     *tlsFiles
}

type tlsFiles struct{ cert, key string }

// instance is one running `tokenhook serve`.
type instance struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string
	addr    string
	dataDir string
	client  *http.Client

	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	exited chan struct{}
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// start runs a server, waits for it to report its address, and checks
// that /healthz answers 200.
func start(t *testing.T, o options) *instance {
	t.Helper()
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	addr := o.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	addrFile := filepath.Join(t.TempDir(), "addr")
	scheme := "http"
	args := []string{"serve", "--addr", addr, "--addr-file", addrFile, "--data-dir", o.dataDir, "--log-level", "debug"}
	if o.db != "" {
		args = append(args, "--db", o.db)
	}
	if o.tls != nil {
		scheme = "https"
		args = append(args, "--tls-cert", o.tls.cert, "--tls-key", o.tls.key)
	}
	args = append(args, o.args...)
	// --dev also serves HTTPS on 127.0.0.1:8443 by default: off here unless
	// the test asks for its own address, so parallel tests do not collide.
	if slices.Contains(o.args, "--dev") && !slices.ContainsFunc(o.args, func(a string) bool { return strings.HasPrefix(a, "--dev-https-addr") }) {
		args = append(args, "--dev-https-addr=")
	}
	in := &instance{t: t, dataDir: o.dataDir, exited: make(chan struct{})}
	in.client = &http.Client{Timeout: 30 * time.Second}
	if o.tls != nil {
		in.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // test's own self-signed cert
	}
	exe := binary
	if o.bin != "" {
		exe = o.bin
	}
	cmd := exec.Command(exe, args...)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	if !o.noAdmin {
		env = append(env, "TOKENHOOK_ADMIN_CLIENT_ID="+adminID, "TOKENHOOK_ADMIN_CLIENT_SECRET="+adminSecret)
	}
	cmd.Env = append(env, o.env...)
	cmd.Stdout = lockedWriter{&in.mu, &in.stdout}
	cmd.Stderr = lockedWriter{&in.mu, &in.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.cmd = cmd
	go func() { _ = cmd.Wait(); close(in.exited) }()
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("server stderr:\n%s", in.logs())
		}
	})
	in.addr = in.waitAddr(addrFile)
	in.base = scheme + "://" + in.addr + "/"
	resp, err := in.client.Get(in.base + "healthz")
	if err != nil {
		t.Fatalf("healthz: %v\n%s", err, in.logs())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d\n%s", resp.StatusCode, in.logs())
	}
	return in
}

// waitAddr waits for the server to write the address it listens on (it
// does once it accepts connections) or to exit.
func (in *instance) waitAddr(file string) string {
	in.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil {
			return strings.TrimSpace(string(b))
		}
		select {
		case <-in.exited:
			in.t.Fatalf("server exited during start-up:\n%s", in.logs())
		case <-deadline:
			in.t.Fatalf("server did not report its address within 60s:\n%s", in.logs())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (in *instance) logs() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stderr.String()
}

func (in *instance) output() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stdout.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (in *instance) stop() {
	select {
	case <-in.exited:
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.exited
		in.t.Errorf("server did not stop within 30s of SIGTERM")
	}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("status %d, body is not a JSON array: %v\n%s", r.status, err, r.body)
	}
	return l
}

func (in *instance) do(method, path, contentType string, body io.Reader, header http.Header) response {
	in.t.Helper()
	req, err := http.NewRequest(method, in.base+strings.TrimPrefix(path, "/"), body)
	if err != nil {
		in.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := in.client.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// tokenForm posts a form to /oauth/token.
func (in *instance) tokenForm(v url.Values) response {
	return in.do("POST", "oauth/token", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()), nil)
}

// tokenJSON posts a JSON body to /oauth/token.
func (in *instance) tokenJSON(v map[string]any) response {
	b, _ := json.Marshal(v)
	return in.do("POST", "oauth/token", "application/json", bytes.NewReader(b), nil)
}

// adminToken gets a Management API token with the bootstrap credentials.
func (in *instance) adminToken() string {
	in.t.Helper()
	r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
		"client_secret": {adminSecret}, "audience": {in.base + "api/v2/"}})
	if r.status != 200 {
		in.t.Fatalf("admin token: %d %s", r.status, r.body)
	}
	return r.json(in.t)["access_token"].(string)
}

// api calls the Management API with the admin token.
func (in *instance) api(method, path string, body any) response {
	in.t.Helper()
	return in.apiWith(in.adminToken(), method, path, body)
}

func (in *instance) apiWith(token, method, path string, body any) response {
	in.t.Helper()
	var rd io.Reader
	ct := ""
	if body != nil {
		b, _ := json.Marshal(body)
		rd, ct = bytes.NewReader(b), "application/json"
	}
	return in.do(method, "api/v2/"+strings.TrimPrefix(path, "/"), ct, rd, http.Header{"Authorization": {"Bearer " + token}})
}

// m2m creates an API, an application and a grant, and returns the
// application's credentials.
func (in *instance) m2m(audience string, scopes []string, grant []string, metadata map[string]string) (id, secret string) {
	in.t.Helper()
	var sc []map[string]string
	for _, s := range scopes {
		sc = append(sc, map[string]string{"value": s, "description": s})
	}
	if r := in.api("POST", "resource-servers", map[string]any{"identifier": audience, "name": "API " + audience, "scopes": sc}); r.status != 201 {
		in.t.Fatalf("create API: %d %s", r.status, r.body)
	}
	body := map[string]any{"name": "app for " + audience, "app_type": "non_interactive", "grant_types": []string{"client_credentials"}}
	if metadata != nil {
		body["client_metadata"] = metadata
	}
	r := in.api("POST", "clients", body)
	if r.status != 201 {
		in.t.Fatalf("create client: %d %s", r.status, r.body)
	}
	c := r.json(in.t)
	id, secret = c["client_id"].(string), c["client_secret"].(string)
	if r := in.api("POST", "client-grants", map[string]any{"client_id": id, "audience": audience, "scope": grant}); r.status != 201 {
		in.t.Fatalf("create grant: %d %s", r.status, r.body)
	}
	return id, secret
}

// claims decodes a JWT's payload without verifying it.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if cond() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// devCredentials reads the demo application from the --dev banner.
func devCredentials(t *testing.T, out string) (id, secret, audience string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	re := regexp.MustCompile(`"client_id":"([^"]+)","client_secret":"([^"]+)","audience":"([^"]+)"`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			return m[1], m[2], m[3]
		}
	}
	t.Fatalf("no curl command in the --dev output:\n%s", out)
	return
}
