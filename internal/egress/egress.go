package egress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// Rule is one named CIDR of the default deny list.
type Rule struct {
	Prefix netip.Prefix
	Name   string
}

// DefaultDeny is what a hook may not reach unless an allow entry says so.
// Order matters only for the name an error gives.
var DefaultDeny = []Rule{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("fc00::/7"), "private (ULA)"},
	{netip.MustParsePrefix("169.254.169.254/32"), "cloud metadata"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6"},
}

// embeddings are IPv6 prefixes whose addresses carry an IPv4 address in
// their last 32 bits and reach it through a translator: the address is also
// checked as that IPv4 address. (IPv4-mapped ::ffff:0:0/96 is unmapped first.)
var embeddings = []netip.Prefix{
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 well-known prefix
	netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64 local-use prefix
}

// Policy decides which destinations hook code may connect to. The zero
// value is not usable; build one with New or Default. A Policy is immutable
// and safe for concurrent use.
type Policy struct {
	allowNets, denyNets   []netip.Prefix
	allowHosts, denyHosts []string // lower case; a leading "." matches subdomains
}

// DeniedError is a refused destination; Rule names what refused it.
type DeniedError struct {
	Host string     // the name asked for ("" when an address was given)
	Addr netip.Addr // the address connected to
	Rule string
}

func (e *DeniedError) Error() string {
	dest := e.Addr.String()
	if e.Host != "" && e.Host != dest {
		dest = e.Host + " (" + dest + ")"
	}
	return "connection to " + dest + " refused by the hook egress policy: " + e.Rule
}

// Default is the policy without allow or deny entries.
func Default() *Policy { return &Policy{} }

// New builds a policy. Each entry is a CIDR ("10.1.0.0/16"), an address
// ("10.1.2.3"), a host name ("api.example.com") or a domain with its
// subdomains ("*.example.com" or ".example.com"). Allow entries override the
// default deny list; deny entries override allow entries.
func New(allow, deny []string) (*Policy, error) {
	p := &Policy{}
	var err error
	if p.allowNets, p.allowHosts, err = parseEntries(allow, "--hook-egress-allow"); err != nil {
		return nil, err
	}
	if p.denyNets, p.denyHosts, err = parseEntries(deny, "--hook-egress-deny"); err != nil {
		return nil, err
	}
	return p, nil
}

func parseEntries(entries []string, flag string) (nets []netip.Prefix, hosts []string, err error) {
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			pfx, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %q is not a CIDR: %v", flag, e, err)
			}
			pfx = unmapPrefix(pfx.Masked())
			nets = append(nets, pfx)
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			a = a.Unmap().WithZone("")
			nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		h := strings.TrimSuffix(strings.ToLower(e), ".")
		h = strings.TrimPrefix(h, "*")
		if !validHost(strings.TrimPrefix(h, ".")) {
			return nil, nil, fmt.Errorf("%s: %q is neither a CIDR, an address nor a host name", flag, e)
		}
		hosts = append(hosts, h)
	}
	return nets, hosts, nil
}

// unmapPrefix turns ::ffff:a.b.c.d/n (n ≥ 96) into a.b.c.d/(n-96), because
// addresses are unmapped before they are matched.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func matchHost(entries []string, host string) (string, bool) {
	if host == "" {
		return "", false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, e := range entries {
		if e == host || (e[0] == '.' && strings.HasSuffix(host, e)) {
			return e, true
		}
	}
	return "", false
}

func matchNet(nets []netip.Prefix, addrs []netip.Addr) (netip.Prefix, bool) {
	for _, n := range nets {
		for _, a := range addrs {
			if n.Contains(a) {
				return n, true
			}
		}
	}
	return netip.Prefix{}, false
}

// forms is the address as matched: unmapped, without zone, plus the IPv4
// address a NAT64 form reaches.
func forms(ip netip.Addr) []netip.Addr {
	ip = ip.Unmap().WithZone("")
	out := []netip.Addr{ip}
	if ip.Is6() {
		for _, e := range embeddings {
			if e.Contains(ip) {
				b := ip.As16()
				out = append(out, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
			}
		}
	}
	return out
}

// Check decides whether hook code may connect to ip, reached by the name
// host ("" or the address itself when none). It returns nil or a
// *DeniedError naming the rule.
func (p *Policy) Check(host string, ip netip.Addr) error {
	if !ip.IsValid() {
		return &DeniedError{Host: host, Rule: "no address"}
	}
	addrs := forms(ip)
	deny := func(rule string) error { return &DeniedError{Host: host, Addr: addrs[0], Rule: rule} }
	if e, ok := matchHost(p.denyHosts, host); ok {
		return deny("--hook-egress-deny " + strings.TrimPrefix(e, "."))
	}
	if n, ok := matchNet(p.denyNets, addrs); ok {
		return deny("--hook-egress-deny " + n.String())
	}
	if _, ok := matchHost(p.allowHosts, host); ok {
		return nil
	}
	if _, ok := matchNet(p.allowNets, addrs); ok {
		return nil
	}
	for _, r := range DefaultDeny {
		for _, a := range addrs {
			if r.Prefix.Contains(a) {
				return deny(r.Name + " addresses are not allowed (--hook-egress-allow adds destinations)")
			}
		}
	}
	return nil
}

// DialContext dials like net.Dialer.DialContext, checking every address it
// connects to (after resolution, at connect time) against the policy, so a
// name resolving to a refused address fails too. Use it as an
// http.Transport's DialContext.
func (p *Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	host = strings.Trim(host, "[]")
	d := net.Dialer{Control: func(_, addr string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return fmt.Errorf("egress: unexpected address %q", addr)
		}
		return p.Check(host, ap.Addr())
	}}
	return d.DialContext(ctx, network, address)
}

// IsDenied reports whether err (from DialContext or an HTTP client using it)
// is a refusal by the policy, and returns it.
func IsDenied(err error) (*DeniedError, bool) {
	var de *DeniedError
	ok := errors.As(err, &de)
	return de, ok
}

// spec is the JSON form of a policy. The default deny list travels with it
// so that a runner in another language needs no copy of it; addresses are
// matched after unmapping IPv4-mapped forms and also as the IPv4 address a
// NAT64 (64:ff9b::/96, 64:ff9b:1::/48) address embeds.
type spec struct {
	Allow       []string   `json:"allow"`
	Deny        []string   `json:"deny"`
	DefaultDeny []specRule `json:"defaultDeny"`
	Embeddings  []string   `json:"ipv4Embeddings"`
}

type specRule struct {
	CIDR string `json:"cidr"`
	Name string `json:"name"`
}

// Spec is the policy as JSON, from which FromSpec (a goja worker) or the
// Node runner rebuilds the same policy: {"allow": [...], "deny": [...],
// "defaultDeny": [{"cidr", "name"}...], "ipv4Embeddings": [...]}. Host
// entries that match subdomains start with ".".
func (p *Policy) Spec() []byte {
	s := spec{Allow: []string{}, Deny: []string{}}
	for _, n := range p.allowNets {
		s.Allow = append(s.Allow, n.String())
	}
	s.Allow = append(s.Allow, p.allowHosts...)
	for _, n := range p.denyNets {
		s.Deny = append(s.Deny, n.String())
	}
	s.Deny = append(s.Deny, p.denyHosts...)
	for _, r := range DefaultDeny {
		s.DefaultDeny = append(s.DefaultDeny, specRule{r.Prefix.String(), r.Name})
	}
	for _, e := range embeddings {
		s.Embeddings = append(s.Embeddings, e.String())
	}
	b, _ := json.Marshal(s)
	return b
}

// FromSpec rebuilds the policy Spec described. The default deny list is
// this package's own, not the one in the JSON.
func FromSpec(b []byte) (*Policy, error) {
	var s spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("egress: bad policy spec: %w", err)
	}
	return New(s.Allow, s.Deny)
}
