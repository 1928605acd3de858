package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// hstsMaxAge is one year: browsers that once reached the server over TLS
// refuse plain HTTP to it for that long. Subdomains are not included; they
// may be other services.
const hstsMaxAge = "max-age=31536000"

// securityHeaders applies to every response.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		// RFC 6797 §7.2: sent over TLS only; a proxy that terminates TLS in
		// front of a plain-HTTP server sets its own.
		// Never under --dev: a browser would then refuse plain HTTP to
		// localhost for a year, on every port.
		if r.TLS != nil && !s.cfg.Dev {
			h.Set("Strict-Transport-Security", hstsMaxAge)
		}
		next.ServeHTTP(w, r)
	})
}

// headerBytes is what a request's header block took on the wire, near
// enough: the request line and every header line with its CRLF.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
}

// limitHeaders answers a request whose headers exceed --max-header-bytes
// with a 431 in the shape of the surface that was asked. net/http's own
// limit (set at twice this one, its hard memory bound) would answer in
// plain text; this one comes first for every request below that bound.
func (s *Server) limitHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerBytes(r) <= s.cfg.MaxHeaderBytes {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		writeFailure(w, r, http.StatusRequestHeaderFieldsTooLarge, "invalid_request",
			fmt.Sprintf("Request headers are too large (limit %d bytes)", s.cfg.MaxHeaderBytes))
	})
}

// writeFailure writes an error the handlers never saw, as the surface
// asked would: the Management API's and the dashboard's
// {statusCode, error, message}, or OAuth's {error, error_description}
// everywhere else.
func writeFailure(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	var body []byte
	if strings.HasPrefix(r.URL.Path, "/api/v2/") || strings.HasPrefix(r.URL.Path, "/dashboard/api/") {
		body, _ = json.Marshal(map[string]any{"statusCode": status, "error": http.StatusText(status), "message": message, "errorCode": code})
	} else {
		body, _ = json.Marshal(map[string]string{"error": code, "error_description": message})
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// recoverPanics turns a panic into a 500 in the shape of the surface that
// was asked, and logs it; the process keeps serving.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			s.log.Error("panic serving request", "path", r.URL.Path, "panic", v)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusInternalServerError)
			if strings.HasPrefix(r.URL.Path, "/api/v2/") {
				_, _ = w.Write([]byte(`{"statusCode":500,"error":"Internal Server Error","message":"Internal error","errorCode":"internal_error"}`))
				return
			}
			_, _ = w.Write([]byte(`{"error":"server_error","error_description":"Internal error"}`))
		}()
		next.ServeHTTP(w, r)
	})
}

// syncAfterWrite brings the catalog snapshot up to this process's own
// writes before the response leaves (net/http sends a small response only
// when the handler returns), so a client that creates a grant and then asks
// for a token sees its own write. Only a write that committed a catalog
// change costs anything: the cache applies just the records it changed. A
// read, a failed write or a write outside the catalog (users, logs, hook
// runs) finds nothing committed and returns at once. Other replicas learn
// through storage notifications.
func (s *Server) syncAfterWrite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return
		}
		if err := s.cache.Sync(r.Context()); err != nil {
			s.log.Error("catalog update after write failed", "err", err)
		}
	})
}
