package hooks

import (
	"bytes"
	"encoding/json"
	"net"
	"net/url"
	"strings"

	"github.com/tokenhook/tokenhook/internal/oauth"
)

// MaxClaimsBytes caps the custom claims of one token (compat-spec §3.2).
const MaxClaimsBytes = 100 * 1000

// TokenChanges is what a hook changes in one token.
type TokenChanges struct {
	// Scope replaces the granted scopes when ScopeSet (it may be empty: a
	// hook that drops the starter line wipes them, as intended).
	Scope    []string
	ScopeSet bool
	// Claims are the namespaced custom claims that survived the filter,
	// each value as the hook's JSON: the token is JSON too, so decoding
	// the values only to encode them again would be wasted work.
	Claims map[string]json.RawMessage
}

// ScopesOr returns the scopes a token gets: the hook's when it set them,
// else granted.
func (tc TokenChanges) ScopesOr(granted []string) []string {
	if tc.ScopeSet {
		return tc.Scope
	}
	return granted
}

// Changes is the filtered response of a hook.
type Changes struct {
	Access TokenChanges
	ID     TokenChanges // password-exchange idToken; Scope unused
}

// reservedHosts may not namespace a custom claim, nor may their subdomains.
var reservedHosts = []string{"auth0.com", "webtask.io", "webtask.run"}

// namespaced reports whether a claim name is kept: an http(s) URL whose
// host is not reserved (compat-spec §3.2).
func namespaced(name string) bool {
	u, err := url.Parse(name)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		host = strings.ToLower(h)
	}
	for _, r := range reservedHosts {
		if host == r || strings.HasSuffix(host, "."+r) {
			return false
		}
	}
	return true
}

// parseResponse turns a hook's raw response into Changes for trigger. A
// response that is not an object adds no claims; at credentials-exchange
// it also leaves the token without scope, at password-exchange it keeps
// the granted scopes (its starter code answers {}).
func parseResponse(trigger string, raw json.RawMessage) (Changes, *oauth.Error) {
	obj, _ := object(raw)
	if trigger != PasswordExchange {
		// The response is the access token's claims: whatever it leaves
		// out, the token lacks, so a response without a scope issues a
		// token with no scope (compat-spec §3.2, the seeds: removing
		// `access_token.scope = scope` "will reset all scopes").
		access, err := tokenChanges(obj, true)
		if err == nil && !access.ScopeSet {
			access.Scope, access.ScopeSet = []string{}, true
		}
		return Changes{Access: access}, err
	}
	var out Changes
	var err *oauth.Error
	if at, ok := object(obj["accessToken"]); ok {
		if out.Access, err = tokenChanges(at, true); err != nil {
			return Changes{}, err
		}
	}
	if it, ok := object(obj["idToken"]); ok {
		if out.ID, err = tokenChanges(it, false); err != nil {
			return Changes{}, err
		}
	}
	return out, nil
}

// object decodes raw when it is a JSON object.
func object(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, false
	}
	return obj, true
}

// tokenChanges filters one token's part of a response. Its values are
// valid JSON: json.Unmarshal checked the whole response.
func tokenChanges(obj map[string]json.RawMessage, withScope bool) (TokenChanges, *oauth.Error) {
	var tc TokenChanges
	size := 0
	for name, v := range obj {
		if name == "scope" && withScope {
			if string(v) == "null" {
				continue // as if absent: the trigger decides what that means
			}
			scope, ok := parseScope(v)
			if !ok {
				return TokenChanges{}, oauth.InvalidScope("Scope must be an array or a string")
			}
			tc.Scope, tc.ScopeSet = scope, true
			continue
		}
		if !namespaced(name) {
			continue // silently dropped, as on Auth0
		}
		size += len(name) + len(v)
		if size > MaxClaimsBytes {
			return TokenChanges{}, oauth.ServerError("Custom claims exceed the 100 KB limit", nil)
		}
		if tc.Claims == nil {
			tc.Claims = map[string]json.RawMessage{}
		}
		tc.Claims[name] = v
	}
	return tc, nil
}

// parseScope accepts an array of strings or a space-separated string.
func parseScope(v json.RawMessage) ([]string, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strings.Fields(s), true
	}
	var list []string
	if json.Unmarshal(v, &list) == nil && list != nil {
		return list, true
	}
	return nil, false
}
