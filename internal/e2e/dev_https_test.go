package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// devHTTPS starts serve --dev with its HTTPS port (on a free port here, on
// 127.0.0.1:8443 by default) and returns the instance, a view of it over
// HTTPS that trusts only the generated CA, and what the banner printed;
// extra are more serve flags.
func devHTTPS(t *testing.T, extra ...string) (plain, secure *instance, ca, domain string) {
	t.Helper()
	plain = start(t, options{args: append([]string{"--dev", "--dev-https-addr", "127.0.0.1:0"}, extra...)})
	out := plain.output()
	caM := regexp.MustCompile(`(?m)^  export NODE_EXTRA_CA_CERTS=(\S+)$`).FindStringSubmatch(out)
	domM := regexp.MustCompile(`(?m)^  domain: (\S+)$`).FindStringSubmatch(out)
	if caM == nil || domM == nil {
		t.Fatalf("--dev did not print NODE_EXTRA_CA_CERTS and the domain:\n%s", out)
	}
	ca, domain = caM[1], domM[1]
	if want := filepath.Join(plain.dataDir, "dev-tls", "ca.pem"); !filepath.IsAbs(ca) || ca != want {
		t.Fatalf("CA path %q, want %q", ca, want)
	}
	if fi, err := os.Stat(filepath.Join(plain.dataDir, "dev-tls", "ca-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("CA key: %v %v", fi, err)
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	secure = &instance{t: t, addr: domain, base: "https://" + domain + "/", dataDir: plain.dataDir,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	return plain, secure, ca, domain
}

// TestDevHTTPS: serve --dev serves HTTPS on a second port with a
// certificate from a CA generated into the data dir, verified here against
// that CA alone; the issuer is the HTTPS address (what Auth0's SDKs
// expect), the plain port keeps working, and --dev never sends HSTS.
// golang.org/x/oauth2's client credentials run against the HTTPS port.
func TestDevHTTPS(t *testing.T) {
	plain, secure, _, domain := devHTTPS(t)
	if r := secure.do("GET", "healthz", "", nil, nil); r.status != 200 || r.header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("HTTPS healthz: %d, HSTS %q", r.status, r.header.Get("Strict-Transport-Security"))
	}
	var doc map[string]any
	if err := json.Unmarshal(plain.do("GET", ".well-known/openid-configuration", "", nil, nil).body, &doc); err != nil || doc["issuer"] != "https://"+domain+"/" {
		t.Fatalf("issuer on the plain port: %v %v", doc["issuer"], err)
	}
	// The certificate names 127.0.0.1 and localhost.
	_, port, _ := strings.Cut(domain, ":")
	local := &instance{t: t, base: "https://localhost:" + port + "/", client: secure.client}
	if r := local.do("GET", "healthz", "", nil, nil); r.status != 200 {
		t.Fatalf("https://localhost: %d", r.status)
	}

	id, secret, audience := devCredentials(t, plain.output())
	cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: secure.base + "oauth/token",
		EndpointParams: url.Values{"audience": {audience}}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, secure.client)
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatalf("x/oauth2 over the --dev HTTPS port: %v", err)
	}
	c := verifyAccessToken(t, secure, tok.AccessToken, audience)
	if c["iss"] != "https://"+domain+"/" {
		t.Fatalf("iss %v", c["iss"])
	}
	// The plain port issues the same tokens (the README's curl command).
	r := plain.tokenJSON(map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": audience})
	if r.status != 200 {
		t.Fatalf("plain port token: %d %s", r.status, r.body)
	}
	verifyAccessToken(t, secure, r.json(t)["access_token"].(string), audience)

	// A second start reuses the CA (a NODE_EXTRA_CA_CERTS set once stays
	// good) and the certificate.
	before, _ := os.ReadFile(filepath.Join(plain.dataDir, "dev-tls", "ca.pem"))
	plain.stop()
	again := start(t, options{dataDir: plain.dataDir, args: []string{"--dev", "--dev-https-addr", "127.0.0.1:0"}})
	after, _ := os.ReadFile(filepath.Join(again.dataDir, "dev-tls", "ca.pem"))
	if string(before) != string(after) || !strings.Contains(again.output(), "NODE_EXTRA_CA_CERTS=") {
		t.Fatalf("restart changed the CA or did not print it:\n%s", again.output())
	}
}

// TestDevHTTPSWithoutDev: the HTTPS port and the CA exist under --dev only.
func TestDevHTTPSWithoutDev(t *testing.T) {
	in := start(t, options{args: []string{"--dev-https-addr", "127.0.0.1:0"}})
	if strings.Contains(in.output(), "NODE_EXTRA_CA_CERTS") {
		t.Fatalf("printed the dev HTTPS port without --dev:\n%s", in.output())
	}
	if _, err := os.Stat(filepath.Join(in.dataDir, "dev-tls")); !os.IsNotExist(err) {
		t.Fatalf("dev-tls exists without --dev: %v", err)
	}
	if !strings.HasPrefix(in.base, "http://") {
		t.Fatalf("base %s", in.base)
	}
}

// TestNodeSDKDevHTTPS runs the official Auth0 Node SDK (auth0@4,
// unmodified) against serve --dev's HTTPS port with only what --dev
// prints: Management client (clients, grants, connections,
// hooks, logs with take/from) and Authentication client (client
// credentials; the password grant, whose id_token the SDK validates
// against https://<domain>/).
func TestNodeSDKDevHTTPS(t *testing.T) {
	if os.Getenv("TOKENHOOK_SKIP_NODE") == "1" {
		t.Skip("TOKENHOOK_SKIP_NODE=1")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "node-sdk"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "auth0")); err != nil {
		t.Fatalf("the Auth0 Node SDK is not installed: run `npm ci --prefix internal/e2e/testdata/node-sdk` (or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (install Node.js >= 18 or set TOKENHOOK_SKIP_NODE=1): %v", err)
	}
	plain, secure, ca, domain := devHTTPS(t)
	// Two events in the tenant log before the SDK pages through it.
	id, secret, audience := devCredentials(t, plain.output())
	for range 2 {
		if r := plain.tokenJSON(map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": audience}); r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
	}
	waitFor(t, 30*time.Second, "two tenant log events", func() bool {
		var l []any
		r := secure.api("GET", "logs?q=type:seccft", nil)
		return r.status == 200 && json.Unmarshal(r.body, &l) == nil && len(l) >= 2
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "tools.js"))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NODE_EXTRA_CA_CERTS=" + ca,
		"TOKENHOOK_DOMAIN=" + domain, "TOKENHOOK_CLIENT_ID=" + adminID, "TOKENHOOK_CLIENT_SECRET=" + adminSecret}
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node tools.js: %v\n%s\n%s", err, out, stderr)
	}
	t.Logf("SDK results: %s", out)
	var res struct {
		Clients           []string
		GrantsPage        struct{ Count, Total int }
		GrantsForApp      []string
		Connections       []map[string]string
		Hooks             int
		ClientCredentials map[string]any
		Password          map[string]any
		LogsRecent        []string
		LogsAfter         []string
		Oldest, Newest    string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("script output: %v\n%s", err, out)
	}
	if !slices.Contains(res.Clients, "sdk-app") || !slices.Contains(res.Clients, "Demo M2M application") {
		t.Errorf("clients %v", res.Clients)
	}
	// The demo application's grant, the management grant, sdk-app's.
	if res.GrantsPage.Count != 1 || res.GrantsPage.Total != 3 || !slices.Equal(res.GrantsForApp, []string{"https://orders.example/"}) {
		t.Errorf("client grants: %+v for the app %v", res.GrantsPage, res.GrantsForApp)
	}
	if len(res.Connections) != 1 || res.Connections[0]["name"] != "Username-Password-Authentication" || res.Connections[0]["strategy"] != "auth0" {
		t.Errorf("connections %v", res.Connections)
	}
	if res.ClientCredentials["token_type"] != "Bearer" || res.ClientCredentials["scope"] != "read:orders" {
		t.Errorf("client credentials %v", res.ClientCredentials)
	}
	if res.Password["id_token"] != true {
		t.Errorf("password grant %v", res.Password)
	}
	if len(res.LogsRecent) != 2 || !slices.Contains(res.LogsAfter, res.Newest) || slices.Contains(res.LogsAfter, res.Oldest) {
		t.Errorf("logs: recent %v, after %s: %v (newest %s)", res.LogsRecent, res.Oldest, res.LogsAfter, res.Newest)
	}
}

// TestDevHTTPSFromActions: under --dev, Action code trusts the local CA,
// so an Action can call this server's own HTTPS (as Actions call their
// Auth0 tenant's Management API with node-auth0) once --hook-egress-allow
// lets it reach the loopback address: through fetch on the embedded
// engine and through Node's https on the Node.js runtime.
func TestDevHTTPSFromActions(t *testing.T) {
	_, in, _, domain := devHTTPS(t, "--hook-egress-allow", "127.0.0.1")
	app := newM2MApp(t, in)
	admin := newActionsAdmin(in)
	secrets := map[string]any{"secrets": []map[string]string{{"name": "DOMAIN", "value": domain}}}
	embedded := admin.createDeployed(t, "jwks-by-fetch", "credentials-exchange", `exports.onExecuteCredentialsExchange = async (event, api) => {
  try {
    const res = await fetch('https://' + event.secrets.DOMAIN + '/.well-known/jwks.json');
    api.accessToken.setCustomClaim('https://example.com/fetch', (await res.json()).keys.length > 0);
  } catch (e) {
    api.accessToken.setCustomClaim('https://example.com/fetch', String(e.cause ? e.cause.message : e.message));
  }
};`, secrets)
	node := admin.createDeployed(t, "jwks-by-https", "credentials-exchange", `const https = require('https');
exports.onExecuteCredentialsExchange = async (event, api) => {
  const got = await new Promise((resolve) => {
    https.get('https://' + event.secrets.DOMAIN + '/.well-known/jwks.json', (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => resolve(JSON.parse(b).keys.length > 0));
    }).on('error', (e) => resolve(e.message));
  });
  api.accessToken.setCustomClaim('https://example.com/https', got);
};`, secrets)
	admin.bind(t, "credentials-exchange", embedded, node)
	_, tok := app.ok(t)
	if tok["https://example.com/fetch"] != true || tok["https://example.com/https"] != true {
		t.Fatalf("the Actions could not call the --dev HTTPS: fetch %v, https %v", tok["https://example.com/fetch"], tok["https://example.com/https"])
	}
}
