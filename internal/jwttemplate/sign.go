package jwttemplate

import (
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/id"
)

// Category is the JWT header cat of template tokens, as Clerk's: the
// SDKs refuse a token of this category as a session token.
const Category = "cl_B7d4PD222AAA"

// Subject is who a template token is for.
type Subject struct {
	Issuer, UserID, SessionID, Origin string
	Scope                             Scope
}

// Claims returns the token's claims at now: the template's, rendered,
// then the reserved ones.
func (t *Template) TokenClaims(s Subject, now time.Time) (map[string]any, error) {
	c, err := Parse("claims", t.Claims)
	if err != nil {
		return nil, err
	}
	out := c.Render(s.Scope)
	now = now.Truncate(time.Second)
	out["iss"], out["sub"], out["sid"], out["jti"] = s.Issuer, s.UserID, s.SessionID, id.Random(20)
	out["iat"], out["nbf"], out["exp"] = now.Unix(), now.Add(-time.Duration(t.AllowedClockSkew)*time.Second).Unix(),
		now.Add(time.Duration(t.Lifetime)*time.Second).Unix()
	if s.Origin != "" {
		out["azp"] = s.Origin
	}
	return out, nil
}

// SignCustom signs claims with the template's own key.
func (t *Template) SignCustom(claims map[string]any) (string, error) {
	k, err := t.key()
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: algorithms[t.SigningAlgorithm], Key: k},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("cat", Category))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}
