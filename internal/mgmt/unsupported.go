package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/tokenhook/tokenhook/internal/token"
)

// Resource types of Auth0's Management API that tokenhook does not
// implement answer as an Auth0 tenant that has none of them, or its
// defaults, so Auth0's tools (a default `a0deploy export`, node-auth0
// scripts) read a tenant without special settings. Writing the same
// empty or default value back succeeds and changes nothing; writing
// anything else is a 400 operation_not_supported naming the resource (not a
// 5xx, which the SDKs retry for minutes), never a silent success.

// defaultResource is one such type: a list (key names its array in
// paged answers) or a single object.
type defaultResource struct {
	path  string // below /api/v2
	name  string // for error messages
	list  string // non-empty: a list with this key under include_totals
	value any    // the object, for non-lists
	read  string // Auth0's read scope
	write string // Auth0's update scope; "" when Auth0 has no write here
	// put, patch, post: the write methods Auth0 offers on path.
	put, patch, post bool
}

func defaultResources() []defaultResource {
	return []defaultResource{
		{path: "/rules", name: "rules", list: "rules", read: "read:rules", write: "create:rules", post: true},
		{path: "/rules-configs", name: "rules configs", list: "-", read: "read:rules_configs"},
		{path: "/log-streams", name: "log streams", list: "-", read: "read:log_streams", write: "create:log_streams", post: true},
		{path: "/custom-domains", name: "custom domains", list: "-", read: "read:custom_domains", write: "create:custom_domains", post: true},
		{path: "/roles", name: "roles", list: "roles", read: "read:roles", write: "create:roles", post: true},
		{path: "/organizations", name: "organizations", list: "organizations", read: "read:organizations", write: "create:organizations", post: true},
		{path: "/guardian/policies", name: "guardian policies", value: []any{}, read: "read:mfa_policies", write: "update:mfa_policies", put: true},
		{path: "/guardian/factors", name: "guardian factors", value: guardianFactors(), read: "read:guardian_factors"},
		{path: "/guardian/factors/{name}", name: "guardian factors", value: map[string]any{"enabled": false},
			read: "read:guardian_factors", write: "update:guardian_factors", put: true},
		{path: "/prompts", name: "prompts", value: map[string]any{
			"universal_login_experience": "new", "identifier_first": false, "webauthn_platform_first_factor": false,
		}, read: "read:prompts", write: "update:prompts", patch: true},
		{path: "/prompts/{prompt}/partials", name: "prompt partials", value: map[string]any{},
			read: "read:prompts", write: "update:prompts", put: true},
		{path: "/prompts/{prompt}/custom-text/{language}", name: "prompt custom texts", value: map[string]any{},
			read: "read:prompts", write: "update:prompts", put: true},
		{path: "/branding", name: "branding", value: map[string]any{}, read: "read:branding", write: "update:branding", patch: true},
		{path: "/attack-protection/brute-force-protection", name: "brute-force protection", value: map[string]any{
			"enabled": true, "shields": []string{"block", "user_notification"}, "mode": "count_per_identifier_and_ip",
			"allowlist": []string{}, "max_attempts": 10,
		}, read: "read:attack_protection", write: "update:attack_protection", patch: true},
		{path: "/attack-protection/breached-password-detection", name: "breached password detection", value: map[string]any{
			"enabled": false, "shields": []string{}, "admin_notification_frequency": []string{}, "method": "standard",
			"stage": map[string]any{"pre-user-registration": map[string]any{"shields": []string{}}},
		}, read: "read:attack_protection", write: "update:attack_protection", patch: true},
		{path: "/attack-protection/suspicious-ip-throttling", name: "suspicious IP throttling", value: map[string]any{
			"enabled": false, "shields": []string{}, "allowlist": []string{},
			"stage": map[string]any{
				"pre-login":             map[string]any{"max_attempts": 100, "rate": 864000},
				"pre-user-registration": map[string]any{"max_attempts": 50, "rate": 1200},
			},
		}, read: "read:attack_protection", write: "update:attack_protection", patch: true},
		{path: "/attack-protection/bot-detection", name: "bot detection", value: map[string]any{
			"bot_detection_level": "medium", "challenge_password_policy": "never", "challenge_passwordless_policy": "never",
			"challenge_password_reset_policy": "never", "allowlist": []string{}, "monitoring_mode_enabled": false,
		}, read: "read:attack_protection", write: "update:attack_protection", patch: true},
		{path: "/attack-protection/captcha", name: "captcha", value: map[string]any{"active_provider_id": "auth_challenge"},
			read: "read:attack_protection", write: "update:attack_protection", patch: true},
		{path: "/branding/phone/providers", name: "phone providers", value: map[string]any{"providers": []any{}},
			read: "read:phone_providers", write: "create:phone_providers", post: true},
		{path: "/branding/phone/templates", name: "phone templates", value: map[string]any{"templates": []any{}},
			read: "read:phone_templates", write: "create:phone_templates", post: true},
		{path: "/forms", name: "forms", list: "forms", read: "read:forms", write: "create:forms", post: true},
		{path: "/flows", name: "flows", list: "flows", read: "read:flows", write: "create:flows", post: true},
		{path: "/flows/vault/connections", name: "flow vault connections", list: "connections", read: "read:flows_vault_connections", write: "create:flows_vault_connections", post: true},
		{path: "/self-service-profiles", name: "self-service profiles", list: "self_service_profiles", read: "read:self_service_profiles", write: "create:self_service_profiles", post: true},
		{path: "/network-acls", name: "network ACLs", list: "network_acls", read: "read:network_acls", write: "create:network_acls", post: true},
		{path: "/user-attribute-profiles", name: "user attribute profiles", list: "user_attribute_profiles", read: "read:user_attribute_profiles", write: "create:user_attribute_profiles", post: true},
		{path: "/connection-profiles", name: "connection profiles", list: "connection_profiles", read: "read:connection_profiles", write: "create:connection_profiles", post: true},
		{path: "/token-exchange-profiles", name: "token exchange profiles", list: "token_exchange_profiles", read: "read:token_exchange_profiles", write: "create:token_exchange_profiles", post: true},
		{path: "/event-streams", name: "event streams", list: "eventStreams", read: "read:event_streams", write: "create:event_streams", post: true},
		{path: "/supplemental-signals", name: "supplemental signals", value: map[string]any{"akamai_enabled": false},
			read: "read:attack_protection", write: "update:attack_protection", patch: true},
		{path: "/actions/modules", name: "action modules", value: map[string]any{"modules": []any{}, "total": 0, "page": 0, "per_page": 50},
			read: "read:actions", write: "create:actions", post: true},
		// Screen renderers (Advanced Customizations): deploy-cli reads them
		// with the prompts and warns when it cannot.
		{path: "/prompts/rendering", name: "prompt screen renderers", list: "configs", read: "read:prompts"},
		// Directory provisioning (Google Workspace connections): read by
		// deploy-cli's connection handlers on export and import.
		{path: "/connections-directory-provisionings", name: "directory provisionings", list: "directory_provisionings", read: "read:connections"},
		{path: "/risk-assessments/settings", name: "risk assessment", value: map[string]any{"enabled": false},
			read: "read:attack_protection", write: "update:attack_protection", patch: true},
		// No device is remembered: tokenhook has no login sessions.
		{path: "/risk-assessments/settings/new-device", name: "risk assessment", value: map[string]any{"remember_for": 0},
			read: "read:attack_protection", write: "update:attack_protection", patch: true},
	}
}

// guardianFactors is Auth0's factor list with every factor off.
func guardianFactors() []any {
	var out []any
	for _, n := range []string{"sms", "push-notification", "otp", "email", "duo", "webauthn-roaming", "webauthn-platform", "recovery-code"} {
		out = append(out, map[string]any{"name": n, "enabled": false, "trial_expired": false})
	}
	return out
}

func errUnsupportedResource(name string) *apiError {
	return newErrorf(http.StatusBadRequest, codeOperationForbidden,
		"%s are not supported by this server (tokenhook): only the empty or default value can be written (see docs/clients.md)", name)
}

// defaultRoutes are the routes of the default resources. Reads accept
// Auth0's scope or read:tenant_settings, writes Auth0's scope or
// update:tenant_settings: a token issued here holds tokenhook's scopes.
func (a *API) defaultRoutes() []route {
	var out []route
	for _, d := range defaultResources() {
		d := d
		out = append(out, route{"GET", d.path, anyOf(d.read, scopeReadTenantSettings), func(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
			return a.readDefault(w, r, d)
		}})
		write := func(w http.ResponseWriter, r *http.Request, _ token.Claims) error { return a.writeDefault(w, r, d) }
		scopes := anyOf(d.write, scopeUpdateTenantSettings)
		if d.put {
			out = append(out, route{"PUT", d.path, scopes, write})
		}
		if d.patch {
			out = append(out, route{"PATCH", d.path, scopes, write})
		}
		if d.post {
			out = append(out, route{"POST", d.path, scopes, write})
		}
	}
	return out
}

func (a *API) readDefault(w http.ResponseWriter, r *http.Request, d defaultResource) error {
	if d.list == "" || d.value != nil {
		// Objects, and lists with a fixed shape, take any query (Auth0's
		// filters on them select nothing of an empty tenant) but paging.
		if _, err := parseQuery(r, checkpointParams, anyQueryKeys(r)...); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, d.value)
		return nil
	}
	params, key := listParams, d.list
	if key == "-" {
		key = ""
	} else {
		params = checkpointParams
	}
	q, err := parseQuery(r, params, anyQueryKeys(r)...)
	if err != nil {
		return err
	}
	if key == "" {
		writeJSON(w, http.StatusOK, []any{})
		return nil
	}
	return writeList(w, key, pageOf([]any{}, &q), 0, q)
}

// anyQueryKeys accepts every parameter but the paging ones, which
// parseQuery checks: an empty resource has nothing to filter.
func anyQueryKeys(r *http.Request) []string {
	var out []string
	for k := range r.URL.Query() {
		switch k {
		case "page", "per_page", "include_totals", "fields", "include_fields", "from", "take":
		default:
			out = append(out, k)
		}
	}
	return out
}

// writeDefault accepts a write of the default back: PUT of the same
// value, PATCH of properties equal to the default's. Creating an item
// (POST) is always refused with a 400 naming the resource.
func (a *API) writeDefault(w http.ResponseWriter, r *http.Request, d defaultResource) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	raw, form, err := readBody(w, r)
	if err != nil {
		return err
	}
	if form || !json.Valid(raw) {
		return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	if r.Method == http.MethodPost {
		return errUnsupportedResource(d.name)
	}
	if r.Method == http.MethodPatch {
		var in map[string]json.RawMessage
		if err := json.Unmarshal(raw, &in); err != nil {
			return errBody("Expected type object but found type %s", jsonKind(raw))
		}
		have, _ := d.value.(map[string]any)
		for k, v := range in {
			if hv, ok := have[k]; !ok || !sameJSON(v, hv) {
				return errUnsupportedResource(d.name + " (" + k + ")")
			}
		}
	} else if !sameJSON(raw, d.value) {
		return errUnsupportedResource(d.name)
	}
	writeJSON(w, http.StatusOK, d.value)
	return nil
}
