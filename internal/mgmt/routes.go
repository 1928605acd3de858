package mgmt

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenhook/tokenhook/internal/token"
)

// handlerFunc is what a route runs once the caller is authenticated and
// authorized. It writes a success itself and returns failures, which serve
// writes in Auth0's error shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request, caller token.Claims) error

type route struct {
	method string
	path   string   // below /api/v2
	scopes []string // any one of them grants access
	handle handlerFunc
}

// anyOf lists the scopes that each grant access to a route.
func anyOf(s ...string) []string { return s }

// routes is the table of contents of the Management API: every route, its
// scopes (Auth0's, per its Management API v2 reference) and its handler.
func (a *API) routes() []route {
	return append(a.ownRoutes(), a.defaultRoutes()...)
}

// ownRoutes are the resources tokenhook implements.
func (a *API) ownRoutes() []route {
	return []route{
		{"GET", "/clients", anyOf(scopeReadClients, scopeReadClientKeys), a.listClients},
		{"POST", "/clients", anyOf(scopeCreateClients), a.createClient},
		{"GET", "/clients/{id}", anyOf(scopeReadClients, scopeReadClientKeys), a.getClient},
		{"PATCH", "/clients/{id}", anyOf(scopeUpdateClients, scopeUpdateClientKeys), a.updateClient},
		{"DELETE", "/clients/{id}", anyOf(scopeDeleteClients), a.deleteClient},
		{"POST", "/clients/{id}/rotate-secret", anyOf(scopeUpdateClientKeys), a.rotateClientSecret},

		{"GET", "/resource-servers", anyOf(scopeReadResourceServers), a.listResourceServers},
		{"POST", "/resource-servers", anyOf(scopeCreateResourceServers), a.createResourceServer},
		{"GET", "/resource-servers/{id}", anyOf(scopeReadResourceServers), a.getResourceServer},
		{"PATCH", "/resource-servers/{id}", anyOf(scopeUpdateResourceServers), a.updateResourceServer},
		{"DELETE", "/resource-servers/{id}", anyOf(scopeDeleteResourceServers), a.deleteResourceServer},

		{"GET", "/client-grants", anyOf(scopeReadClientGrants), a.listClientGrants},
		{"POST", "/client-grants", anyOf(scopeCreateClientGrants), a.createClientGrant},
		{"GET", "/client-grants/{id}", anyOf(scopeReadClientGrants), a.getClientGrant},
		{"PATCH", "/client-grants/{id}", anyOf(scopeUpdateClientGrants), a.updateClientGrant},
		{"DELETE", "/client-grants/{id}", anyOf(scopeDeleteClientGrants), a.deleteClientGrant},

		{"GET", "/keys/signing", anyOf(scopeReadSigningKeys), a.listSigningKeys},
		{"POST", "/keys/signing/rotate", anyOf(scopeCreateSigningKeys, scopeUpdateSigningKeys), a.rotateSigningKeys},
		{"GET", "/keys/signing/{kid}", anyOf(scopeReadSigningKeys), a.getSigningKey},
		{"PUT", "/keys/signing/{kid}/revoke", anyOf(scopeUpdateSigningKeys), a.revokeSigningKey},

		{"GET", "/logs", anyOf(scopeReadLogs, scopeReadLogsUsers), a.listLogs},
		{"GET", "/logs/{id}", anyOf(scopeReadLogs, scopeReadLogsUsers), a.getLog},
		// The statistics come from the log and the users: read:logs reads
		// them too, for tokens issued before read:stats existed here.
		{"GET", "/stats/active-users", anyOf(scopeReadStats, scopeReadLogs), a.activeUsers},
		{"GET", "/stats/daily", anyOf(scopeReadStats, scopeReadLogs), a.dailyStats},

		{"GET", "/users", anyOf(scopeReadUsers), a.listUsers},
		{"POST", "/users", anyOf(scopeCreateUsers), a.createUser},
		{"GET", "/users/{id}", anyOf(scopeReadUsers), a.getUser},
		{"PATCH", "/users/{id}", anyOf(scopeUpdateUsers, scopeUpdateUsersAppMetadata), a.updateUser},
		{"DELETE", "/users/{id}", anyOf(scopeDeleteUsers), a.deleteUser},
		{"GET", "/users/{id}/logs", anyOf(scopeReadLogs, scopeReadLogsUsers), a.listUserLogs},
		{"GET", "/users-by-email", anyOf(scopeReadUsers), a.usersByEmail},
		{"GET", "/user-blocks", anyOf(scopeReadUsers), a.listUserBlocks(true)},
		{"DELETE", "/user-blocks", anyOf(scopeUpdateUsers), a.deleteUserBlocks(true)},
		{"GET", "/user-blocks/{id}", anyOf(scopeReadUsers), a.listUserBlocks(false)},
		{"DELETE", "/user-blocks/{id}", anyOf(scopeUpdateUsers), a.deleteUserBlocks(false)},
		{"POST", "/tickets/password-change", anyOf(scopeCreateUserTickets), a.createPasswordTicket},
		{"POST", "/tickets/email-verification", anyOf(scopeCreateUserTickets), a.refuseEmailVerification("email verification tickets")},
		{"POST", "/jobs/verification-email", anyOf(scopeUpdateUsers), a.refuseEmailVerification("verification emails")},

		{"GET", "/hooks", anyOf(scopeReadHooks), a.listHooks},
		{"POST", "/hooks", anyOf(scopeCreateHooks), a.createHook},
		{"GET", "/hooks/{id}", anyOf(scopeReadHooks), a.getHook},
		{"PATCH", "/hooks/{id}", anyOf(scopeUpdateHooks), a.updateHook},
		{"DELETE", "/hooks/{id}", anyOf(scopeDeleteHooks), a.deleteHook},
		{"GET", "/hooks/{id}/secrets", anyOf(scopeReadHooks), a.getHookSecrets},
		{"GET", "/hooks/{id}/secrets/unset", anyOf(scopeReadHooks), a.getUnsetHookSecrets},
		{"POST", "/hooks/{id}/secrets", anyOf(scopeCreateHooks, scopeUpdateHooks), a.addHookSecrets},
		{"PATCH", "/hooks/{id}/secrets", anyOf(scopeUpdateHooks), a.updateHookSecrets},
		{"DELETE", "/hooks/{id}/secrets", anyOf(scopeDeleteHooks), a.deleteHookSecrets},
		// Beyond Auth0: the runner without saving, and the live logs.
		// Running code is an editing act: unsaved code needs the right to
		// create or change hooks, saved code (with its stored secrets) the
		// right to change it.
		{"POST", "/hooks/run", anyOf(scopeCreateHooks, scopeUpdateHooks), a.runUnsavedHook},
		{"POST", "/hooks/{id}/run", anyOf(scopeUpdateHooks), a.runSavedHook},
		{"GET", "/hooks/logs/stream", anyOf(scopeReadHooks), a.streamHookLogs},
		{"GET", "/hooks/extensibility-points", anyOf(scopeReadHooks), a.listExtensibilityPoints},
		{"GET", "/hooks/{id}/logs", anyOf(scopeReadHooks), a.recentHookLogs},

		{"GET", "/connections", anyOf(scopeReadConnections), a.listConnections},
		{"POST", "/connections", anyOf("create:connections", scopeUpdateConnections), a.createConnection},
		{"GET", "/connections/{id}", anyOf(scopeReadConnections), a.getConnection},
		{"PATCH", "/connections/{id}", anyOf(scopeUpdateConnections), a.updateConnection},
		{"GET", "/connections/{id}/clients", anyOf(scopeReadConnections), a.listConnectionClients},
		{"PATCH", "/connections/{id}/clients", anyOf(scopeUpdateConnections), a.updateConnectionClients},

		{"GET", "/actions/actions", anyOf(scopeReadActions), a.listActions},
		{"POST", "/actions/actions", anyOf(scopeCreateActions), a.createAction},
		{"GET", "/actions/actions/{id}", anyOf(scopeReadActions), a.getAction},
		{"PATCH", "/actions/actions/{id}", anyOf(scopeUpdateActions), a.updateAction},
		{"DELETE", "/actions/actions/{id}", anyOf(scopeDeleteActions), a.deleteAction},
		{"POST", "/actions/actions/{id}/deploy", anyOf(scopeCreateActions), a.deployAction},
		{"POST", "/actions/actions/{id}/test", anyOf(scopeCreateActions), a.testAction},
		{"GET", "/actions/actions/{id}/versions", anyOf(scopeReadActions), a.listActionVersions},
		{"GET", "/actions/actions/{id}/versions/{versionId}", anyOf(scopeReadActions), a.getActionVersion},
		{"POST", "/actions/actions/{id}/versions/{versionId}/deploy", anyOf(scopeCreateActions), a.deployActionVersion},
		{"GET", "/actions/triggers", anyOf(scopeReadActions), a.listActionTriggers},
		{"GET", "/actions/triggers/{triggerId}/bindings", anyOf(scopeReadActions), a.listActionBindings},
		{"PATCH", "/actions/triggers/{triggerId}/bindings", anyOf(scopeUpdateActions), a.updateActionBindings},
		{"GET", "/actions/executions/{id}", anyOf(scopeReadActions), a.getActionExecution},

		{"GET", "/tenants/settings", anyOf(scopeReadTenantSettings), a.getTenantSettings},
		{"PATCH", "/tenants/settings", anyOf(scopeUpdateTenantSettings), a.updateTenantSettings},
	}
}

const prefix = "/api/v2"

// buildMux registers every route, a 405 for known paths with an unknown
// method and a 404 for the rest, all in Auth0's error shape (the stock
// ServeMux answers those in plain text).
func (a *API) buildMux() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+prefix+rt.path, a.serve(rt))
		if _, ok := allowed[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for _, p := range paths {
		methods := allowed[p]
		if slices.Contains(methods, "GET") {
			methods = append(methods, "HEAD")
		}
		allow := strings.Join(methods, ", ")
		// Method-less fallbacks would conflict with sibling patterns
		// ("/keys/signing/rotate" vs "GET /keys/signing/{kid}"), so each
		// other method gets its own 405 pattern.
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(methods, m) {
				continue
			}
			mux.HandleFunc(m+" "+prefix+p, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", allow)
				writeError(w, newError(http.StatusMethodNotAllowed, codeMethodNotAllowed, "Method Not Allowed"))
			})
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, codeNotFound, "Not Found"))
	})
	return mux
}

// serve runs the fixed pipeline of every route: authenticate → authorize →
// handle → write the error if any. Panics become a logged 500 so one bad
// request cannot take the process down or leak a stack trace.
func (a *API) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.d.Logger.Error("mgmt: panic", "method", r.Method, "path", r.URL.Path, "panic", p)
				writeError(w, nil)
			}
		}()
		err := func() error {
			caller, err := a.authenticate(w, r)
			if err != nil {
				return err
			}
			if err := authorize(caller, rt.scopes); err != nil {
				return err
			}
			if err := textOnly(r); err != nil {
				return err
			}
			return rt.handle(w, r, caller)
		}()
		if err == nil {
			return
		}
		if e := (*apiError)(nil); !errors.As(err, &e) {
			a.d.Logger.Error("mgmt: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeError(w, err)
	})
}

// textOnly refuses a path or query string that decodes to invalid UTF-8
// or NUL, before any handler passes it to storage: no stored key can hold
// such bytes, and PostgreSQL answers them with an error rather than "no
// row". A path is a 404 (no such resource), a query a 400.
func textOnly(r *http.Request) error {
	if !storable(r.URL.Path) {
		return newError(http.StatusNotFound, codeNotFound, "Not Found")
	}
	for k, vs := range r.URL.Query() {
		if !storable(k) {
			return errQuery("Query parameter names must be valid UTF-8 without NUL characters")
		}
		for _, v := range vs {
			if !storable(v) {
				return errQuery("%s must be valid UTF-8 without NUL characters", k)
			}
		}
	}
	return nil
}
