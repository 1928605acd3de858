package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// perIPListener caps the connections open from one client address: a
// client holding many slow connections (slowloris) exhausts its own
// allowance, not the process's file descriptors. Connections past the cap
// are closed as soon as they are accepted. Trusted proxies are exempt:
// every client behind them shares their address.
type perIPListener struct {
	net.Listener
	max    int
	exempt func(netip.Addr) bool
	log    *slog.Logger

	mu       sync.Mutex
	open     map[netip.Addr]int
	lastWarn time.Time
}

func limitPerIP(ln net.Listener, max int, exempt func(netip.Addr) bool, log *slog.Logger) net.Listener {
	if max <= 0 {
		return ln
	}
	return &perIPListener{Listener: ln, max: max, exempt: exempt, log: log, open: map[netip.Addr]int{}}
}

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a, ok := remoteAddr(c.RemoteAddr().String())
		if !ok || l.exempt(a) {
			return c, nil
		}
		k := connKey(a)
		if l.admit(k) {
			return &countedConn{Conn: c, release: func() { l.release(k) }}, nil
		}
		_ = c.Close()
	}
}

// connKey is what the cap counts by: an IPv4 address, or an IPv6 /64,
// the smallest block a site is routed and which one host may draw any
// number of addresses from.
func connKey(a netip.Addr) netip.Addr {
	if a.Is4() {
		return a
	}
	return netip.PrefixFrom(a, 64).Masked().Addr()
}

func (l *perIPListener) admit(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a] >= l.max {
		// Once a minute at most: the refused client controls the rate.
		if now := time.Now(); now.Sub(l.lastWarn) >= time.Minute {
			l.lastWarn = now
			l.log.Warn("connection refused: too many open connections from one address", "ip", a.String(), "max_conns_per_ip", l.max)
		}
		return false
	}
	l.open[a]++
	return true
}

func (l *perIPListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

// countedConn gives its slot back once, on the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// NetConn is the connection it wraps (the connection budget looks for its
// own under it).
func (c *countedConn) NetConn() net.Conn { return c.Conn }

// CloseWrite lets net/http half-close after an error response, as it does
// on a bare TCP connection, so the client reads the answer before the
// connection goes.
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// cannedErrors rewrites the few answers net/http writes itself, before
// any handler runs (a header block past its hard limit, a malformed
// request line or Host), from plain text into the OAuth error shape every
// other answer of this server has. It works on plain HTTP only: under TLS
// net/http needs the *tls.Conn itself, so those rare answers stay text.
type cannedErrors struct{ net.Listener }

func (l cannedErrors) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &cannedErrorConn{Conn: c}, nil
}

type cannedErrorConn struct{ net.Conn }

// netHTTPErrorHeaders is what net/http puts between the status line and
// the body of its own error answers. Handler answers always carry a Date
// header and sort Connection before Content-Type, so they never match.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *cannedErrorConn) Write(p []byte) (int, error) {
	if out, ok := cannedToJSON(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// NetConn is the connection it wraps (the connection budget looks for its
// own under it).
func (c *cannedErrorConn) NetConn() net.Conn { return c.Conn }

func (c *cannedErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func cannedToJSON(p []byte) ([]byte, bool) {
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 4")) {
		return nil, false
	}
	i := bytes.Index(p, []byte(netHTTPErrorHeaders))
	if i < 0 || bytes.IndexByte(p[:i], '\n') >= 0 || i < len("HTTP/1.1 400") {
		return nil, false
	}
	status := string(p[len("HTTP/1.1 "):i])
	body, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": string(p[i+len(netHTTPErrorHeaders):])})
	return fmt.Appendf(nil, "HTTP/1.1 %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n%s",
		status, len(body), body), true
}
