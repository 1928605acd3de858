package storage

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxMetadataBytes bounds each of a user's app_metadata and user_metadata,
// JSON-encoded, whoever writes it (the Management API, a pre-user-
// registration hook, a post-login Action), so a user's record stays small
// even when code adds a property on every login.
const MaxMetadataBytes = 64 * 1024

// MetadataError says why metadata cannot be stored.
type MetadataError struct{ Reason string }

func (e *MetadataError) Error() string { return e.Reason }

// CheckMetadata is nil when m (a user's app_metadata or user_metadata,
// named name) can be stored: property names, at any depth, neither start
// with "$" nor contain "." (Auth0's rule for metadata field names), and
// it encodes to at most MaxMetadataBytes.
func CheckMetadata(name string, m map[string]any) error {
	if bad, ok := badMetadataKey(m); !ok {
		if len(bad) > 100 {
			bad = bad[:100]
		}
		return &MetadataError{Reason: fmt.Sprintf("%s has an invalid property name (%s): names may not start with '$' nor contain '.'", name, bad)}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return &MetadataError{Reason: name + " cannot be stored as JSON: " + err.Error()}
	}
	if len(b) > MaxMetadataBytes {
		return &MetadataError{Reason: fmt.Sprintf("%s is too large (%d bytes, at most %d)", name, len(b), MaxMetadataBytes)}
	}
	return nil
}

func badMetadataKey(v any) (string, bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
				return k, false
			}
			if bad, ok := badMetadataKey(x); !ok {
				return bad, false
			}
		}
	case []any:
		for _, x := range t {
			if bad, ok := badMetadataKey(x); !ok {
				return bad, false
			}
		}
	}
	return "", true
}
