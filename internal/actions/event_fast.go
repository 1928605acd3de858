package actions

import (
	"encoding/json"
	"net"
	"slices"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// The credentials-exchange event is encoded by hand: it is built for
// every machine-to-machine token, where encoding/json's reflection would
// cost more than the rest of the Go side of an Action together. It holds
// the same members as credentialsExchangeEvent (event.go), which
// TestFastEventMatches checks.

func appendCredentialsExchangeEvent(b []byte, in *Input, st *state, secrets map[string]string) []byte {
	b = append(b, `{"accessToken":{"customClaims":`...)
	b = appendRawMap(b, st.accessClaims)
	b = append(b, `,"scope":`...)
	b = appendStrings(b, st.scope)
	b = append(b, `},"client":{"client_id":`...)
	b = hooks.AppendJSONString(b, in.Client.ClientID)
	b = append(b, `,"name":`...)
	b = hooks.AppendJSONString(b, in.Client.Name)
	b = append(b, `,"metadata":`...)
	b = hooks.AppendStringMap(b, in.Client.Metadata, nil)
	r := in.Request
	b = append(b, `},"request":{"ip":`...)
	b = hooks.AppendJSONString(b, r.IP)
	b = append(b, `,"method":`...)
	method := r.Method
	if method == "" {
		method = "POST"
	}
	b = hooks.AppendJSONString(b, method)
	b = append(b, `,"body":`...)
	b = hooks.AppendStringMap(b, r.Params, hooks.HiddenParams)
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host != "" {
		b = append(b, `,"hostname":`...)
		b = hooks.AppendJSONString(b, host)
	}
	if r.UserAgent != "" {
		b = append(b, `,"user_agent":`...)
		b = hooks.AppendJSONString(b, r.UserAgent)
	}
	if l := firstLanguage(r.Language); l != "" {
		b = append(b, `,"language":`...)
		b = hooks.AppendJSONString(b, l)
	}
	b = append(b, `,"geoip":{}}`...)
	if in.Audience != "" {
		b = append(b, `,"resource_server":{"identifier":`...)
		b = hooks.AppendJSONString(b, in.Audience)
		b = append(b, '}')
	}
	b = append(b, `,"tenant":{"id":`...)
	b = hooks.AppendJSONString(b, in.Tenant)
	b = append(b, `},"transaction":{"requested_scopes":`...)
	b = appendStrings(b, in.Requested)
	b = append(b, `},"secrets":`...)
	b = hooks.AppendStringMap(b, secrets, nil)
	return append(b, '}')
}

func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = hooks.AppendJSONString(b, s)
	}
	return append(b, ']')
}

// appendRawMap encodes claims (valid JSON values) with sorted keys.
func appendRawMap(b []byte, m map[string]json.RawMessage) []byte {
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = hooks.AppendJSONString(b, k)
		b = append(b, ':')
		b = append(b, m[k]...)
	}
	return append(b, '}')
}
