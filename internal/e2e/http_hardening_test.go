package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowBody opens a connection from local address src (a loopback alias)
// and sends a token request whose body never finishes. The returned
// channel yields how many bytes of answer arrived before the server closed
// the connection, or -1 if it was still open after limit.
func slowBody(t *testing.T, in *instance, src string, limit time.Duration) <-chan int {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", in.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	done := make(chan int, 1)
	// The write may fail on a connection the server already refused.
	_, _ = io.WriteString(c, "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ngrant_type=")
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(limit))
		n, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			done <- -1
			return
		}
		done <- int(n)
	}()
	return done
}

// TestSlowlorisIsCutOff: a client trickling request bodies from one
// address gets at most --max-conns-per-ip connections (the rest are closed
// at once, with no answer), and those it holds are closed after
// --read-timeout; meanwhile other clients are served.
func TestSlowlorisIsCutOff(t *testing.T) {
	in := start(t, options{args: []string{"--read-timeout", "3s", "--max-conns-per-ip", "10"}})
	const attackers = 30
	var conns []<-chan int
	for range attackers {
		conns = append(conns, slowBody(t, in, "127.0.0.2", 60*time.Second))
	}
	// Another address is served while the attacker holds its connections.
	if r := in.do("GET", "healthz", "", nil, nil); r.status != 200 {
		t.Fatalf("healthz while under attack: %d", r.status)
	}
	var refused, answered, open int
	for _, c := range conns {
		switch n := <-c; {
		case n == -1:
			open++
		case n == 0:
			refused++
		default:
			answered++
		}
	}
	if open != 0 || refused != attackers-10 || answered != 10 {
		t.Fatalf("of %d slow connections: %d refused, %d cut off by the read timeout with an answer, %d still open after 60s; want %d, 10, 0",
			attackers, refused, answered, open, attackers-10)
	}
}

// TestLogStreamOutlivesTheReadTimeout: the hook log stream stays open past
// --read-timeout and still delivers lines.
func TestLogStreamOutlivesTheReadTimeout(t *testing.T) {
	in := start(t, options{args: []string{"--read-timeout", "2s"}})
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	admin.createHook(t, "chatty", "credentials-exchange", `module.exports = function(client, scope, audience, context, cb) {
  console.log('still here');
  cb(null, {scope: scope});
};`, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", in.base+"api/v2/hooks/logs/stream", nil)
	req.Header.Set("Authorization", "Bearer "+admin.token)
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(d), &m) == nil {
					events <- m["message"].(string)
				}
			}
		}
		close(events)
	}()
	// A slow request opened after the stream is cut off by the read
	// timeout: once it is, the stream is older than the timeout too.
	if n := <-slowBody(t, in, "127.0.0.1", 60*time.Second); n == -1 {
		t.Fatal("the slow request was not cut off")
	}
	if r := app.token(); r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	select {
	case msg, ok := <-events:
		if !ok || msg != "still here" {
			t.Fatalf("stream after the read timeout: %q, open %v", msg, ok)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no line on the stream within 10s of the token request")
	}
}

// TestHSTSUnderTLSAndMasterKeyWarning: a TLS server sends HSTS, a plain one
// does not; outside --dev a master key in the data directory is warned
// about at start-up, and one given from outside is not.
func TestHSTSUnderTLSAndMasterKeyWarning(t *testing.T) {
	const warning = "the master key is in the data directory"
	tlsIn := start(t, options{tls: selfSignedCert(t)})
	if r := tlsIn.do("GET", "healthz", "", nil, nil); r.header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("HSTS under TLS: %q", r.header.Get("Strict-Transport-Security"))
	}
	if !strings.Contains(tlsIn.logs(), warning) {
		t.Fatalf("no warning about the generated master key:\n%s", tlsIn.logs())
	}
	keyFile := t.TempDir() + "/master-key"
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := start(t, options{args: []string{"--master-key-file", keyFile}})
	if r := plain.do("GET", "healthz", "", nil, nil); r.header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("HSTS over plain HTTP: %q", r.header.Get("Strict-Transport-Security"))
	}
	if strings.Contains(plain.logs(), warning) {
		t.Fatalf("warned although the key comes from --master-key-file:\n%s", plain.logs())
	}
	if _, err := os.Stat(plain.dataDir + "/master.key"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a master.key was generated although --master-key-file was given: %v", err)
	}
}

// rawRequest sends bytes on a fresh connection and returns the answer.
func rawRequest(t *testing.T, in *instance, req string) (int, http.Header, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", in.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// TestOversizedHeadersAnswerJSON: headers past --max-header-bytes get a
// 431 in the shape of the endpoint asked, also past net/http's own hard
// limit (which would answer in plain text), and a request net/http cannot
// parse gets a JSON 400.
func TestOversizedHeadersAnswerJSON(t *testing.T) {
	in := start(t, options{args: []string{"--max-header-bytes", "8192"}})
	for _, c := range []struct {
		name, path string
		size       int
		key        string
	}{
		{"just past the limit, token endpoint", "/oauth/token", 9000, "error_description"},
		{"just past the limit, Management API", "/api/v2/clients", 9000, "message"},
		{"past net/http's hard limit", "/oauth/token", 40000, "error_description"},
	} {
		req := "POST " + c.path + " HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", c.size) + "\r\nContent-Length: 0\r\n\r\n"
		code, h, body := rawRequest(t, in, req)
		var m map[string]any
		if code != 431 || json.Unmarshal(body, &m) != nil || m[c.key] == nil || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q %s", c.name, code, h.Get("Content-Type"), body)
		}
	}
	code, h, body := rawRequest(t, in, "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n")
	var m map[string]any
	if code != 400 || json.Unmarshal(body, &m) != nil || m["error"] != "invalid_request" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("malformed Host: %d %q %s", code, h.Get("Content-Type"), body)
	}
	if r := in.do("GET", "healthz", "", nil, http.Header{"X-Fine": {strings.Repeat("b", 4000)}}); r.status != 200 {
		t.Errorf("headers within the limit: %d", r.status)
	}
}

// TestSlowClientsFromManyAddressesAreShed: under `ulimit -n 256`, 300
// connections trickling token request bodies from three addresses (100
// each, within --max-conns-per-ip) used to take every file descriptor, so
// /healthz and /oauth/token stalled until the 30 s read timeout cut the
// slow ones off. The connection budget (the file limit less a reserve:
// 128 here) sheds the slowest, and a new client is answered at once; a
// hook log stream open all along (being answered, not slow) is kept.
func TestSlowClientsFromManyAddressesAreShed(t *testing.T) {
	wrapper := filepath.Join(t.TempDir(), "tokenhook-ulimit")
	script := "#!/bin/sh\nulimit -n 256 || exit 1\nexec " + binary + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	in := start(t, options{bin: wrapper, args: []string{"--conn-shed-grace", "200ms"}})
	// A hook log stream opened before the attack is being answered, not
	// slow: it is never shed.
	app := newHookApp(t, in)
	admin := newHookAdmin(in)
	admin.createHook(t, "chatty", "credentials-exchange", `module.exports = function(client, scope, audience, context, cb) {
  console.log('still here');
  cb(null, {scope: scope});
};`, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", in.base+"api/v2/hooks/logs/stream", nil)
	req.Header.Set("Authorization", "Bearer "+admin.token)
	stream, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		for range 100 {
			slowBody(t, in, src, 60*time.Second)
		}
	}
	// A new client, from another address, on a connection of its own.
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	started := time.Now()
	res, err := fresh.Get(in.base + "healthz")
	if err != nil {
		t.Fatalf("healthz under 300 slow connections: %v", err)
	}
	res.Body.Close()
	healthz := time.Since(started)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
		"client_secret": {adminSecret}, "audience": {in.base + "api/v2/"}}
	started = time.Now()
	res, err = fresh.PostForm(in.base+"oauth/token", form)
	if err != nil {
		t.Fatalf("token under 300 slow connections: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("token: %d", res.StatusCode)
	}
	t.Logf("under 300 slow connections from 3 addresses: healthz in %v, token in %v", healthz, time.Since(started))
	if max := in.metric("tokenhook_connections_max"); max != 128 {
		t.Fatalf("connection budget %v, want 128 (256 less the reserve)", max)
	}
	if shed := in.metric("tokenhook_connections_shed_total"); shed == 0 {
		t.Fatal("no slow connection was shed")
	}
	if open := in.metric("tokenhook_connections_open"); open > 128 {
		t.Fatalf("%v connections open past the budget", open)
	}
	if r := app.token(); r.status != 200 {
		t.Fatalf("hook token: %d %s", r.status, r.body)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "still here") {
				line <- sc.Text()
				return
			}
		}
		close(line)
	}()
	select {
	case _, ok := <-line:
		if !ok {
			t.Fatal("the hook log stream was closed under pressure")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no line on the hook log stream within 10s of the token request")
	}
}
