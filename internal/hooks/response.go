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
	// User is what pre-user-registration merges into the new user.
	User UserChanges
	// Response is an asynchronous point's answer, which changes nothing:
	// kept only for the test runner to show.
	Response map[string]json.RawMessage
}

// UserChanges are the metadata a pre-user-registration hook gives the new
// user: each map's properties are merged over the signup's.
type UserChanges struct {
	UserMetadata map[string]any
	AppMetadata  map[string]any
}

// reservedHosts may not namespace a custom claim, nor may their subdomains.
var reservedHosts = []string{"auth0.com", "webtask.io", "webtask.run"}

// namespaced reports whether a claim name is kept: an http(s) URL whose
// host is not reserved (compat-spec §3.2).
func namespaced(name string) bool {
	host, ok := claimHost(name)
	return ok && !reservedHost(host)
}

// ReservedNamespace reports whether a claim name is an http(s) URL on one
// of Auth0's own hosts or their subdomains: no custom claim may use one,
// from a hook or an Action.
func ReservedNamespace(name string) bool {
	if len(name) < len("http://") || !strings.EqualFold(name[:4], "http") {
		return false
	}
	host, ok := claimHost(name)
	return ok && reservedHost(host)
}

// claimHost is the lower-cased host of a claim name that is an http(s)
// URL.
func claimHost(name string) (string, bool) {
	u, err := url.Parse(name)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		host = strings.ToLower(h)
	}
	return host, true
}

func reservedHost(host string) bool {
	for _, r := range reservedHosts {
		if host == r || strings.HasSuffix(host, "."+r) {
			return true
		}
	}
	return false
}

// parseResponse turns a hook's raw response into Changes at point p; the
// point decides what a response that is not an object means.
func parseResponse(p *Point, raw json.RawMessage) (Changes, *oauth.Error) {
	obj, _ := object(raw)
	return p.parse(obj)
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
