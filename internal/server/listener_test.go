package server

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestConnKeyGroupsIPv6By64(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"192.0.2.1":               "192.0.2.1",
		"2001:db8:1:2:aaaa::1":    "2001:db8:1:2::",
		"2001:db8:1:2:ffff::9999": "2001:db8:1:2::",
		"2001:db8:1:3::1":         "2001:db8:1:3::",
	}
	for in, want := range cases {
		if got := connKey(netip.MustParseAddr(in)); got != netip.MustParseAddr(want) {
			t.Errorf("connKey(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestPerIPListenerReleasesSlots: over a real TCP listener, connections
// past the cap are closed at once, and a closed connection gives its slot
// back.
func TestPerIPListenerReleasesSlots(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitPerIP(raw, 2, func(netip.Addr) bool { return false }, slog.New(slog.DiscardHandler))
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	a1, a2 := <-accepted, <-accepted
	third := dial()
	// The third is refused: the server side closes it, the client reads EOF.
	_ = third.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("third connection: %v, want EOF", err)
	}
	a1.Close()
	a1.Close() // a second Close must not free a second slot
	dial()
	if c := <-accepted; c == nil {
		t.Fatal("a freed slot was not reused")
	}
	fifth := dial()
	_ = fifth.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := fifth.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("past the cap again: %v, want EOF", err)
	}
	_ = a2
}
