package noderun

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestExtraCACerts: Node's TLS (https, fetch, and so npm clients such as
// node-auth0) trusts the CAs of Options.ExtraCACerts, which the workers
// get as NODE_EXTRA_CA_CERTS; hook code still sees no server variable in
// process.env. Without it, a private CA's certificate is refused.
func TestExtraCACerts(t *testing.T) {
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("trusted")) }))
	defer api.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	fetchGet := `const r = await fetch(a); return (await r.text()) + ' env:' + Object.keys(process.env).join(',');`
	httpsGet := `return await new Promise((res, rej) => require('https').get(a, (r) => { let b = ''; r.on('data', (c) => b += c); r.on('end', () => res(b)); }).on('error', rej));`
	with := newEngine(t, Options{Options: sandbox.Options{Egress: allowLoopback(t), ExtraCACerts: caFile}})
	if got := probe(t, with, fetchGet, api.URL); got != "ok:trusted env:" {
		t.Errorf("fetch with the CA: %q", got)
	}
	if got := probe(t, with, httpsGet, api.URL); got != "ok:trusted" {
		t.Errorf("https with the CA: %q", got)
	}
	without := newEngine(t, Options{Options: sandbox.Options{Egress: allowLoopback(t)}})
	if got := probe(t, without, httpsGet, api.URL); !strings.HasPrefix(got, "err:") {
		t.Errorf("https without the CA: %q", got)
	}
}
