package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tokenhook/tokenhook/internal/reset"
	"github.com/tokenhook/tokenhook/internal/signup"
)

// routes is the table of contents of the HTTP surface. The Management
// API's own routes are listed in internal/mgmt/routes.go.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", s.tokens)
	mux.Handle("/userinfo", s.userinfo)
	mux.Handle("/dbconnections/signup", s.signup)
	mux.HandleFunc("/dbconnections/change_password", signup.ChangePassword)
	// The page a password-change ticket links to.
	mux.Handle(reset.Path, s.reset)
	mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.Handle("/api/v2/", s.syncAfterWrite(s.mgmt.Handler()))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	// The dashboard: its single page, its content-hashed assets, its icon
	// and its JSON endpoints (sign-in, session, Try it); everything else it does
	// goes through /api/v2 with the session cookie.
	mux.HandleFunc("GET /{$}", s.dash.ServeIndex)
	mux.HandleFunc("GET /assets/", s.dash.ServeAsset)
	mux.HandleFunc("GET /favicon.ico", s.dash.ServeFavicon)
	mux.Handle("/dashboard/api/", s.syncAfterWrite(s.dash.APIHandler()))
	return s.recoverPanics(s.securityHeaders(s.limitHeaders(s.forwardedClient(mux))))
}
