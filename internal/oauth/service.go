package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/seal"
)

// Stored is a provider's set-up as kept: the public part as JSON, the
// secrets sealed.
type Stored struct {
	Strategy  string
	Config    string
	Sealed    []byte
	UpdatedAt int64
}

// Store keeps provider set-ups and flows under way.
type Store interface {
	OAuthProviders(ctx context.Context) ([]Stored, error)
	PutOAuthProvider(ctx context.Context, s Stored) error
	SaveOAuthState(ctx context.Context, digest string, data []byte, expiresAt, now int64) error
	// TakeOAuthState returns a state once (errs NotFound after, or when
	// expired).
	TakeOAuthState(ctx context.Context, digest string, now int64) ([]byte, error)
}

// State is a flow under way, from the redirect to the provider to its
// callback. It is bound to the client that started it.
type State struct {
	Flow        string `json:"flow"` // sign_in, sign_up, connect
	ClientID    string `json:"client_id"`
	FlowID      string `json:"flow_id"` // the sign-in, sign-up, or user (connect)
	Strategy    string `json:"strategy"`
	Verifier    string `json:"verifier"`
	Nonce       string `json:"nonce"`
	RedirectURL string `json:"redirect_url"`
	CompleteURL string `json:"complete_url,omitempty"`
	// DevBrowser: the client is a development browser, whose (rotated)
	// token goes back in the redirect.
	DevBrowser bool `json:"dev_browser,omitempty"`
	// Scopes asked for beyond the provider's (a reauthorization).
	Scopes []string `json:"scopes,omitempty"`
}

// StateTTL is how long the user may take at the provider.
const StateTTL = 10 * time.Minute

// Service is social sign-in's configuration and flows.
type Service struct {
	Store Store
	Flow  *Flow
	// Key seals secrets and tokens at rest.
	Key []byte
	// CallbackURL is Concierge's /v1/oauth_callback.
	CallbackURL string
	Now         func() time.Time

	mu     sync.Mutex
	cached []Config
	at     time.Time
}

// cacheTTL bounds how long another process's change takes to apply.
const cacheTTL = 2 * time.Second

// Configs returns every provider set-up, secrets included.
func (s *Service) Configs(ctx context.Context) ([]Config, error) {
	s.mu.Lock()
	if s.cached != nil && time.Since(s.at) < cacheTTL {
		out := s.cached
		s.mu.Unlock()
		return out, nil
	}
	s.mu.Unlock()
	stored, err := s.Store.OAuthProviders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Config, 0, len(stored))
	for _, st := range stored {
		var c Config
		if err := json.Unmarshal([]byte(st.Config), &c); err != nil {
			return nil, err
		}
		if len(st.Sealed) > 0 {
			plain, err := s.open(st.Sealed)
			if err != nil {
				return nil, err
			}
			var sec struct{ ClientSecret, ApplePrivateKey string }
			if err := json.Unmarshal(plain, &sec); err != nil {
				return nil, err
			}
			c.ClientSecret, c.ApplePrivateKey = sec.ClientSecret, sec.ApplePrivateKey
		}
		out = append(out, c)
	}
	s.mu.Lock()
	s.cached, s.at = out, time.Now()
	s.mu.Unlock()
	return out, nil
}

// Enabled returns the enabled set-ups, sorted by strategy.
func (s *Service) Enabled(ctx context.Context) ([]Config, error) {
	all, err := s.Configs(ctx)
	if err != nil {
		return nil, err
	}
	var out []Config
	for _, c := range all {
		if c.Enabled {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Config) int { return strings.Compare(a.Strategy, b.Strategy) })
	return out, nil
}

// Lookup returns an enabled provider's set-up, or errs Invalid on the
// strategy parameter.
func (s *Service) Lookup(ctx context.Context, strategy string) (Config, Provider, error) {
	all, err := s.Enabled(ctx)
	if err != nil {
		return Config{}, Provider{}, err
	}
	for _, c := range all {
		if c.Strategy == strategy {
			p, err := c.Provider()
			return c, p, err
		}
	}
	return Config{}, Provider{}, errs.New(errs.Invalid, "strategy_for_user_invalid", "Invalid strategy",
		strategy+" is not enabled on this instance.").WithParam("strategy")
}

// Save stores a set-up. Secrets left empty keep their stored value, so a
// form that never shows them back can be saved again.
func (s *Service) Save(ctx context.Context, c Config) error {
	if c.ClientSecret == "" || c.ApplePrivateKey == "" {
		all, err := s.Configs(ctx)
		if err != nil {
			return err
		}
		for _, old := range all {
			if old.Strategy == c.Strategy {
				if c.ClientSecret == "" {
					c.ClientSecret = old.ClientSecret
				}
				if c.ApplePrivateKey == "" {
					c.ApplePrivateKey = old.ApplePrivateKey
				}
			}
		}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	pub, err := json.Marshal(c.Public())
	if err != nil {
		return err
	}
	secrets, _ := json.Marshal(map[string]string{"ClientSecret": c.ClientSecret, "ApplePrivateKey": c.ApplePrivateKey})
	sealed, err := s.seal(secrets)
	if err != nil {
		return err
	}
	defer s.forget()
	return s.Store.PutOAuthProvider(ctx, Stored{Strategy: c.Strategy, Config: string(pub), Sealed: sealed, UpdatedAt: s.Now().UnixMilli()})
}

func (s *Service) forget() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
}

func stateDigest(state string) string {
	d := sha256.Sum256([]byte("oauth-state:" + state))
	return hex.EncodeToString(d[:])
}

// Begin records a flow and returns the provider's URL to send the
// browser to.
func (s *Service) Begin(ctx context.Context, st State) (string, error) {
	c, p, err := s.Lookup(ctx, st.Strategy)
	if err != nil {
		return "", err
	}
	state := id.Secret()
	st.Verifier, st.Nonce = oauth2.GenerateVerifier(), id.Secret()
	data, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	for _, sc := range st.Scopes {
		if !slices.Contains(p.Scopes, sc) {
			p.Scopes = append(slices.Clip(p.Scopes), sc)
		}
	}
	u, err := s.Flow.AuthURL(ctx, p, c, s.CallbackURL, state, st.Verifier, st.Nonce)
	if errors.Is(err, ErrProvider) {
		// The provider's discovery failed: the user may try again later.
		return "", errs.New(errs.BadRequest, "oauth_provider_unavailable", "Provider unavailable",
			"The sign-in provider cannot be reached right now. Please try again later, or use another method.").WithParam("strategy")
	}
	if err != nil {
		return "", err
	}
	now := s.Now()
	if err := s.Store.SaveOAuthState(ctx, stateDigest(state), data, now.Add(StateTTL).UnixMilli(), now.UnixMilli()); err != nil {
		return "", err
	}
	return u, nil
}

// ErrState is a callback whose state is unknown, used or expired.
var ErrState = errs.New(errs.BadRequest, "oauth_state_invalid", "Invalid state",
	"This sign-in with a provider is unknown, expired or already used: start again.")

// TakeState redeems a callback's state, once.
func (s *Service) TakeState(ctx context.Context, state string) (*State, error) {
	if state == "" || len(state) > 200 {
		return nil, ErrState
	}
	data, err := s.Store.TakeOAuthState(ctx, stateDigest(state), s.Now().UnixMilli())
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, ErrState
	}
	if err != nil {
		return nil, err
	}
	var st State
	return &st, json.Unmarshal(data, &st)
}

// Exchange trades the callback's code for the user's identity.
func (s *Service) Exchange(ctx context.Context, st *State, code string) (*Identity, error) {
	c, p, err := s.Lookup(ctx, st.Strategy)
	if err != nil {
		return nil, err
	}
	return s.Flow.Exchange(ctx, p, c, s.CallbackURL, code, st.Verifier, st.Nonce)
}

func (s *Service) seal(plain []byte) ([]byte, error)  { return seal.Seal(s.Key, plain, nil) }
func (s *Service) open(sealed []byte) ([]byte, error) { return seal.Open(s.Key, sealed, nil) }

// SealTokens returns id with its tokens sealed, to be stored.
func (s *Service) SealTokens(in Identity) (Identity, error) {
	for _, t := range []*string{&in.AccessToken, &in.RefreshToken} {
		if *t == "" {
			continue
		}
		b, err := s.seal([]byte(*t))
		if err != nil {
			return in, err
		}
		*t = base64.RawStdEncoding.EncodeToString(b)
	}
	return in, nil
}

// OpenTokens reverses SealTokens.
func (s *Service) OpenTokens(in Identity) (Identity, error) {
	for _, t := range []*string{&in.AccessToken, &in.RefreshToken} {
		if *t == "" {
			continue
		}
		b, err := base64.RawStdEncoding.DecodeString(*t)
		if err != nil {
			return in, err
		}
		plain, err := s.open(b)
		if err != nil {
			return in, err
		}
		*t = string(plain)
	}
	return in, nil
}
