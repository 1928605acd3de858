package mgmt

import (
	"github.com/tokenhook/tokenhook/internal/storage"
)

// SystemAPIName is the name of the system resource server, the Management
// API itself (Auth0's name for it).
const SystemAPIName = "Auth0 Management API"

// Management API scopes, named as Auth0 names them.
const (
	scopeReadClients      = "read:clients"
	scopeCreateClients    = "create:clients"
	scopeUpdateClients    = "update:clients"
	scopeDeleteClients    = "delete:clients"
	scopeReadClientKeys   = "read:client_keys"
	scopeUpdateClientKeys = "update:client_keys"

	scopeReadResourceServers   = "read:resource_servers"
	scopeCreateResourceServers = "create:resource_servers"
	scopeUpdateResourceServers = "update:resource_servers"
	scopeDeleteResourceServers = "delete:resource_servers"

	scopeReadClientGrants   = "read:client_grants"
	scopeCreateClientGrants = "create:client_grants"
	scopeUpdateClientGrants = "update:client_grants"
	scopeDeleteClientGrants = "delete:client_grants"

	scopeReadSigningKeys   = "read:signing_keys"
	scopeCreateSigningKeys = "create:signing_keys"
	scopeUpdateSigningKeys = "update:signing_keys"

	scopeReadLogs      = "read:logs"
	scopeReadLogsUsers = "read:logs_users"

	scopeReadTenantSettings   = "read:tenant_settings"
	scopeUpdateTenantSettings = "update:tenant_settings"

	// Hooks and users are served by files added later (hooks.go,
	// users.go); their scopes are defined now so the bootstrap grant and
	// the system API are complete from the first start.
	scopeReadHooks   = "read:hooks"
	scopeCreateHooks = "create:hooks"
	scopeUpdateHooks = "update:hooks"
	scopeDeleteHooks = "delete:hooks"

	scopeReadUsers              = "read:users"
	scopeCreateUsers            = "create:users"
	scopeUpdateUsers            = "update:users"
	scopeDeleteUsers            = "delete:users"
	scopeUpdateUsersAppMetadata = "update:users_app_metadata"
	scopeCreateUserTickets      = "create:user_tickets"

	scopeReadConnections   = "read:connections"
	scopeUpdateConnections = "update:connections"

	scopeReadActions   = "read:actions"
	scopeCreateActions = "create:actions"
	scopeUpdateActions = "update:actions"
	scopeDeleteActions = "delete:actions"
)

// scopeDescriptions is the system API's scope list, in the order Scopes
// returns it. Descriptions follow Auth0's.
var scopeDescriptions = []storage.Scope{
	{Value: scopeReadClients, Description: "Read Clients"},
	{Value: scopeCreateClients, Description: "Create Clients"},
	{Value: scopeUpdateClients, Description: "Update Clients"},
	{Value: scopeDeleteClients, Description: "Delete Clients"},
	{Value: scopeReadClientKeys, Description: "Read Client Keys"},
	{Value: scopeUpdateClientKeys, Description: "Update Client Keys"},
	{Value: scopeReadResourceServers, Description: "Read Resource Servers"},
	{Value: scopeCreateResourceServers, Description: "Create Resource Servers"},
	{Value: scopeUpdateResourceServers, Description: "Update Resource Servers"},
	{Value: scopeDeleteResourceServers, Description: "Delete Resource Servers"},
	{Value: scopeReadClientGrants, Description: "Read Client Grants"},
	{Value: scopeCreateClientGrants, Description: "Create Client Grants"},
	{Value: scopeUpdateClientGrants, Description: "Update Client Grants"},
	{Value: scopeDeleteClientGrants, Description: "Delete Client Grants"},
	{Value: scopeReadSigningKeys, Description: "Read Signing Keys"},
	{Value: scopeCreateSigningKeys, Description: "Create Signing Keys"},
	{Value: scopeUpdateSigningKeys, Description: "Update Signing Keys"},
	{Value: scopeReadLogs, Description: "Read Logs"},
	{Value: scopeReadLogsUsers, Description: "Read logs relating to users"},
	{Value: scopeReadStats, Description: "Read Stats"},
	{Value: scopeReadTenantSettings, Description: "Read Tenant Settings"},
	{Value: scopeUpdateTenantSettings, Description: "Update Tenant Settings"},
	{Value: scopeReadHooks, Description: "Read Hooks"},
	{Value: scopeCreateHooks, Description: "Create Hooks"},
	{Value: scopeUpdateHooks, Description: "Update Hooks"},
	{Value: scopeDeleteHooks, Description: "Delete Hooks"},
	{Value: scopeReadUsers, Description: "Read Users"},
	{Value: scopeCreateUsers, Description: "Create Users"},
	{Value: scopeUpdateUsers, Description: "Update Users"},
	{Value: scopeDeleteUsers, Description: "Delete Users"},
	{Value: scopeUpdateUsersAppMetadata, Description: "Update Users App Metadata"},
	{Value: scopeCreateUserTickets, Description: "Create User Tickets"},
	{Value: scopeReadConnections, Description: "Read Connections"},
	{Value: scopeUpdateConnections, Description: "Update Connections"},
	{Value: scopeReadActions, Description: "Read Actions"},
	{Value: scopeCreateActions, Description: "Create Actions"},
	{Value: scopeUpdateActions, Description: "Update Actions"},
	{Value: scopeDeleteActions, Description: "Delete Actions"},
}

// Scopes returns every scope the Management API defines: the bootstrap
// gives them all to the admin client and the system API declares them.
func Scopes() []string {
	out := make([]string, len(scopeDescriptions))
	for i, s := range scopeDescriptions {
		out[i] = s.Value
	}
	return out
}

// SystemScopes returns the same scopes with Auth0's descriptions, for the
// system API record.
func SystemScopes() []storage.Scope {
	return append([]storage.Scope(nil), scopeDescriptions...)
}
