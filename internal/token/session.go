package token

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/id"
)

// Claims are a session token's claims, as Clerk's v2 session tokens.
type Claims struct {
	jwt.Claims
	SessionID string `json:"sid"`
	// AuthorizedParty is the Origin of the request that minted the token.
	AuthorizedParty string `json:"azp,omitempty"`
	Version         int    `json:"v"`
	// FactorAge is [minutes since the first factor, minutes since the
	// second factor or -1 (none)].
	FactorAge [2]int `json:"fva"`
	// Org is the active organization, while the user is a member.
	Org *OrgClaim `json:"o,omitempty"`
	// SessionStatus is "pending" for a session with tasks left.
	SessionStatus string `json:"sts,omitempty"`
	// Features are the active organization's features ("o:<feature>")
	// the member's custom permissions belong to, comma-joined.
	Features string `json:"fea,omitempty"`
	// Actor is the impersonator of an impersonated session (Clerk's act
	// claim: {"sub": …, …}).
	Actor json.RawMessage `json:"act,omitempty"`
}

// OrgClaim is the v2 token's o claim: the organization's ID and slug,
// the member's role without its "org:" prefix, and the role's custom
// permissions packed as Clerk packs them: per lists the actions, fpm
// holds for each feature of the fea claim the bitmask of its actions.
// Clerk leaves system permissions (org:sys_…) out of tokens.
type OrgClaim struct {
	ID                   string `json:"id"`
	Slug                 string `json:"slg"`
	Role                 string `json:"rol"`
	Permissions          string `json:"per,omitempty"`
	FeaturePermissionMap string `json:"fpm,omitempty"`
	// Features goes to the token's fea claim, not into o.
	Features string `json:"-"`
}

// Mint describes a token to sign.
type Mint struct {
	Issuer    string
	UserID    string
	SessionID string
	Origin    string
	// FactorAge is the fva claim: minutes since the session's first and
	// second factors were proved (-1: no second factor).
	FactorAge [2]int
	TTL       time.Duration
	// Extra are the instance's custom claims, merged in.
	Extra map[string]any
	// Org is the active organization's claim, or nil.
	Org *OrgClaim
	// Pending marks a session with tasks left (sts: pending).
	Pending bool
	// Actor is the act claim of an impersonated session, or nil.
	Actor json.RawMessage
}

// SessionCategory is the header cat of session tokens, as Clerk's.
const SessionCategory = "cl_B7d4PD111AAA"

// Skew is how far nbf is set before iat, for verifiers whose clocks run
// behind.
const Skew = 5 * time.Second

// Sign mints a session token at now.
func (k *Keyring) Sign(m Mint, now time.Time) (string, *Claims, error) {
	signer := k.currentSigner()
	if signer == nil {
		return "", nil, errors.New("no signing key")
	}
	now = now.Truncate(time.Second)
	c := &Claims{
		Claims: jwt.Claims{Issuer: m.Issuer, Subject: m.UserID, ID: id.Random(20),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-Skew)),
			Expiry: jwt.NewNumericDate(now.Add(m.TTL))},
		SessionID: m.SessionID, AuthorizedParty: m.Origin, Version: 2,
		FactorAge: m.FactorAge, Org: m.Org, Actor: m.Actor,
	}
	if m.Org != nil {
		c.Features = m.Org.Features
	}
	if m.Pending {
		c.SessionStatus = "pending"
	}
	b := jwt.Signed(signer)
	if len(m.Extra) > 0 {
		b = b.Claims(m.Extra)
	}
	raw, err := b.Claims(c).Serialize()
	return raw, c, err
}

// ErrInvalid is any reason a token does not verify.
var ErrInvalid = errors.New("invalid session token")

// Verify checks a session token's signature (by its kid), issuer and
// times at now, allowing Skew, and returns its claims.
func (k *Keyring) Verify(raw, issuer string, now time.Time) (*Claims, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrInvalid
	}
	// Template tokens are signed with the same key but are no session
	// tokens: their header names another category.
	if cat, ok := tok.Headers[0].ExtraHeaders["cat"]; ok && cat != SessionCategory {
		return nil, ErrInvalid
	}
	pub := k.publicKey(tok.Headers[0].KeyID)
	if pub == nil {
		return nil, ErrInvalid
	}
	var c Claims
	if err := tok.Claims(pub, &c); err != nil {
		return nil, ErrInvalid
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Time: now}, Skew); err != nil || c.Expiry == nil || c.SessionID == "" {
		return nil, ErrInvalid
	}
	return &c, nil
}

// SignWithHeader signs claims with the session-token key and extra
// header fields (a template token's category).
func (k *Keyring) SignWithHeader(claims any, header map[jose.HeaderKey]any) (string, error) {
	k.mu.RLock()
	n := len(k.keys)
	var last key
	if n > 0 {
		last = k.keys[n-1]
	}
	k.mu.RUnlock()
	if n == 0 {
		return "", errors.New("no signing key")
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for h, v := range header {
		opts = opts.WithHeader(h, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: last.priv, KeyID: last.kid}}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// SignClaims signs other claims (a handshake payload, say) with the key
// that signs session tokens, so that an SDK verifies them with the same
// JWKS.
func (k *Keyring) SignClaims(claims any) (string, error) {
	signer := k.currentSigner()
	if signer == nil {
		return "", errors.New("no signing key")
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}
