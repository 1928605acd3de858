package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// haveLibcrypto reports whether this machine has the libcrypto.so.3 the
// default build loads.
func haveLibcrypto() bool {
	out, err := exec.Command("ldconfig", "-p").Output()
	return err == nil && bytes.Contains(out, []byte("libcrypto.so.3"))
}

var (
	staticBinOnce sync.Once
	staticBin     string
	staticBinErr  []byte
)

// buildStatic builds the static binary (make build-static) once.
func buildStatic(t *testing.T) string {
	t.Helper()
	staticBinOnce.Do(func() {
		// Next to the default binary, in the directory TestMain removes.
		bin := filepath.Join(filepath.Dir(binary), "tokenhook-static")
		build := exec.Command("go", "build", "-tags", "nolibcrypto", "-o", bin, "github.com/tokenhook/tokenhook/cmd/tokenhook")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			staticBinErr = append([]byte(err.Error()+"\n"), out...)
			return
		}
		staticBin = bin
	})
	if staticBin == "" {
		t.Fatalf("go build -tags nolibcrypto: %s", staticBinErr)
	}
	return staticBin
}

// The static build (make build-static) has no OpenSSL: auto says so once
// and signs with crypto/rsa; --signer openssl refuses to start. It is a
// static executable: no ELF interpreter, so it starts without glibc.
func TestSignerStaticBuild(t *testing.T) {
	bin := buildStatic(t)
	if exe, err := elf.Open(bin); err != nil {
		t.Fatal(err)
	} else {
		for _, p := range exe.Progs {
			if p.Type == elf.PT_INTERP {
				t.Fatalf("the static build has an ELF interpreter: it is dynamically linked")
			}
		}
		exe.Close()
	}
	in := start(t, options{bin: bin, args: []string{"--dev"}})
	id, secret, audience := devCredentials(t, in.output())
	r := in.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	verifyAccessToken(t, in, r.json(t)["access_token"].(string), audience)
	if n := strings.Count(in.logs(), "signer=go"); n != 1 || !strings.Contains(in.logs(), "not built in") {
		t.Fatalf("want one signer=go line naming the static build, got %d:\n%s", n, in.logs())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--signer", "openssl")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--signer openssl") || !strings.Contains(string(out), "not built in") {
		t.Fatalf("--signer openssl in the static build: err=%v\n%s", err, out)
	}
}

// The default build (the binary TestMain builds with plain go build, as
// make build does) signs with OpenSSL under auto (the default) and
// openssl, logs it once, and its tokens verify through discovery and the
// JWKS; --signer go still works there, on the same keys.
func TestSignerDefaultBuildOpenSSL(t *testing.T) {
	if !haveLibcrypto() {
		t.Skip("no libcrypto.so.3 on this machine: the default build signs with Go here")
	}
	dir := t.TempDir()
	var id, secret, audience string
	for i, mode := range []string{"", "openssl", "go"} {
		var args []string
		if mode != "" {
			args = append(args, "--signer", mode)
		}
		if i == 0 {
			args = append(args, "--dev")
		}
		in := start(t, options{dataDir: dir, args: args})
		if i == 0 {
			id, secret, audience = devCredentials(t, in.output())
		}
		for range 3 {
			r := in.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
			if r.status != 200 {
				t.Fatalf("%q: token: %d %s", mode, r.status, r.body)
			}
			verifyAccessToken(t, in, r.json(t)["access_token"].(string), audience)
		}
		want := "signer=openssl"
		if mode == "go" {
			want = "signer=go"
		}
		if n := strings.Count(in.logs(), "signer="); n != 1 || !strings.Contains(in.logs(), want) {
			t.Fatalf("%q: want one %s line:\n%s", mode, want, in.logs())
		}
		if mode != "go" && !strings.Contains(in.logs(), "OpenSSL 3") {
			t.Fatalf("%q: the log does not name the OpenSSL version:\n%s", mode, in.logs())
		}
		in.stop()
	}
}

// The default build on a machine whose libcrypto.so.3 cannot be loaded
// starts, signs with crypto/rsa and says why in one log line. The library
// is hidden from the server alone: it runs in a mount namespace of its own
// where /dev/null is bind-mounted over the file (root and unshare needed,
// else the test skips).
func TestSignerDefaultBuildWithoutLibcrypto(t *testing.T) {
	lib, err := filepath.EvalSymlinks("/usr/lib/x86_64-linux-gnu/libcrypto.so.3")
	if err != nil {
		t.Skipf("no libcrypto.so.3 at the Debian amd64 path: %v", err)
	}
	hide := `mount --bind /dev/null "$0" && exec "$@"`
	if out, err := exec.Command("unshare", "-m", "sh", "-c", hide, lib, "true").CombinedOutput(); err != nil {
		t.Skipf("cannot hide the library in a mount namespace (needs root and unshare): %v %s", err, out)
	}
	// unshare and sh exec in turn, so the server keeps the wrapper's pid
	// and the harness's SIGTERM reaches it.
	wrapper := filepath.Join(t.TempDir(), "tokenhook-no-libcrypto")
	script := "#!/bin/sh\nexec unshare -m sh -c '" + hide + "' " + lib + " " + binary + ` "$@"` + "\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	in := start(t, options{bin: wrapper, args: []string{"--dev"}})
	id, secret, audience := devCredentials(t, in.output())
	r := in.tokenForm(map[string][]string{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {audience}})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	verifyAccessToken(t, in, r.json(t)["access_token"].(string), audience)
	logs := in.logs()
	if n := strings.Count(logs, "signer="); n != 1 || !strings.Contains(logs, "signer=go") || !strings.Contains(logs, "cannot load libcrypto.so.3") {
		t.Fatalf("want one signer=go line saying libcrypto.so.3 did not load, got %d:\n%s", n, logs)
	}
}
