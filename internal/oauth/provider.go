// Package oauth holds social sign-in: providers as data (OpenID Connect
// issuers or plain OAuth 2.0 endpoints, with presets for Clerk's
// strategies), the operator's configuration of each, and the
// authorization-code flow with state, PKCE and nonce, ending in the
// provider's profile of the user.
package oauth

import (
	"regexp"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
)

// Profile kinds: how a provider's user is read.
const (
	KindOIDC     = "oidc"     // ID token (verified with the issuer's JWKS) and userinfo
	KindUserinfo = "userinfo" // plain OAuth 2.0 with an OIDC-style userinfo document
	KindGitHub   = "github"
	KindDiscord  = "discord"
	KindFacebook = "facebook"
	KindX        = "x"
)

// Provider is how to talk to one provider.
type Provider struct {
	Strategy string `json:"strategy"` // oauth_google, oauth_custom_<key>
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	// Issuer is an OpenID Connect issuer, discovered; the endpoints
	// below override or replace what discovery gives.
	Issuer      string   `json:"issuer,omitempty"`
	AuthURL     string   `json:"auth_url,omitempty"`
	TokenURL    string   `json:"token_url,omitempty"`
	UserInfoURL string   `json:"userinfo_url,omitempty"`
	EmailsURL   string   `json:"emails_url,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	PKCE        bool     `json:"pkce,omitempty"`
	// FormPost asks the provider to post the answer (Apple).
	FormPost bool `json:"form_post,omitempty"`
	// AnyIssuer accepts ID tokens whose iss differs from the discovery
	// URL (Microsoft's multi-tenant endpoint names the tenant there).
	AnyIssuer bool `json:"any_issuer,omitempty"`
}

// Config is the operator's set-up of one provider.
type Config struct {
	Strategy     string `json:"strategy"`
	Enabled      bool   `json:"enabled"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	// Scopes replace the preset's when set.
	Scopes []string `json:"scopes,omitempty"`
	// AllowSignUp lets a new account be made through this provider.
	AllowSignUp bool `json:"allow_sign_up"`
	// LinkByEmail attaches the provider's identity to an existing user
	// who owns the same email address, when both sides verified it.
	LinkByEmail bool `json:"link_by_email"`
	// Endpoint overrides (and the whole provider, for custom ones).
	Name        string `json:"name,omitempty"`
	Issuer      string `json:"issuer,omitempty"`
	AuthURL     string `json:"auth_url,omitempty"`
	TokenURL    string `json:"token_url,omitempty"`
	UserInfoURL string `json:"userinfo_url,omitempty"`
	EmailsURL   string `json:"emails_url,omitempty"`
	// Sign in with Apple signs its client secret: team, key ID, and the
	// key (PEM, ES256).
	AppleTeamID     string `json:"apple_team_id,omitempty"`
	AppleKeyID      string `json:"apple_key_id,omitempty"`
	ApplePrivateKey string `json:"apple_private_key,omitempty"`
}

// Public is the configuration without its secrets, as it may be shown.
func (c Config) Public() Config {
	c.ClientSecret, c.ApplePrivateKey = "", ""
	return c
}

var customKey = regexp.MustCompile(`^oauth_custom_[a-z0-9_]{1,40}$`)

// Provider is the provider c configures: its preset with c's overrides,
// or for oauth_custom_* the endpoints c gives.
func (c Config) Provider() (Provider, error) {
	p, ok := Presets[c.Strategy]
	if !ok {
		if !customKey.MatchString(c.Strategy) {
			return Provider{}, errs.ParamValue("strategy", c.Strategy)
		}
		p = Provider{Strategy: c.Strategy, Name: strings.TrimPrefix(c.Strategy, "oauth_custom_"), Kind: KindUserinfo,
			Scopes: []string{"openid", "email", "profile"}, PKCE: true}
		if c.Issuer != "" {
			p.Kind = KindOIDC
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.Name, c.Name)
	set(&p.Issuer, c.Issuer)
	set(&p.AuthURL, c.AuthURL)
	set(&p.TokenURL, c.TokenURL)
	set(&p.UserInfoURL, c.UserInfoURL)
	set(&p.EmailsURL, c.EmailsURL)
	if len(c.Scopes) > 0 {
		p.Scopes = c.Scopes
	}
	if p.Kind == KindOIDC && p.Issuer == "" {
		return Provider{}, errs.ParamMissing("issuer")
	}
	if p.Kind != KindOIDC && (p.AuthURL == "" || p.TokenURL == "" || p.UserInfoURL == "") {
		return Provider{}, errs.ParamFormat("auth_url", "A provider without an OpenID Connect issuer needs auth_url, token_url and userinfo_url.")
	}
	return p, nil
}

// Validate checks a configuration an operator saves.
func (c Config) Validate() error {
	if _, err := c.Provider(); err != nil {
		return err
	}
	if c.Enabled && (c.ClientID == "" || (c.ClientSecret == "" && c.ApplePrivateKey == "")) {
		return errs.ParamFormat("client_id", "An enabled provider needs its client ID and client secret.")
	}
	for _, u := range []string{c.Issuer, c.AuthURL, c.TokenURL, c.UserInfoURL, c.EmailsURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return errs.ParamFormat("issuer", u+" is not an http(s) URL.")
		}
	}
	return nil
}
