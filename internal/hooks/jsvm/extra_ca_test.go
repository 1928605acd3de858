package jsvm

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestExtraCACerts: fetch trusts the CAs of Options.ExtraCACerts (what
// NODE_EXTRA_CA_CERTS and --dev's local CA become), on both engine kinds,
// so code can call an HTTPS API whose certificate a private CA issued,
// this server's own --dev HTTPS among them; without it, such a
// certificate is refused.
func TestExtraCACerts(t *testing.T) {
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`"trusted"`)) }))
	defer api.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `module.exports = async function (url, cb) {
  try { cb(null, await (await fetch(url)).json()); } catch (e) { cb(null, 'refused: ' + (e.cause ? e.cause.message : e.message)); }
};`
	url, _ := json.Marshal(api.URL)
	args := sandbox.Invocation{Script: script, Args: []json.RawMessage{url}}
	for name, e := range engines(t, sandbox.Options{Egress: loopbackPolicy(t), ExtraCACerts: caFile}) {
		t.Run(name, func(t *testing.T) {
			out, err := runInv(t, e, args)
			wantResponse(t, out, err, `"trusted"`)
		})
	}
	for name, e := range engines(t, sandbox.Options{Egress: loopbackPolicy(t)}) {
		t.Run(name+" without", func(t *testing.T) {
			out, err := runInv(t, e, args)
			if err != nil || !strings.Contains(string(out.Response), "refused") {
				t.Fatalf("an unknown CA was trusted: %s %v", out.Response, err)
			}
		})
	}
}
