package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The default build is static and has no OpenSSL: auto says so once and
// signs with crypto/rsa; --signer openssl refuses to start.
func TestSignerDefaultBuild(t *testing.T) {
	in := start(t, options{args: []string{"--dev"}})
	id, secret, audience := devCredentials(t, in.output())
	r := in.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	verifyAccessToken(t, in, r.json(t)["access_token"].(string), audience)
	if n := strings.Count(in.logs(), "signer=go"); n != 1 || !strings.Contains(in.logs(), "not built in") {
		t.Fatalf("want one signer=go line naming the missing build tag, got %d:\n%s", n, in.logs())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--signer", "openssl")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--signer openssl") || !strings.Contains(string(out), "not built in") {
		t.Fatalf("--signer openssl in the default build: err=%v\n%s", err, out)
	}
}

var (
	opensslBinOnce sync.Once
	opensslBin     string
	opensslBinErr  []byte
)

// buildOpenSSL builds the -tags openssl binary once, or skips when this
// machine has no libcrypto.so.3 to run it with.
func buildOpenSSL(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("ldconfig", "-p").Output(); err != nil || !bytes.Contains(out, []byte("libcrypto.so.3")) {
		t.Skip("no libcrypto.so.3 on this machine")
	}
	opensslBinOnce.Do(func() {
		// Next to the default binary, in the directory TestMain removes.
		bin := filepath.Join(filepath.Dir(binary), "tokenhook-openssl")
		build := exec.Command("go", "build", "-tags", "openssl", "-o", bin, "github.com/tokenhook/tokenhook/cmd/tokenhook")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			opensslBinErr = append([]byte(err.Error()+"\n"), out...)
			return
		}
		opensslBin = bin
	})
	if opensslBin == "" {
		t.Fatalf("go build -tags openssl: %s", opensslBinErr)
	}
	return opensslBin
}

// The -tags openssl binary signs with OpenSSL (auto and openssl), logs it
// once, and its tokens verify through discovery and the JWKS; --signer go
// still works there, on the same keys.
func TestSignerOpenSSLBuild(t *testing.T) {
	bin := buildOpenSSL(t)
	dir := t.TempDir()
	var id, secret, audience string
	for i, mode := range []string{"auto", "openssl", "go"} {
		args := []string{"--signer", mode}
		if i == 0 {
			args = append(args, "--dev")
		}
		in := start(t, options{bin: bin, dataDir: dir, args: args})
		if i == 0 {
			id, secret, audience = devCredentials(t, in.output())
		}
		for range 3 {
			r := in.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
			if r.status != 200 {
				t.Fatalf("%s: token: %d %s", mode, r.status, r.body)
			}
			verifyAccessToken(t, in, r.json(t)["access_token"].(string), audience)
		}
		want := "signer=openssl"
		if mode == "go" {
			want = "signer=go"
		}
		if n := strings.Count(in.logs(), "signer="); n != 1 || !strings.Contains(in.logs(), want) {
			t.Fatalf("%s: want one %s line:\n%s", mode, want, in.logs())
		}
		if mode != "go" && !strings.Contains(in.logs(), "OpenSSL 3") {
			t.Fatalf("%s: the log does not name the OpenSSL version:\n%s", mode, in.logs())
		}
		in.stop()
	}
}
