package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestForwardedClient(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	cases := []struct {
		name, header, remote string
		values               []string
		want                 string // "" = RemoteAddr kept
	}{
		{"untrusted peer: header ignored", "X-Forwarded-For", "203.0.113.9:5000", []string{"198.51.100.1"}, ""},
		{"trusted peer, one hop", "X-Forwarded-For", "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted wins over a forged left part", "X-Forwarded-For", "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.1, 10.0.0.3"}, "198.51.100.1"},
		{"several header lines read in order", "X-Forwarded-For", "10.0.0.2:5000", []string{"1.1.1.1", "198.51.100.7"}, "198.51.100.7"},
		{"garbage stops at the nearest proxy", "X-Forwarded-For", "10.0.0.2:5000", []string{"198.51.100.1, nonsense, 10.0.0.3"}, "10.0.0.3"},
		{"all trusted: the left-most", "X-Forwarded-For", "10.0.0.2:5000", []string{"10.0.0.5, 10.0.0.3"}, "10.0.0.5"},
		{"no header", "X-Forwarded-For", "10.0.0.2:5000", nil, ""},
		{"Forwarded ignored when X-Forwarded-For is configured", "X-Forwarded-For", "10.0.0.2:5000", nil, ""},
		{"Forwarded", "Forwarded", "10.0.0.2:5000", []string{`for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https, for=198.51.100.2:80;by=10.0.0.2`}, "198.51.100.2"},
		{"Forwarded IPv6 client", "Forwarded", "[2001:db8::1]:443", []string{`for="[2001:db9::5]"`}, "2001:db9::5"},
		{"Forwarded obfuscated", "Forwarded", "10.0.0.2:5000", []string{`for=_hidden`}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &proxies{trusted: trusted, header: c.header}
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.values {
				r.Header.Add(c.header, v)
			}
			if c.name == "Forwarded ignored when X-Forwarded-For is configured" {
				r.Header.Add("Forwarded", "for=198.51.100.1")
			}
			got, ok := p.client(r)
			if c.want == "" {
				if ok {
					t.Fatalf("client %v, want RemoteAddr kept", got)
				}
				return
			}
			if !ok || got != netip.MustParseAddr(c.want) {
				t.Fatalf("client %v (%v), want %s", got, ok, c.want)
			}
		})
	}
}
