package e2e

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestNodeSDKv7 drives the server with the current Auth0 Node SDK
// (auth0@7.1.0, the generated client, unmodified; testdata/node-sdk-v7):
// its ManagementClient gets a token by client credentials itself, then
// creates, lists (offset and checkpoint pagers walked to the end), reads,
// updates and deletes clients, resource servers, client grants, users,
// hooks and Actions (versions, rollback, bindings, test, executions),
// reads the connection, logs and tenant settings, and sees each error as
// the SDK's typed error; its Authentication client (auth0/legacy) and
// @auth0/auth0-auth-js 1.16.1, which v7's README recommends for
// authentication, get tokens by client credentials and password. One
// server, one Node process.
func TestNodeSDKv7(t *testing.T) {
	out := runNodeProject(t, "node-sdk-v7", "management.js")
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("script output: %v\n%s", err, out)
	}
	// What each call returned, as JSON. Besides the SDK's, the lists hold
	// the management application, its API and its grant, which the
	// harness's tenant starts with.
	want := map[string]string{
		"rsDuplicate": `{"error":"ConflictError","statusCode":409,"errorCode":"conflict"}`,
		"rsPage":      `{"count":2,"total":2,"more":true}`,
		"rsGet":       `"https://orders.example/"`,
		// Array filters go as repeated parameters (identifiers, strategy).
		"rsByIdentifier": `["Orders"]`,
		"rsUpdate":       `"Orders API"`,

		"clientsPage":     `{"count":1,"total":2,"more":true}`,
		"clientsNext":     `{"count":1,"start":1}`,
		"clientsM2M":      `1`,
		"clientsFields":   `["client_id,name","client_id,name"]`,
		"clientGet":       `{"name":"sdk-app"}`,
		"clientsExternal": `0`,
		"clientUpdate":    `"from the v7 SDK"`,
		"rotated":         `true`,
		"clientNotFound":  `{"error":"NotFoundError","statusCode":404,"errorCode":"inexistent_client"}`,
		"clientBadBody":   `{"error":"BadRequestError","statusCode":400,"errorCode":"invalid_body"}`,
		"notFoundClass":   `{"managementError":true,"notFoundError":true}`,

		"grantDuplicate":  `{"error":"ConflictError","statusCode":409,"errorCode":"conflict"}`,
		"grantsPage":      `{"count":1,"more":true}`,
		"grantsForApp":    `["https://orders.example/"]`,
		"grantGet":        `"https://orders.example/"`,
		"grantsOfClients": `1`,
		"grantsOfUsers":   `0`,
		"grantUpdate":     `["read:orders"]`,

		"connections":       `["Username-Password-Authentication/auth0"]`,
		"connectionsAll":    `["Username-Password-Authentication"]`,
		"connectionGet":     `"Username-Password-Authentication"`,
		"connectionUpdate":  `false`,
		"connectionClients": `true`,
		"connectionCreate":  `{"error":"BadRequestError","statusCode":400,"errorCode":"operation_not_supported"}`,

		"userDuplicate":   `{"error":"ConflictError","statusCode":409,"errorCode":"auth0_idp_error"}`,
		"userBadPassword": `{"error":"BadRequestError","statusCode":400,"errorCode":"password_strength_error"}`,
		"usersPage":       `{"emails":["ann@example.com"],"total":1}`,
		"usersByEmail":    `[true]`,
		"usersSorted":     `["zoe@example.com","ann@example.com"]`,
		"userGet":         `"ann@example.com"`,
		"userUpdate":      `{"plan":"gold"}`,
		"userGone":        `{"error":"NotFoundError","statusCode":404,"errorCode":"inexistent_user"}`,

		"clientCredentials": `{"token_type":"Bearer","scope":"read:orders"}`,
		"grantAllScopes":    `{"subject_type":"client","allow_all_scopes":true,"types":["payment"],"scope":[]}`,
		// The API's scopes as the token is issued, write:stock added after the grant.
		"grantAllScopesToken": `"read:stock write:stock"`,
		"password":            `{"id_token":true,"token_type":"Bearer"}`,
		"passwordWrong":       `{"statusCode":403,"error":"invalid_grant"}`,
		"staticToken":         `"sdk-app"`,

		"authJsClientCredentials": `{"scope":"read:orders","token":true,"idToken":true}`,
		"authJsPassword":          `{"email":"ann@example.com","sub":true}`,
		"authJsUserInfo":          `"ann@example.com"`,
		"authJsWrong":             `{"code":"token_by_password_error","error":"invalid_grant"}`,
		"badToken":                `{"error":"UnauthorizedError","statusCode":401,"errorCode":"invalid_token"}`,
		"badCredentials":          `{"error":"ManagementError","statusCode":401}`,

		"settingsUpdate": `"SDK v7"`,
		"settingsGet":    `{"friendly_name":"SDK v7"}`,

		"hookDuplicate":      `{"error":"ConflictError","statusCode":409,"errorCode":"conflict"}`,
		"hooksPage":          `{"names":["sdk-hook"],"total":1}`,
		"hookGet":            `"sdk-hook"`,
		"hookUpdate":         `"sdk-hook-2"`,
		"hookSecretConflict": `{"error":"ConflictError","statusCode":409,"errorCode":"conflict"}`,
		"hookSecrets":        `{"FOO":"_VALUE_NOT_SHOWN_"}`,
		"hookGone":           `{"error":"NotFoundError","statusCode":404,"errorCode":"not_found"}`,

		"triggers":         `["credentials-exchange/v2","post-login/v3"]`,
		"actionCreated":    `{"status":"built","secrets":["KEY"]}`,
		"actionDuplicate":  `{"error":"ManagementError","statusCode":409,"errorCode":"conflict"}`,
		"actionBadCode":    `{"error":"BadRequestError","statusCode":400,"errorCode":"invalid_body"}`,
		"actionsPage":      `{"names":["sdk-action"],"total":1,"per_page":10}`,
		"actionsAll":       `["sdk-action"]`,
		"actionGet":        `"sdk-action"`,
		"deploy1":          `{"number":1,"deployed":true}`,
		"actionUpdate":     `false`,
		"deploy2":          `2`,
		"versions":         `{"numbers":[2,1],"total":2}`,
		"versionsAll":      `[2,1]`,
		"versionGet":       `true`,
		"rollback":         `3`,
		"bound":            `["SDK v7"]`,
		"bindings":         `{"actions":["sdk-action"],"total":1}`,
		"test":             `"two:sdk-secret"`,
		"executionUnknown": `{"error":"NotFoundError","statusCode":404,"errorCode":"not_found"}`,
		"tokenClaim":       `"one:sdk-secret"`,
		"execution":        `{"trigger_id":"credentials-exchange","status":"final","actions":["sdk-action"]}`,
		"deleteBound":      `{"error":"ManagementError","statusCode":409,"errorCode":"conflict"}`,
		"actionGone":       `{"error":"NotFoundError","statusCode":404,"errorCode":"not_found"}`,

		"logsPage":        `{"count":2,"more":true,"totalAtLeast":true}`,
		"logsAll":         `{"distinct":true,"atLeast":true}`,
		"logGet":          `true`,
		"logsOldestFirst": `true`,
		"logsFrom":        `{"count":2,"first":true}`,
		"userLogs":        `{"types":["fepft","fepft","sepft","sepft"],"total":4,"own":true}`,
		"activeUsers":     `1`,
		"daily":           `{"days":30,"logins":2,"signups":0}`,
		"verifyEmail":     `{"error":"BadRequestError","statusCode":400,"errorCode":"operation_not_supported"}`,
		// As Auth0 does: v7's logs.list sends search, which the API does not take.
		"logsSearch": `{"error":"BadRequestError","statusCode":400,"errorCode":"invalid_query_string"}`,
		"rsGone":     `{"error":"NotFoundError","statusCode":404,"errorCode":"inexistent_resource_server"}`,
	}
	for key, w := range want {
		if !jsonEqual(t, got[key], w) {
			t.Errorf("%s = %s, want %s", key, got[key], w)
		}
	}
	// The pagers walked every page: the SDK's items and the tenant's own.
	for key, item := range map[string]string{"rsAll": "https://orders.example/", "clientsAll": "sdk-app", "grantsAll": "https://orders.example/"} {
		var items []string
		if err := json.Unmarshal(got[key], &items); err != nil || len(items) != 2 || !slices.Contains(items, item) {
			t.Errorf("%s = %s, want 2 items with %s", key, got[key], item)
		}
	}
	if t.Failed() {
		t.Logf("SDK results: %s", out)
	}
}

// jsonEqual compares a JSON value with the JSON text want, whatever the
// order of object keys.
func jsonEqual(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	if got == nil {
		return false
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
