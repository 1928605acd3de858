package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestLogEventsSurviveShutdown: seccft/feccft events are written
// asynchronously and a SIGTERM right after the requests loses none.
func TestLogEventsSurviveShutdown(t *testing.T) {
	dir := t.TempDir()
	in := start(t, options{dataDir: dir})
	id, secret := in.m2m("https://logs.example/", []string{"read"}, []string{"read"}, nil)
	const n = 25
	for i := 0; i < n; i++ {
		if r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://logs.example/"}}); r.status != 200 {
			t.Fatalf("token: %d %s", r.status, r.body)
		}
	}
	in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"wrong"}, "audience": {"https://logs.example/"}})
	in.stop() // immediately: the queued events must be flushed

	in2 := start(t, options{dataDir: dir})
	r := in2.api("GET", "logs?q="+url.QueryEscape("type:seccft AND client_id:"+id)+"&include_totals=true&per_page=100", nil)
	if r.status != 200 {
		t.Fatalf("logs: %d %s", r.status, r.body)
	}
	body := r.json(t)
	if body["total"] != float64(n) {
		t.Fatalf("seccft events for the client: %v, want %d", body["total"], n)
	}
	ev := body["logs"].([]any)[0].(map[string]any)
	if ev["client_id"] != id || ev["type"] != "seccft" || ev["ip"] == "" || ev["date"] == nil || ev["log_id"] == "" {
		t.Fatalf("event %v", ev)
	}
	r = in2.api("GET", "logs?q=type:feccft", nil)
	fails := r.list(t)
	if len(fails) != 1 || fails[0]["description"] != "Unauthorized" || fails[0]["client_id"] != id {
		t.Fatalf("feccft events: %s", r.body)
	}
}

// TestMetricsAndHealth: /healthz, and Prometheus counters by grant and error.
func TestMetricsAndHealth(t *testing.T) {
	in := start(t, options{})
	in.adminToken()
	in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {"nope"}, "client_secret": {"x"}, "audience": {"x"}})
	r := in.do("GET", "metrics", "", nil, nil)
	text := string(r.body)
	for _, want := range []string{
		`tokenhook_tokens_issued_total{grant_type="client_credentials"} 1`,
		`tokenhook_token_requests_failed_total{error="access_denied",grant_type="client_credentials"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if r := in.do("GET", "healthz", "", nil, nil); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
}

// TestAdminBootstrapGrant: the configured admin application gets every
// Management API scope, and the Management API is listed as a system API.
func TestAdminBootstrapGrant(t *testing.T) {
	in := start(t, options{})
	tok := in.adminToken()
	scopes := strings.Fields(claims(t, tok)["scope"].(string))
	for _, want := range []string{"read:clients", "create:clients", "read:client_keys", "read:resource_servers", "create:client_grants", "read:logs", "read:signing_keys", "update:tenant_settings", "read:hooks"} {
		if !contains(scopes, want) {
			t.Errorf("admin token lacks %s: %v", want, scopes)
		}
	}
	r := in.apiWith(tok, "GET", "resource-servers", nil)
	found := false
	for _, rs := range r.list(t) {
		if rs["identifier"] == in.base+"api/v2/" && rs["is_system"] == true {
			found = true
		}
	}
	if !found {
		t.Fatalf("the Management API is not listed as a system API: %s", r.body)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestTLS serves HTTPS with --tls-cert/--tls-key and an https issuer.
func TestTLS(t *testing.T) {
	files := selfSignedCert(t)
	in := start(t, options{tls: files})
	if !strings.HasPrefix(in.base, "https://") {
		t.Fatal(in.base)
	}
	tok := in.adminToken()
	if iss := claims(t, tok)["iss"]; iss != in.base {
		t.Fatalf("iss %v, want %s", iss, in.base)
	}
}

func selfSignedCert(t *testing.T) *tlsFiles {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	f := &tlsFiles{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	os.WriteFile(f.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(f.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return f
}

// postgresURL makes a fresh database for the test on the machine's
// PostgreSQL (TOKENHOOK_TEST_POSTGRES_DSN, as for the conformance suite)
// and drops it afterwards.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TOKENHOOK_TEST_POSTGRES_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("TOKENHOOK_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL unreachable and TOKENHOOK_SKIP_POSTGRES=1: %v", err)
		}
		t.Fatalf("PostgreSQL unreachable (set TOKENHOOK_SKIP_POSTGRES=1 to skip): %v", err)
	}
	name := fmt.Sprintf("tokenhook_e2e_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// TestPostgresReplicas: two servers share one PostgreSQL database; a
// change made through one reaches the token endpoint of the other within a
// second, and tokens of one verify on the other.
func TestPostgresReplicas(t *testing.T) {
	db := postgresURL(t)
	key := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	env := []string{"TOKENHOOK_MASTER_KEY=" + key}
	issuer := "https://auth.replicas.example/"
	a := start(t, options{db: db, env: env, args: []string{"--issuer", issuer}})
	b := start(t, options{db: db, env: env, args: []string{"--issuer", issuer}})
	adminA := tokenAt(t, a, adminID, adminSecret, issuer+"api/v2/")

	// A new API, application and grant made through A.
	id, secret := createM2M(t, a, adminA, "https://shared.example/")
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"https://shared.example/"}}
	waitFor(t, time.Second, "replica B to issue a token for the grant made on A", func() bool { return b.tokenForm(cc).status == 200 })

	// A rotated secret through A stops working on B within a second.
	r := a.apiWith(adminA, "POST", "clients/"+id+"/rotate-secret", nil)
	if r.status != 200 {
		t.Fatalf("rotate secret: %d %s", r.status, r.body)
	}
	newSecret := r.json(t)["client_secret"].(string)
	waitFor(t, time.Second, "replica B to refuse the old secret", func() bool { return b.tokenForm(cc).status == 401 })
	cc.Set("client_secret", newSecret)
	if r := b.tokenForm(cc); r.status != 200 {
		t.Fatalf("new secret on B: %d %s", r.status, r.body)
	}
	// A key rotation through A: B signs with the new key within a second.
	if r := a.apiWith(adminA, "POST", "keys/signing/rotate", nil); r.status != 201 {
		t.Fatalf("rotate key: %d %s", r.status, r.body)
	}
	current := currentKID(t, a, adminA)
	waitFor(t, time.Second, "replica B to sign with the rotated key", func() bool {
		r := b.tokenForm(cc)
		return r.status == 200 && kid(t, r.json(t)["access_token"].(string)) == current
	})
	// Updates through A reach B record by record: a grant's scopes, an
	// API's token lifetime, the default audience.
	grants := a.apiWith(adminA, "GET", "client-grants?client_id="+id, nil).list(t)
	if len(grants) != 1 {
		t.Fatalf("grants of %s: %v", id, grants)
	}
	grantID := grants[0]["id"].(string)
	if r := a.apiWith(adminA, "PATCH", "resource-servers/"+apiID(t, a, adminA, "https://shared.example/"), map[string]any{
		"scopes": []map[string]string{{"value": "read"}, {"value": "write"}}, "token_lifetime": 600}); r.status != 200 {
		t.Fatalf("update API: %d %s", r.status, r.body)
	}
	if r := a.apiWith(adminA, "PATCH", "client-grants/"+grantID, map[string]any{"scope": []string{"read", "write"}}); r.status != 200 {
		t.Fatalf("update grant: %d %s", r.status, r.body)
	}
	waitFor(t, time.Second, "replica B to follow the grant's and the API's updates", func() bool {
		r := b.tokenForm(cc)
		if r.status != 200 {
			return false
		}
		c := claims(t, r.json(t)["access_token"].(string))
		return c["scope"] == "read write" && c["exp"].(float64)-c["iat"].(float64) == 600
	})
	if r := a.apiWith(adminA, "PATCH", "tenants/settings", map[string]any{"default_audience": "https://shared.example/"}); r.status != 200 {
		t.Fatalf("settings: %d %s", r.status, r.body)
	}
	noAudience := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {newSecret}}
	waitFor(t, time.Second, "replica B to use the new default audience", func() bool { return b.tokenForm(noAudience).status == 200 })

	// Both replicas lose their notify connections; a grant changed on A
	// meanwhile still reaches B (its notification, or the catch-up from
	// the change log after B reconnects), without a whole rebuild.
	killListeners(t, db)
	if r := a.apiWith(adminA, "PATCH", "client-grants/"+grantID, map[string]any{"scope": []string{"read"}}); r.status != 200 {
		t.Fatalf("update grant: %d %s", r.status, r.body)
	}
	waitFor(t, 10*time.Second, "replica B to catch up after losing its notify connection", func() bool {
		r := b.tokenForm(cc)
		return r.status == 200 && claims(t, r.json(t)["access_token"].(string))["scope"] == "read"
	})

	// A deleted client is refused by B within a second.
	if r := a.apiWith(adminA, "DELETE", "clients/"+id, nil); r.status != 204 {
		t.Fatalf("delete client: %d %s", r.status, r.body)
	}
	waitFor(t, time.Second, "replica B to refuse the deleted client", func() bool { return b.tokenForm(cc).status == 401 })

	// Everything B learned, it applied record by record: its only whole
	// rebuild of the catalog was at start-up.
	if n := metric(t, b, "tokenhook_catalog_rebuilds_total"); n != 1 {
		t.Fatalf("replica B rebuilt its catalog whole %v times, want 1 (start-up)", n)
	}
}

// apiID finds the id of the API with that identifier.
func apiID(t *testing.T, in *instance, admin, identifier string) string {
	t.Helper()
	for _, rs := range in.apiWith(admin, "GET", "resource-servers", nil).list(t) {
		if rs["identifier"] == identifier {
			return rs["id"].(string)
		}
	}
	t.Fatalf("no API %s", identifier)
	return ""
}

// killListeners ends every replica's LISTEN connection to the database of
// dsn, as a network failure would.
func killListeners(t *testing.T, dsn string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tag, err := conn.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'tokenhook-listener-%'",
		strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 2 {
		t.Fatalf("ended %d listener connections, want 2", tag.RowsAffected())
	}
}

// metric reads a counter or gauge from an instance's /metrics.
func metric(t *testing.T, in *instance, name string) float64 {
	t.Helper()
	r := in.do("GET", "metrics", "", nil, nil)
	for _, line := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

func tokenAt(t *testing.T, in *instance, id, secret, audience string) string {
	t.Helper()
	r := in.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	return r.json(t)["access_token"].(string)
}

func createM2M(t *testing.T, in *instance, admin, audience string) (string, string) {
	t.Helper()
	if r := in.apiWith(admin, "POST", "resource-servers", map[string]any{"identifier": audience, "name": "shared", "scopes": []map[string]string{{"value": "read"}}}); r.status != 201 {
		t.Fatalf("API: %d %s", r.status, r.body)
	}
	r := in.apiWith(admin, "POST", "clients", map[string]any{"name": "m2m", "app_type": "non_interactive", "grant_types": []string{"client_credentials"}})
	if r.status != 201 {
		t.Fatalf("client: %d %s", r.status, r.body)
	}
	c := r.json(t)
	if r := in.apiWith(admin, "POST", "client-grants", map[string]any{"client_id": c["client_id"], "audience": audience, "scope": []string{"read"}}); r.status != 201 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	return c["client_id"].(string), c["client_secret"].(string)
}

func kid(t *testing.T, jwt string) string {
	t.Helper()
	h := strings.Split(jwt, ".")[0]
	m := claims(t, "x."+h+".y")
	return m["kid"].(string)
}
