package eventlog

import (
	"strings"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Field caps, in bytes. Most of an event's strings come from the request
// (an unauthenticated caller chooses client_id, the User-Agent header, the
// username...), so each is cut to a length no legitimate value reaches:
// Auth0's own events carry 32-character client ids and short descriptions.
const (
	maxIDBytes          = 128  // type, client_id, ip, user_id
	maxNameBytes        = 256  // client_name, user_name
	maxUserAgentBytes   = 512  // user_agent
	maxAudienceBytes    = 512  // audience
	maxScopeBytes       = 2048 // scope: a granted scope list can be long
	maxDescriptionBytes = 512  // description: error messages are a sentence
	maxDetailString     = 512  // any string inside details
	maxDetailEntries    = 32   // keys of one details object, items of one array
	maxDetailDepth      = 5    // nesting inside details (details.actions.results[].error.msg is the deepest the server writes)
)

// truncated marks a value that was cut.
const truncated = "…"

// clean makes e safe to store: every string valid UTF-8 without NUL
// (PostgreSQL refuses both, and one such row used to fail its whole
// batch) and no longer than its cap. It returns e's approximate size in
// memory, which bounds the queue in bytes.
func clean(e *storage.LogEvent) int {
	n := 0
	for _, f := range [...]struct {
		s   *string
		max int
	}{
		{&e.Tenant, maxIDBytes}, {&e.Type, maxIDBytes}, {&e.ClientID, maxIDBytes}, {&e.IP, maxIDBytes},
		{&e.UserID, maxIDBytes}, {&e.ClientName, maxNameBytes}, {&e.UserName, maxNameBytes},
		{&e.UserAgent, maxUserAgentBytes}, {&e.Audience, maxAudienceBytes}, {&e.Scope, maxScopeBytes},
		{&e.Description, maxDescriptionBytes},
	} {
		*f.s = Clip(*f.s, f.max)
		n += len(*f.s)
	}
	if e.Details != nil {
		var size int
		e.Details = cleanMap(e.Details, 0, &size)
		n += size
	}
	return n + 160 // the struct, its slice slot, the log id
}

// Clip returns s as valid UTF-8 without NUL bytes, cut (on a character
// boundary, "…" appended) to at most limit bytes. Strings that need nothing
// are returned as they are, without allocating.
func Clip(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	long := len(s) > limit
	if long {
		// Cut first: a 64 KiB header is not worth scanning whole.
		s = s[:runeStart(s, limit)]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if !long && len(s) <= limit {
		return s
	}
	return s[:runeStart(s, max(limit-len(truncated), 0))] + truncated
}

// runeStart is the largest index <= i (and <= len(s)) where a character
// of s starts.
func runeStart(s string, i int) int {
	if i >= len(s) {
		return len(s)
	}
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// cleanMap cleans m in place: Record owns the event it is given, and a
// token's details need no change, so copying them would be waste.
func cleanMap(m map[string]any, depth int, size *int) map[string]any {
	kept := 0
	for k, v := range m {
		if kept == maxDetailEntries {
			delete(m, k)
			m[truncated] = true // says entries were left out
			continue
		}
		if ck := Clip(k, maxIDBytes); ck != k {
			delete(m, k)
			k = ck
		}
		kept++
		*size += len(k) + 16
		m[k] = cleanValue(v, depth+1, size)
	}
	return m
}

func cleanValue(v any, depth int, size *int) any {
	switch x := v.(type) {
	case string:
		x = Clip(x, maxDetailString)
		*size += len(x)
		return x
	case map[string]any:
		if depth >= maxDetailDepth {
			return truncated
		}
		return cleanMap(x, depth, size)
	case []any:
		if depth >= maxDetailDepth {
			return truncated
		}
		x = x[:min(len(x), maxDetailEntries)]
		for i, it := range x {
			x[i] = cleanValue(it, depth+1, size)
		}
		return x
	case []string:
		x = x[:min(len(x), maxDetailEntries)]
		for i, it := range x {
			x[i] = Clip(it, maxDetailString)
			*size += len(x[i])
		}
		return x
	case nil, bool, int, int64, float64, uint64, int32:
		*size += 8
		return x
	default:
		// A value of another type (a struct, a pointer) has no known size:
		// keep its kind in the log, not its contents.
		*size += 16
		return "(unsupported value)"
	}
}
