package sdk

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is wrapped by every reason VerifyToken refuses a token.
var ErrInvalidToken = errors.New("concierge: invalid session token")

// Claims are a verified session token's claims.
type Claims struct {
	Issuer string
	// UserID is the token's sub.
	UserID    string
	SessionID string
	// AuthorizedParty is the origin the token was minted for (azp).
	AuthorizedParty string
	ID              string
	IssuedAt        time.Time
	NotBefore       time.Time
	Expiry          time.Time
	Version         int
	// FactorAge is [minutes since the first factor, minutes since the
	// second factor or -1].
	FactorAge [2]int
}

// VerifyOptions tune VerifyToken; the zero value is sensible.
type VerifyOptions struct {
	// Issuer must equal the token's iss; default the Config's BaseURL.
	Issuer string
	// AuthorizedParties, if set, lists the origins a token's azp may be.
	AuthorizedParties []string
	// Leeway tolerates clock skew on exp and nbf (default 5 s; negative
	// for none).
	Leeway time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

type tokenClaims struct {
	jwt.Claims
	SessionID       string `json:"sid"`
	AuthorizedParty string `json:"azp"`
	Version         int    `json:"v"`
	FactorAge       [2]int `json:"fva"`
}

// VerifyToken checks a session token without calling Concierge, once the
// key set is cached: RS256 signature by a key of the instance's JWKS
// (fetched with the secret key, kept an hour, fetched again when a token
// names an unknown kid), expiry and not-before with leeway, issuer and,
// optionally, authorized party.
func (c *Client) VerifyToken(ctx context.Context, token string, opts *VerifyOptions) (*Claims, error) {
	o := VerifyOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Issuer == "" {
		o.Issuer = c.issuer
	}
	if o.Leeway == 0 {
		o.Leeway = 5 * time.Second
	} else if o.Leeway < 0 {
		o.Leeway = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("%w: not an RS256 JWT", ErrInvalidToken)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, fmt.Errorf("%w: no kid", ErrInvalidToken)
	}
	key, err := c.jwks.key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	var tc tokenClaims
	if err := tok.Claims(key, &tc); err != nil {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	if tc.Expiry == nil || tc.Subject == "" || tc.SessionID == "" {
		return nil, fmt.Errorf("%w: missing exp, sub or sid", ErrInvalidToken)
	}
	if err := tc.ValidateWithLeeway(jwt.Expected{Issuer: o.Issuer, Time: o.Now()}, o.Leeway); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if len(o.AuthorizedParties) > 0 && !slices.Contains(o.AuthorizedParties, tc.AuthorizedParty) {
		return nil, fmt.Errorf("%w: authorized party %q not allowed", ErrInvalidToken, tc.AuthorizedParty)
	}
	out := &Claims{Issuer: tc.Issuer, UserID: tc.Subject, SessionID: tc.SessionID, AuthorizedParty: tc.AuthorizedParty,
		ID: tc.ID, Expiry: tc.Expiry.Time(), Version: tc.Version, FactorAge: tc.FactorAge}
	if tc.IssuedAt != nil {
		out.IssuedAt = tc.IssuedAt.Time()
	}
	if tc.NotBefore != nil {
		out.NotBefore = tc.NotBefore.Time()
	}
	return out, nil
}

// jwksCache keeps the instance's public keys.
type jwksCache struct {
	c *Client

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

const (
	jwksTTL        = time.Hour
	jwksMinRefresh = time.Second // unknown kids refetch at most this often
)

func (j *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	age := time.Since(j.fetched)
	if k, ok := j.keys[kid]; ok && age < jwksTTL {
		return k, nil
	}
	// A token naming an unknown kid refetches, but not more often than
	// jwksMinRefresh: forged kids must not turn into a flood of calls.
	if j.keys == nil || age >= jwksTTL || age >= jwksMinRefresh {
		if err := j.fetch(ctx); err != nil {
			if k, ok := j.keys[kid]; ok {
				return k, nil // Concierge unreachable: a known key still verifies
			}
			return nil, err
		}
	}
	if k, ok := j.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown kid %q", ErrInvalidToken, kid)
}

func (j *jwksCache) fetch(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := j.c.do(ctx, http.MethodGet, "/jwks", nil, nil, &set); err != nil {
		return fmt.Errorf("sdk: fetching the JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if pub, ok := k.Key.(*rsa.PublicKey); ok && (k.Algorithm == "" || k.Algorithm == "RS256") {
			keys[k.KeyID] = pub
		}
	}
	j.keys, j.fetched = keys, time.Now()
	return nil
}

type claimsKey struct{}

// SessionClaims returns the claims RequireSession or WithSession put in a
// request's context.
func SessionClaims(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// TokenFromRequest finds a session token: "Authorization: Bearer <jwt>",
// else the __session cookie clerk-js writes.
func TokenFromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	if ck, err := r.Cookie("__session"); err == nil {
		return ck.Value
	}
	return ""
}

// RequireSession is net/http middleware: a request with a valid session
// token reaches next with the claims in its context (SessionClaims);
// others get 401 and Clerk's error envelope.
func (c *Client) RequireSession(opts *VerifyOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, err := c.VerifyToken(r.Context(), TokenFromRequest(r), opts)
			if err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]any{"errors": []ErrorDetail{{Code: "authentication_invalid",
					Message: "Unauthenticated", LongMessage: "A valid session token is required."}}})
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
		})
	}
}

// WithSession is like RequireSession but lets requests without a valid
// token through, without claims.
func (c *Client) WithSession(opts *VerifyOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok := TokenFromRequest(r); tok != "" {
				if claims, err := c.VerifyToken(r.Context(), tok, opts); err == nil {
					r = r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims))
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
