package token

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/tokenhook/tokenhook/internal/keys"
)

// Access is what an access token says (compat-spec §2.2).
type Access struct {
	Issuer   string
	Subject  string
	Audience []string // one entry is written as a string, several as an array
	ClientID string
	Scope    string // space-separated; written even when empty
	// GrantType is the gty claim.
	GrantType string
	IssuedAt  time.Time
	Lifetime  time.Duration
	// Custom holds claims a hook added, already filtered to namespaced
	// names: they can never shadow a registered claim.
	Custom map[string]json.RawMessage
}

// MintAccess signs a as a JWT. The payload is written by hand, in Auth0's
// claim order, because this runs for every token and reflection-based
// encoding of a map would cost more than everything else but the signature.
func MintAccess(s *keys.Signer, a Access) (string, error) {
	iat := a.IssuedAt.Unix()
	exp := a.IssuedAt.Add(a.Lifetime).Unix()
	buf := make([]byte, 0, 256+64*len(a.Custom))
	buf = append(buf, `{"iss":`...)
	buf = appendString(buf, a.Issuer)
	buf = append(buf, `,"sub":`...)
	buf = appendString(buf, a.Subject)
	buf = append(buf, `,"aud":`...)
	buf = appendAudience(buf, a.Audience)
	buf = append(buf, `,"iat":`...)
	buf = strconv.AppendInt(buf, iat, 10)
	buf = append(buf, `,"exp":`...)
	buf = strconv.AppendInt(buf, exp, 10)
	buf = append(buf, `,"scope":`...)
	buf = appendString(buf, a.Scope)
	buf = append(buf, `,"gty":`...)
	buf = appendString(buf, a.GrantType)
	buf = append(buf, `,"azp":`...)
	buf = appendString(buf, a.ClientID)
	if len(a.Custom) > 0 {
		// Custom claims are JSON a hook returned; encoding/json compacts
		// them and escapes HTML characters as it does every other value.
		for name, v := range a.Custom {
			val, err := json.Marshal(v)
			if err != nil {
				return "", fmt.Errorf("token: claim %q: %w", name, err)
			}
			buf = append(buf, ',')
			buf = appendString(buf, name)
			buf = append(buf, ':')
			buf = append(buf, val...)
		}
	}
	buf = append(buf, '}')
	return s.Sign(buf)
}

func appendAudience(buf []byte, aud []string) []byte {
	if len(aud) == 1 {
		return appendString(buf, aud[0])
	}
	buf = append(buf, '[')
	for i, a := range aud {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, a)
	}
	return append(buf, ']')
}

// appendString writes s as a JSON string. Plain ASCII without characters
// that need escaping (the usual case: URLs, ids, scopes) is copied as is.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
