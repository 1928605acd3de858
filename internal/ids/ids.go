package ids

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/oklog/ulid/v2"
)

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// secretAlphabet is URL- and header-safe, so a secret never needs escaping
// in a form body or a Basic header.
const secretAlphabet = alphanumeric + "-_"

// pick draws n characters from alphabet without modulo bias.
func pick(r io.Reader, alphabet string, n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			panic(fmt.Sprintf("ids: randomness failed: %v", err))
		}
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

// ClientID is a 32-character alphanumeric application id.
func ClientID(r io.Reader) string { return pick(r, alphanumeric, 32) }

// ClientSecret is a 64-character secret (~380 bits).
func ClientSecret(r io.Reader) string { return pick(r, secretAlphabet, 64) }

// ResourceServerID is 24 hex characters.
func ResourceServerID(r io.Reader) string {
	b := make([]byte, 12)
	if _, err := io.ReadFull(r, b); err != nil {
		panic(fmt.Sprintf("ids: randomness failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// ClientGrantID is "cgr_" and 16 alphanumerics.
func ClientGrantID(r io.Reader) string { return "cgr_" + pick(r, alphanumeric, 16) }

// HookID is a 26-character ULID (compat-spec §4.1).
func HookID(r io.Reader, now time.Time) string {
	return ulid.MustNew(ulid.Timestamp(now), r).String()
}
