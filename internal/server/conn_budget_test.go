package server

import (
	"bufio"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// budgetClock is the budget's injected clock: phases age when the test says.
type budgetClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *budgetClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *budgetClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// budgetServer serves /healthz and a never-ending /stream over a real TCP
// listener under a budget of max connections.
func budgetServer(t *testing.T, max int, grace time.Duration) (*connBudget, *budgetClock, string) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clock := &budgetClock{t: time.Unix(1_700_000_000, 0)}
	b := newConnBudget(max, grace, slog.New(slog.DiscardHandler))
	b.now = clock.now
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "token")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}
	b.install(srv)
	go func() { _ = srv.Serve(b.listen(raw)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return b, clock, raw.Addr().String()
}

// dialFrom opens a connection from a loopback address of its own.
func dialFrom(t *testing.T, addr, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// slowRequest is a token request whose body never finishes.
func slowRequest(t *testing.T, addr, src string) net.Conn {
	t.Helper()
	c := dialFrom(t, addr, src)
	if _, err := io.WriteString(c, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	return c
}

// closedByServer reports whether the server closed c (EOF or reset) rather
// than leaving it open.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	ne, ok := err.(net.Error)
	return !(ok && ne.Timeout())
}

func waitOpen(t *testing.T, b *connBudget, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("open connections %d, want %d", b.Open(), want)
		}
		time.Sleep(2 * time.Millisecond) // polling for the server's accept
	}
}

func get(t *testing.T, addr, src, path string) string {
	t.Helper()
	c := dialFrom(t, addr, src)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

// TestConnBudgetShedsStaleAboveHighWater: slow requests from three
// addresses fill the budget past its high-water mark; once they are older
// than the grace, the next connection sheds them all and is answered,
// while a log stream (its request in, its handler answering) is kept.
func TestConnBudgetShedsStaleAboveHighWater(t *testing.T) {
	t.Parallel()
	b, clock, addr := budgetServer(t, 8, time.Second) // high-water 6
	stream := dialFrom(t, addr, "127.0.0.5")
	if _, err := io.WriteString(stream, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := http.ReadResponse(bufio.NewReader(stream), nil); err != nil {
		t.Fatal(err)
	}
	var slow []net.Conn
	for i := range 6 {
		slow = append(slow, slowRequest(t, addr, []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}[i%3]))
	}
	waitOpen(t, b, 7)
	clock.advance(2 * time.Second)
	if got := get(t, addr, "127.0.0.1", "/healthz"); got != "ok" {
		t.Fatalf("healthz: %q", got)
	}
	for i, c := range slow {
		if !closedByServer(c) {
			t.Fatalf("slow connection %d was not shed", i)
		}
	}
	if n := b.shed.Load(); n != 6 {
		t.Fatalf("shed %d, want 6", n)
	}
	// The stream is still counted and still open.
	waitOpen(t, b, 1)
	_ = stream.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := stream.Read(make([]byte, 1)); err == nil || !err.(net.Error).Timeout() {
		t.Fatalf("the log stream was closed: %v", err)
	}
}

// TestConnBudgetFullShedsOldest: at the budget itself, with no connection
// past the grace yet, a new client still gets in: the connections that
// have been sending their request the longest make room, and a fresh
// request with its body in is answered.
func TestConnBudgetFullShedsOldest(t *testing.T) {
	t.Parallel()
	b, clock, addr := budgetServer(t, 4, time.Minute) // high-water 3, batch 1
	var slow []net.Conn
	for i := range 4 {
		slow = append(slow, slowRequest(t, addr, []string{"127.0.0.2", "127.0.0.3"}[i%2]))
		waitOpen(t, b, i+1)
		clock.advance(time.Millisecond)
	}
	c := dialFrom(t, addr, "127.0.0.1")
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("token on a full budget: %v", err)
	}
	if body, _ := io.ReadAll(res.Body); string(body) != "token" {
		t.Fatalf("token: %q", body)
	}
	if !closedByServer(slow[0]) {
		t.Fatal("the oldest slow connection was not shed")
	}
	if n := b.shed.Load(); n != 1 {
		t.Fatalf("shed %d, want 1 (the oldest)", n)
	}
	if b.refused.Load() != 0 {
		t.Fatalf("refused %d", b.refused.Load())
	}
}

// TestConnBudgetRefusesWhenAllAreAnswered: when every connection's request
// is in and being answered, nothing is shed and a new connection is
// closed as it is accepted.
func TestConnBudgetRefusesWhenAllAreAnswered(t *testing.T) {
	t.Parallel()
	b, clock, addr := budgetServer(t, 2, time.Second)
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		s := dialFrom(t, addr, src)
		if _, err := io.WriteString(s, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := http.ReadResponse(bufio.NewReader(s), nil); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(time.Minute)
	if c := dialFrom(t, addr, "127.0.0.4"); !closedByServer(c) {
		t.Fatal("a connection past a budget of streams was kept")
	}
	if b.refused.Load() != 1 || b.shed.Load() != 0 || b.Open() != 2 {
		t.Fatalf("refused %d shed %d open %d, want 1 0 2", b.refused.Load(), b.shed.Load(), b.Open())
	}
}

func TestConnBudgetForFileLimit(t *testing.T) {
	t.Parallel()
	for limit, want := range map[uint64]int{0: defaultMaxConns, 100: 50, 256: 128, 1024: 896, 65536: 57344, 1 << 40: maxDerivedConns - maxDerivedConns/8} {
		if got := connBudgetFor(limit); got != want {
			t.Errorf("connBudgetFor(%d) = %d, want %d", limit, got, want)
		}
	}
}

// TestBudgetConnFoundUnderWrappers: what net/http holds on the plain
// listener (cannedErrors over the budget) and on TLS leads back to the
// counted connection, or its phases would never leave "reading" and a log
// stream would be shed like a slow client.
func TestBudgetConnFoundUnderWrappers(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	bc := &budgetConn{Conn: a}
	for name, c := range map[string]net.Conn{
		"plain":   &cannedErrorConn{Conn: bc},
		"tls":     tls.Server(bc, &tls.Config{}),
		"counted": &cannedErrorConn{Conn: &countedConn{Conn: bc}},
	} {
		if got := budgetConnOf(c); got != bc {
			t.Errorf("%s: budgetConnOf = %v", name, got)
		}
	}
}
