package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies decides who the client of a request is. Behind reverse proxies
// the connection's address is the last proxy's; the client is in the
// forwarding header each proxy appends to. Only peers listed in
// --trusted-proxies are believed, and the header is read from the right:
// the right-most address that is not a trusted proxy is the client, since
// everything to its left was written by that client and can be forged.
type proxies struct {
	trusted []netip.Prefix
	// header is "X-Forwarded-For" or "Forwarded" (RFC 7239): only the one
	// the proxies append to, or a client could forge the other.
	header string
}

func (p *proxies) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p.trusted {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// remoteAddr parses an http.Request.RemoteAddr or net.Addr string.
func remoteAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	return a.Unmap(), err == nil
}

// client returns the client's address of r, or false to keep RemoteAddr.
func (p *proxies) client(r *http.Request) (netip.Addr, bool) {
	peer, ok := remoteAddr(r.RemoteAddr)
	if !ok || !p.isTrusted(peer) {
		return netip.Addr{}, false
	}
	var hops []string
	if p.header == "Forwarded" {
		hops = forwardedFor(r.Header.Values("Forwarded"))
	} else {
		for _, v := range r.Header.Values("X-Forwarded-For") {
			hops = append(hops, strings.Split(v, ",")...)
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := hopAddr(hops[i])
		if !ok {
			// Garbage (or an obfuscated RFC 7239 identifier) where an
			// address should be: the last address known is the nearest
			// proxy's, which is all that can be believed.
			break
		}
		client = a
		if !p.isTrusted(a) {
			break
		}
	}
	return client, client != peer
}

// forwardedFor lists the for= parameters of Forwarded header values in
// order (RFC 7239 §4: elements separated by ",", pairs by ";").
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					out = append(out, val)
				}
			}
		}
	}
	return out
}

// hopAddr parses one hop: "1.2.3.4", "1.2.3.4:80", "2001:db8::1",
// "[2001:db8::1]:80", optionally quoted as Forwarded writes IPv6.
func hopAddr(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap(), true
		}
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// forwardedClient makes RemoteAddr the client's address when a trusted
// proxy forwarded the request, so the brute-force lockout, the dashboard's
// sign-in throttle, sessions and log events all see the real client
// without each reading headers. The port is unknown, hence 0.
func (s *Server) forwardedClient(next http.Handler) http.Handler {
	if len(s.proxies.trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := s.proxies.client(r); ok {
			r2 := *r
			r2.RemoteAddr = netip.AddrPortFrom(a, 0).String()
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}
