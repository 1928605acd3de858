package token

import (
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tokenhook/tokenhook/internal/keys"
)

// Verifier checks access tokens issued by this server.
type Verifier interface {
	// Verify checks signature, issuer, expiry and that audience is one of the
	// token's audiences, and returns its claims.
	Verify(raw, audience string) (Claims, error)
}

// ErrInvalid is returned for every token that does not verify; the wrapped
// detail is for logs, not for clients.
var ErrInvalid = errors.New("token: invalid")

// JWTVerifier verifies RS256, PS256, ES256 and EdDSA tokens (an API's
// signing_alg) against the tenant's published keys; HS256 tokens, signed
// with an API's own secret, are for that API alone and never verify here.
type JWTVerifier struct {
	Issuer string
	// Keys returns the tenant's current key set (cached; cheap to call).
	Keys func() *keys.Set
	Now  func() time.Time
}

var _ Verifier = (*JWTVerifier)(nil)

type wireClaims struct {
	jwt.Claims
	Scope     string `json:"scope"`
	AZP       string `json:"azp"`
	GrantType string `json:"gty"`
}

// Verify implements Verifier.
func (v *JWTVerifier) Verify(raw, audience string) (Claims, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(tok.Headers) != 1 {
		return Claims{}, fmt.Errorf("%w: one signature expected", ErrInvalid)
	}
	pub, ok := v.Keys().PublicKey(tok.Headers[0].KeyID)
	if !ok {
		return Claims{}, fmt.Errorf("%w: unknown kid", ErrInvalid)
	}
	var c wireClaims
	if err := tok.Claims(pub, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Expiry == nil {
		return Claims{}, fmt.Errorf("%w: no exp", ErrInvalid)
	}
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.Issuer,
		AnyAudience: jwt.Audience{audience},
		Time:        v.Now(),
	}, 0); err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out := Claims{
		Issuer:    c.Issuer,
		Subject:   c.Subject,
		Audience:  c.Audience,
		ClientID:  c.AZP,
		GrantType: c.GrantType,
		Scope:     strings.Fields(c.Scope),
	}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time()
	}
	if c.Expiry != nil {
		out.ExpiresAt = c.Expiry.Time()
	}
	return out, nil
}
