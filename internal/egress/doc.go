// Package egress is the outbound network policy of hook code: which
// destinations a hook's fetch (embedded engine) or http/https/net (Node
// runtime) may connect to. By default only public addresses are reachable;
// loopback, private (RFC 1918, ULA), link-local (with the cloud metadata
// address 169.254.169.254), CGNAT, unspecified, multicast and reserved
// addresses are refused, also in their IPv4-mapped and NAT64 forms. The
// operator widens it with --hook-egress-allow and narrows it with
// --hook-egress-deny (CIDRs or host names).
//
// The policy is checked on the address actually connected to, after DNS
// resolution and at connect time (Policy.DialContext), so a name that
// resolves to 127.0.0.1 or a redirect to a private address is refused as
// well as a literal one. Worker processes rebuild the same policy from
// Policy.Spec, which the Node runner also reads.
package egress
