package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// Identity is what a provider says of the user who came back from it.
type Identity struct {
	Strategy       string   `json:"strategy"`
	ProviderUserID string   `json:"provider_user_id"`
	Email          string   `json:"email,omitempty"`
	EmailVerified  bool     `json:"email_verified,omitempty"`
	FirstName      string   `json:"first_name,omitempty"`
	LastName       string   `json:"last_name,omitempty"`
	Username       string   `json:"username,omitempty"`
	ImageURL       string   `json:"image_url,omitempty"`
	Scopes         []string `json:"scopes,omitempty"`
	// Tokens, kept sealed at rest.
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresAt    int64  `json:"expires_at,omitempty"`
}

// ErrProvider is a provider that failed or answered what cannot be used;
// its text is for the log, not the user.
var ErrProvider = errors.New("the provider's answer could not be used")

// Flow runs the authorization-code flow against providers. Their answers
// are untrusted: every call has a time limit and bounded bodies.
type Flow struct {
	HTTP *http.Client
	Now  func() time.Time

	mu        sync.Mutex
	discovery map[string]cachedOIDC
}

type cachedOIDC struct {
	p  *oidc.Provider
	at time.Time
}

// NewFlow returns a Flow with a bounded HTTP client.
func NewFlow() *Flow {
	return &Flow{HTTP: &http.Client{Timeout: 10 * time.Second, Transport: limitedTransport{http.DefaultTransport}}, Now: time.Now}
}

// maxBody bounds what a provider may send back.
const maxBody = 1 << 20

type limitedTransport struct{ next http.RoundTripper }

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err == nil {
		res.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(res.Body, maxBody), res.Body}
	}
	return res, err
}

func (f *Flow) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, f.HTTP), f.HTTP)
}

// oidcProvider discovers an issuer, once an hour.
func (f *Flow) oidcProvider(ctx context.Context, p Provider) (*oidc.Provider, error) {
	f.mu.Lock()
	c, ok := f.discovery[p.Issuer]
	f.mu.Unlock()
	if ok && f.Now().Sub(c.at) < time.Hour {
		return c.p, nil
	}
	if p.AnyIssuer {
		ctx = oidc.InsecureIssuerURLContext(ctx, p.Issuer)
	}
	op, err := oidc.NewProvider(f.ctx(ctx), p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %v", ErrProvider, p.Issuer, err)
	}
	f.mu.Lock()
	if f.discovery == nil {
		f.discovery = map[string]cachedOIDC{}
	}
	f.discovery[p.Issuer] = cachedOIDC{op, f.Now()}
	f.mu.Unlock()
	return op, nil
}

// config is the oauth2 configuration of p as c sets it up.
func (f *Flow) config(ctx context.Context, p Provider, c Config, redirectURI string) (*oauth2.Config, *oidc.Provider, error) {
	oc := &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirectURI, Scopes: p.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL}}
	var op *oidc.Provider
	if p.Kind == KindOIDC {
		var err error
		if op, err = f.oidcProvider(ctx, p); err != nil {
			return nil, nil, err
		}
		e := op.Endpoint()
		if oc.Endpoint.AuthURL == "" {
			oc.Endpoint.AuthURL = e.AuthURL
		}
		if oc.Endpoint.TokenURL == "" {
			oc.Endpoint.TokenURL = e.TokenURL
		}
	}
	if c.ApplePrivateKey != "" {
		secret, err := appleSecret(c, f.Now())
		if err != nil {
			return nil, nil, err
		}
		oc.ClientSecret = secret
	}
	return oc, op, nil
}

// AuthURL is where the browser goes to the provider.
func (f *Flow) AuthURL(ctx context.Context, p Provider, c Config, redirectURI, state, verifier, nonce string) (string, error) {
	oc, _, err := f.config(ctx, p, c, redirectURI)
	if err != nil {
		return "", err
	}
	var opts []oauth2.AuthCodeOption
	if p.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if p.Kind == KindOIDC {
		opts = append(opts, oidc.Nonce(nonce))
	}
	if p.FormPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return oc.AuthCodeURL(state, opts...), nil
}

// Exchange trades the provider's code for tokens and reads the user.
func (f *Flow) Exchange(ctx context.Context, p Provider, c Config, redirectURI, code, verifier, nonce string) (*Identity, error) {
	oc, op, err := f.config(ctx, p, c, redirectURI)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if p.PKCE {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := oc.Exchange(f.ctx(ctx), code, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: token exchange: %v", ErrProvider, err)
	}
	id := &Identity{Strategy: p.Strategy, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Scopes: grantedScopes(tok, p)}
	if !tok.Expiry.IsZero() {
		id.ExpiresAt = tok.Expiry.UnixMilli()
	}
	if p.Kind == KindOIDC {
		if err := f.readIDToken(ctx, op, p, c, tok, nonce, id); err != nil {
			return nil, err
		}
	}
	if err := f.readProfile(ctx, p, oc, tok, id); err != nil {
		return nil, err
	}
	if id.ProviderUserID == "" {
		return nil, fmt.Errorf("%w: no user id", ErrProvider)
	}
	return id, nil
}

// Refresh renews an access token with its refresh token.
func (f *Flow) Refresh(ctx context.Context, p Provider, c Config, refreshToken string) (*oauth2.Token, error) {
	oc, _, err := f.config(ctx, p, c, "")
	if err != nil {
		return nil, err
	}
	tok, err := oc.TokenSource(f.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("%w: refresh: %v", ErrProvider, err)
	}
	return tok, nil
}

// readIDToken verifies the ID token (signature with the issuer's JWKS,
// iss, aud = our client, exp, and our nonce) and reads its claims.
func (f *Flow) readIDToken(ctx context.Context, op *oidc.Provider, p Provider, c Config, tok *oauth2.Token, nonce string, id *Identity) error {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fmt.Errorf("%w: no id_token", ErrProvider)
	}
	v := op.Verifier(&oidc.Config{ClientID: c.ClientID, SkipIssuerCheck: p.AnyIssuer, Now: f.Now})
	idt, err := v.Verify(f.ctx(ctx), raw)
	if err != nil {
		return fmt.Errorf("%w: id_token: %v", ErrProvider, err)
	}
	if idt.Nonce != nonce {
		return fmt.Errorf("%w: id_token nonce mismatch", ErrProvider)
	}
	var cl standardClaims
	if err := idt.Claims(&cl); err != nil {
		return fmt.Errorf("%w: id_token claims: %v", ErrProvider, err)
	}
	cl.apply(id)
	return nil
}

// appleSecret is Sign in with Apple's client secret: an ES256 JWT by the
// team's key, valid five minutes.
func appleSecret(c Config, now time.Time) (string, error) {
	block, _ := pem.Decode([]byte(c.ApplePrivateKey))
	if block == nil {
		return "", errors.New("apple_private_key: not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("apple_private_key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return "", errors.New("apple_private_key: not an EC key")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: ec, KeyID: c.AppleKeyID}}, nil)
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(jwt.Claims{Issuer: c.AppleTeamID, Subject: c.ClientID,
		Audience: jwt.Audience{"https://appleid.apple.com"}, IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}).Serialize()
}
