package egress

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	def := Default()
	allowLoop, err := New([]string{"127.0.0.0/8", "internal.example.com", "*.corp.example"}, []string{"127.0.0.2", "evil.example.com", "8.8.8.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		p      *Policy
		host   string
		ip     string
		denied string // "" = allowed, else a substring of the rule
	}{
		{"public v4", def, "example.com", "93.184.216.34", ""},
		{"public v6", def, "", "2606:2800:220:1:248:1893:25c8:1946", ""},
		{"loopback", def, "", "127.0.0.1", "loopback"},
		{"loopback other", def, "", "127.8.9.10", "loopback"},
		{"loopback v6", def, "", "::1", "loopback"},
		{"name resolving to loopback", def, "localtest.me", "127.0.0.1", "loopback"},
		{"rfc1918 10", def, "", "10.1.2.3", "RFC 1918"},
		{"rfc1918 172", def, "", "172.31.255.255", "RFC 1918"},
		{"not rfc1918 172.32", def, "", "172.32.0.1", ""},
		{"rfc1918 192.168", def, "", "192.168.0.1", "RFC 1918"},
		{"ula", def, "", "fd12:3456::1", "ULA"},
		{"link-local", def, "", "169.254.1.1", "link-local"},
		{"metadata", def, "", "169.254.169.254", "metadata"},
		{"link-local v6", def, "", "fe80::1", "link-local"},
		{"unspecified", def, "", "0.0.0.0", "unspecified"},
		{"unspecified v6", def, "", "::", "unspecified"},
		{"multicast", def, "", "224.0.0.1", "multicast"},
		{"multicast v6", def, "", "ff02::1", "multicast"},
		{"cgnat", def, "", "100.64.0.1", "CGNAT"},
		{"broadcast", def, "", "255.255.255.255", "reserved"},
		{"mapped loopback", def, "", "::ffff:127.0.0.1", "loopback"},
		{"mapped metadata", def, "", "::ffff:169.254.169.254", "metadata"},
		{"mapped public", def, "", "::ffff:93.184.216.34", ""},
		{"nat64 private", def, "", "64:ff9b::10.0.0.1", "RFC 1918"},
		{"nat64 public", def, "", "64:ff9b::93.184.216.34", ""},
		{"v4-compatible", def, "", "::127.0.0.1", "IPv4-compatible"},
		{"zone", def, "", "fe80::1%eth0", "link-local"},
		{"allow cidr", allowLoop, "", "127.0.0.1", ""},
		{"allow cidr mapped", allowLoop, "", "::ffff:127.0.0.1", ""},
		{"deny overrides allow", allowLoop, "", "127.0.0.2", "--hook-egress-deny 127.0.0.2/32"},
		{"allow host", allowLoop, "internal.example.com", "10.0.0.5", ""},
		{"allow host case and dot", allowLoop, "Internal.Example.COM.", "10.0.0.5", ""},
		{"allow host not sub", allowLoop, "x.internal.example.com", "10.0.0.5", "RFC 1918"},
		{"allow wildcard", allowLoop, "a.b.corp.example", "10.0.0.5", ""},
		{"wildcard not apex", allowLoop, "corp.example", "10.0.0.5", "RFC 1918"},
		{"deny host", allowLoop, "evil.example.com", "93.184.216.34", "--hook-egress-deny evil.example.com"},
		{"deny public cidr", allowLoop, "", "8.8.8.8", "--hook-egress-deny 8.8.8.0/24"},
		{"still denies others", allowLoop, "", "192.168.1.1", "RFC 1918"},
		{"invalid", def, "x", "", "no address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ip netip.Addr
			if tt.ip != "" {
				ip = netip.MustParseAddr(tt.ip)
			}
			err := tt.p.Check(tt.host, ip)
			if tt.denied == "" {
				if err != nil {
					t.Fatalf("Check(%q, %s) = %v, want allowed", tt.host, tt.ip, err)
				}
				return
			}
			de, ok := IsDenied(err)
			if !ok {
				t.Fatalf("Check(%q, %s) = %v, want *DeniedError", tt.host, tt.ip, err)
			}
			if !strings.Contains(de.Rule, tt.denied) || !strings.Contains(err.Error(), "egress policy") {
				t.Fatalf("error %q, want rule containing %q", err, tt.denied)
			}
		})
	}
}

func TestNewRejectsBadEntries(t *testing.T) {
	for _, e := range []string{"10.0.0.0/33", "not a host", "a..b", "http://x.com", "1.2.3.4/x"} {
		if _, err := New([]string{e}, nil); err == nil || !strings.Contains(err.Error(), "--hook-egress-allow") {
			t.Errorf("New(allow %q) = %v, want an error naming the flag", e, err)
		}
		if _, err := New(nil, []string{e}); err == nil || !strings.Contains(err.Error(), "--hook-egress-deny") {
			t.Errorf("New(deny %q) = %v, want an error naming the flag", e, err)
		}
	}
	if _, err := New([]string{" 127.0.0.0/8 ", "", "[::1]", "::ffff:10.0.0.0/104"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	p, err := New([]string{"127.0.0.0/8", "*.corp.example", "api.example.com", "::ffff:10.0.0.0/104"}, []string{"127.0.0.9"})
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(p.Spec(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s["defaultDeny"].([]any)) != len(DefaultDeny) {
		t.Fatalf("spec misses the default list: %s", p.Spec())
	}
	q, err := FromSpec(p.Spec())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ host, ip string }{
		{"", "127.0.0.1"}, {"", "127.0.0.9"}, {"x.corp.example", "10.1.1.1"}, {"api.example.com", "192.168.0.1"},
		{"", "10.0.0.1"}, {"", "10.1.0.1"}, {"", "169.254.169.254"}, {"", "93.184.216.34"},
	} {
		a, b := p.Check(c.host, netip.MustParseAddr(c.ip)), q.Check(c.host, netip.MustParseAddr(c.ip))
		if (a == nil) != (b == nil) {
			t.Errorf("%s %s: original %v, rebuilt %v", c.host, c.ip, a, b)
		}
	}
	if _, err := FromSpec([]byte("{")); err == nil {
		t.Fatal("FromSpec accepted bad JSON")
	}
}

// TestDialContext connects through real sockets: a loopback server is
// refused by the default policy, by name and by address, and reached when
// loopback is allowed; an HTTP redirect to a refused address fails at the hop.
func TestDialContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	for _, addr := range []string{"127.0.0.1:" + port, "localhost:" + port} {
		_, err := Default().DialContext(context.Background(), "tcp", addr)
		if _, ok := IsDenied(err); !ok {
			t.Fatalf("dial %s with the default policy: %v, want a refusal", addr, err)
		}
	}
	allow, _ := New([]string{"127.0.0.0/8", "::1"}, nil)
	c, err := allow.DialContext(context.Background(), "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("dial with loopback allowed: %v", err)
	}
	c.Close()

	// A public-looking first hop is simulated by allowing only 127.0.0.1 by
	// name-free address and redirecting to 127.0.0.2, which deny refuses.
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.2:"+port+"/", http.StatusFound)
	}))
	defer redir.Close()
	p, _ := New([]string{"127.0.0.0/8"}, []string{"127.0.0.2"})
	client := &http.Client{Transport: &http.Transport{DialContext: p.DialContext}}
	_, err = client.Get(redir.URL)
	if de, ok := IsDenied(err); !ok || de.Addr != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("redirect to a denied address: %v, want a refusal of 127.0.0.2", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal("unexpected cancel")
	}
}
