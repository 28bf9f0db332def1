package session

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/user"
)

// External is what social sign-in needs of the store: finding a user by
// a provider's account, and attaching or refreshing one.
type External interface {
	UserByExternalAccount(ctx context.Context, strategy, providerUserID string) (*user.User, error)
	AddIdentifier(ctx context.Context, idn *user.Identifier) error
	SetIdentifierData(ctx context.Context, userID, identifierID, data string, now int64) error
}

// IsOAuth reports whether strategy is a social one (oauth_*).
func IsOAuth(strategy string) bool {
	return strings.HasPrefix(strategy, "oauth_") && !strings.HasPrefix(strategy, "oauth_token_")
}

// OAuthStart is where a social flow started and goes back to.
type OAuthStart struct {
	Strategy    string
	Scopes      []string // beyond the provider's (reauthorization)
	RedirectURL string   // the application's page that finishes the flow
	CompleteURL string   // where to land once signed in
	DevBrowser  bool
}

// StartOAuthSignIn begins a sign-in through a provider: the sign-in's
// first factor is an unverified external verification whose URL leads to
// the provider.
func (s *Service) StartOAuthSignIn(ctx context.Context, c *Client, st OAuthStart) (*SignIn, error) {
	now := s.Now()
	ms := now.UnixMilli()
	si := &SignIn{ID: id.NewAt(id.SignIn, now), ClientID: c.ID, Status: NeedsFirstFactor,
		AbandonAt: now.Add(attemptTTL).UnixMilli(), CreatedAt: ms, UpdatedAt: ms}
	u, err := s.OAuth.Begin(ctx, oauth.State{Flow: "sign_in", ClientID: c.ID, FlowID: si.ID, Strategy: st.Strategy,
		RedirectURL: st.RedirectURL, CompleteURL: st.CompleteURL, DevBrowser: st.DevBrowser})
	if err != nil {
		return nil, err
	}
	si.FirstFactor = &Verification{Status: "unverified", Strategy: st.Strategy, ExternalURL: u, ExpireAt: now.Add(oauth.StateTTL).UnixMilli()}
	return si, s.Store.SaveSignIn(ctx, si)
}

// StartOAuthSignUp begins a sign-up through a provider.
func (s *Service) StartOAuthSignUp(ctx context.Context, c *Client, st OAuthStart) (*SignUp, error) {
	su, _, err := s.CreateSignUp(ctx, c, SignUpParams{})
	if err != nil {
		return nil, err
	}
	u, err := s.OAuth.Begin(ctx, oauth.State{Flow: "sign_up", ClientID: c.ID, FlowID: su.ID, Strategy: st.Strategy,
		RedirectURL: st.RedirectURL, CompleteURL: st.CompleteURL, DevBrowser: st.DevBrowser})
	if err != nil {
		return nil, err
	}
	su.ExternalVerification = &Verification{Status: "unverified", Strategy: st.Strategy, ExternalURL: u,
		ExpireAt: s.Now().Add(oauth.StateTTL).UnixMilli()}
	return su, s.Store.SaveSignUp(ctx, su)
}

// OAuthResult is where a provider's callback sends the browser next.
type OAuthResult struct {
	Target string
	// ClientToken is the client's rotated token when the flow signed in.
	ClientToken string
	DevBrowser  bool
}

// OAuthCallback finishes what the provider answered: a sign-in completes
// (or becomes transferable to a sign-up, or links to the user with the
// same verified email), a sign-up completes or asks for what is
// missing. Failures are recorded on the flow for the application to
// show; only an unusable state is an error here.
func (s *Service) OAuthCallback(ctx context.Context, state, code, providerError string) (*OAuthResult, error) {
	st, err := s.OAuth.TakeState(ctx, state)
	if err != nil {
		return nil, err
	}
	res := &OAuthResult{Target: st.RedirectURL, DevBrowser: st.DevBrowser}
	c, err := s.Store.Client(ctx, st.ClientID)
	if err != nil {
		return nil, err
	}
	var ident *oauth.Identity
	failure := ""
	switch {
	case providerError == "access_denied":
		failure = "oauth_access_denied"
	case providerError != "" || code == "":
		failure = "oauth_callback_invalid"
	default:
		ident, err = s.OAuth.Exchange(ctx, st, code)
		if errors.Is(err, oauth.ErrProvider) {
			failure = "oauth_token_exchange_error"
		} else if err != nil {
			return nil, err
		}
	}
	switch st.Flow {
	case "sign_in":
		res.ClientToken, err = s.oauthSignIn(ctx, c, st, ident, failure)
	case "sign_up":
		res.ClientToken, err = s.oauthSignUp(ctx, c, st, ident, failure)
	case "connect":
		err = s.oauthConnect(ctx, st, ident, failure)
	}
	return res, err
}

// sealedIdentity is id as stored: tokens sealed.
func (s *Service) sealedIdentity(id *oauth.Identity) (*oauth.Identity, error) {
	sealed, err := s.OAuth.SealTokens(*id)
	return &sealed, err
}

// externalIdentifier is the identifier an external account is kept as.
func (s *Service) externalIdentifier(userID string, ident *oauth.Identity, ms int64) (user.Identifier, error) {
	sealed, err := s.sealedIdentity(ident)
	if err != nil {
		return user.Identifier{}, err
	}
	return s.externalIdentifierSealed(userID, sealed, ms)
}

// externalIdentifierSealed is externalIdentifier for an identity whose
// tokens are sealed already.
func (s *Service) externalIdentifierSealed(userID string, sealed *oauth.Identity, ms int64) (user.Identifier, error) {
	ident := sealed
	data, err := json.Marshal(sealed)
	if err != nil {
		return user.Identifier{}, err
	}
	return user.Identifier{ID: id.New(id.Identifier), UserID: userID, Kind: user.IdentifierKind(ident.Strategy),
		Value: ident.ProviderUserID, VerificationStatus: user.StatusVerified, VerificationStrategy: ident.Strategy,
		Data: string(data), CreatedAt: ms, UpdatedAt: ms}, nil
}

func (s *Service) oauthSignIn(ctx context.Context, c *Client, st *oauth.State, ident *oauth.Identity, failure string) (string, error) {
	si, err := s.SignIn(ctx, c, st.FlowID)
	if err != nil {
		return "", err
	}
	ms := s.Now().UnixMilli()
	si.UpdatedAt = ms
	v := si.FirstFactor
	if v == nil {
		v = &Verification{Strategy: st.Strategy}
		si.FirstFactor = v
	}
	v.ExternalURL = ""
	if failure != "" {
		v.Status, v.Error = "failed", failure
		return "", s.Store.SaveSignIn(ctx, si)
	}
	u, err := s.userForIdentity(ctx, ident)
	if err != nil {
		return "", err
	}
	if u == nil {
		// No account: the application may turn this into a sign-up.
		v.Status, v.Error = "transferable", "external_account_not_found"
		if si.Transfer, err = s.sealedIdentity(ident); err != nil {
			return "", err
		}
		return "", s.Store.SaveSignIn(ctx, si)
	}
	if u.Banned {
		v.Status, v.Error = "failed", "user_banned"
		return "", s.Store.SaveSignIn(ctx, si)
	}
	v.Status, v.Error = "verified", ""
	si.UserID, si.Identifier = u.ID, ident.Email
	_, tok, err := s.completeSignIn(ctx, c, si, u, st.Strategy)
	return tok, err
}

// userForIdentity finds the user a provider's identity signs in: the
// holder of that external account, else (when the provider's set-up
// allows it and both sides verified the address) the user with the same
// email, to whom the account is then attached. nil: nobody.
func (s *Service) userForIdentity(ctx context.Context, ident *oauth.Identity) (*user.User, error) {
	u, err := s.External.UserByExternalAccount(ctx, ident.Strategy, ident.ProviderUserID)
	if err == nil {
		return u, s.refreshExternal(ctx, u, ident)
	}
	if e, ok := errs.As(err); !ok || e.Kind != errs.NotFound {
		return nil, err
	}
	cfg, _, err := s.OAuth.Lookup(ctx, ident.Strategy)
	if err != nil {
		return nil, err
	}
	if !cfg.LinkByEmail || !ident.EmailVerified || ident.Email == "" {
		return nil, nil
	}
	u, idn, err := s.Users.UserByIdentifier(ctx, ident.Email)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if idn == nil || idn.Kind != user.EmailAddress || idn.VerificationStatus != user.StatusVerified {
		return nil, nil
	}
	ext, err := s.externalIdentifier(u.ID, ident, s.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	if err := s.External.AddIdentifier(ctx, &ext); err != nil {
		return nil, err
	}
	return s.Users.User(ctx, u.ID)
}

// refreshExternal stores the profile and tokens a new sign-in brought.
func (s *Service) refreshExternal(ctx context.Context, u *user.User, ident *oauth.Identity) error {
	for _, idn := range u.Identifiers {
		if string(idn.Kind) == ident.Strategy && idn.Value == ident.ProviderUserID {
			ext, err := s.externalIdentifier(u.ID, ident, s.Now().UnixMilli())
			if err != nil {
				return err
			}
			return s.External.SetIdentifierData(ctx, u.ID, idn.ID, ext.Data, ext.UpdatedAt)
		}
	}
	return nil
}

// TransferSignUp turns the client's transferable social sign-in into a
// sign-up with the provider's identity (clerk-js signUp.create({transfer:
// true})).
func (s *Service) TransferSignUp(ctx context.Context, c *Client, p SignUpParams) (*SignUp, string, error) {
	if c.SignIn == nil || c.SignIn.Transfer == nil {
		return nil, "", errs.New(errs.BadRequest, "transfer_invalid", "Nothing to transfer",
			"There is no sign-in through a provider to turn into a sign-up.")
	}
	ident := *c.SignIn.Transfer
	su, _, err := s.CreateSignUp(ctx, c, SignUpParams{})
	if err != nil {
		return nil, "", err
	}
	su.ExternalVerification = &Verification{Status: "verified", Strategy: ident.Strategy}
	return s.applyExternal(ctx, c, su, &ident, p)
}

func (s *Service) oauthSignUp(ctx context.Context, c *Client, st *oauth.State, ident *oauth.Identity, failure string) (string, error) {
	su, err := s.SignUp(ctx, c, st.FlowID)
	if err != nil {
		return "", err
	}
	v := su.ExternalVerification
	if v == nil {
		v = &Verification{Strategy: st.Strategy}
		su.ExternalVerification = v
	}
	v.ExternalURL = ""
	su.UpdatedAt = s.Now().UnixMilli()
	if failure != "" {
		v.Status, v.Error = "failed", failure
		return "", s.Store.SaveSignUp(ctx, su)
	}
	// An account that exists already signs in instead.
	if u, err := s.userForIdentity(ctx, ident); err != nil {
		return "", err
	} else if u != nil {
		v.Status, v.Error = "transferable", "external_account_exists"
		return "", s.Store.SaveSignUp(ctx, su)
	}
	sealed, err := s.sealedIdentity(ident)
	if err != nil {
		return "", err
	}
	v.Status = "verified"
	_, tok, err := s.applyExternal(ctx, c, su, sealed, SignUpParams{})
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal {
		// Refused (sign-up mode, an address taken): on the flow, for the
		// application to show, and no user made.
		v.Status, v.Error = "failed", e.Code
		return "", s.Store.SaveSignUp(ctx, su)
	}
	return tok, err
}

// applyExternal fills a sign-up from a provider's identity (tokens
// sealed) and completes it when nothing else is needed.
func (s *Service) applyExternal(ctx context.Context, c *Client, su *SignUp, ident *oauth.Identity, p SignUpParams) (*SignUp, string, error) {
	cfg, _, err := s.OAuth.Lookup(ctx, ident.Strategy)
	if err != nil {
		return nil, "", err
	}
	if !cfg.AllowSignUp {
		return nil, "", errs.New(errs.Forbidden, "sign_up_restricted_to_sign_in", "Sign-up not allowed",
			"New accounts cannot be made through this provider: sign in with an existing account.")
	}
	su.External = ident
	su.FirstName, su.LastName = ident.FirstName, ident.LastName
	if ident.Email != "" {
		if err := s.taken(ctx, ident.Email, "email_address", "email address"); err != nil {
			return nil, "", err
		}
		su.EmailAddress = ident.Email
		if ident.EmailVerified {
			su.Email = &Verification{Status: "verified", Strategy: ident.Strategy}
		}
	}
	if err := s.allowed(ctx, su); err != nil {
		return nil, "", err
	}
	if len(su.MissingFields()) == 0 && len(su.UnverifiedFields()) == 0 {
		return s.completeSignUp(ctx, c, su)
	}
	su.UpdatedAt = s.Now().UnixMilli()
	return su, "", s.Store.SaveSignUp(ctx, su)
}

// StartConnect begins attaching another provider's account to a signed-
// in user (UserProfile's "Connect account").
func (s *Service) StartConnect(ctx context.Context, c *Client, u *user.User, st OAuthStart) (string, error) {
	return s.OAuth.Begin(ctx, oauth.State{Flow: "connect", ClientID: c.ID, FlowID: u.ID, Strategy: st.Strategy,
		RedirectURL: st.RedirectURL, DevBrowser: st.DevBrowser, Scopes: st.Scopes})
}

func (s *Service) oauthConnect(ctx context.Context, st *oauth.State, ident *oauth.Identity, failure string) error {
	if failure != "" {
		return nil // the user is back on the profile, unchanged
	}
	if holder, err := s.External.UserByExternalAccount(ctx, ident.Strategy, ident.ProviderUserID); err == nil {
		if holder.ID == st.FlowID {
			return s.refreshExternal(ctx, holder, ident)
		}
		return nil // another user's account: not moved
	} else if e, ok := errs.As(err); !ok || e.Kind != errs.NotFound {
		return err
	}
	ext, err := s.externalIdentifier(st.FlowID, ident, s.Now().UnixMilli())
	if err != nil {
		return err
	}
	return s.External.AddIdentifier(ctx, &ext)
}

// WithDevBrowser adds a development browser's token to a URL, as
// clerk-js reads it back (__clerk_db_jwt).
func WithDevBrowser(target, tok string) string {
	u, err := url.Parse(target)
	if err != nil || tok == "" {
		return target
	}
	q := u.Query()
	q.Set("__clerk_db_jwt", tok)
	u.RawQuery = q.Encode()
	return u.String()
}

// AccessToken is a user's current token at a provider.
type AccessToken struct {
	ExternalAccountID string
	Strategy          string
	Token             string
	Scopes            []string
	ExpiresAt         int64
}

// AccessTokens returns the user's tokens at a provider, refreshing an
// expired one with its refresh token first (and keeping the new one).
func (s *Service) AccessTokens(ctx context.Context, userID, strategy string) ([]AccessToken, error) {
	u, err := s.Users.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := []AccessToken{}
	for _, idn := range u.Identifiers {
		if string(idn.Kind) != strategy {
			continue
		}
		var sealed oauth.Identity
		if err := json.Unmarshal([]byte(idn.Data), &sealed); err != nil {
			return nil, err
		}
		ident, err := s.OAuth.OpenTokens(sealed)
		if err != nil {
			return nil, err
		}
		now := s.Now()
		if ident.RefreshToken != "" && ident.ExpiresAt != 0 && ident.ExpiresAt <= now.Add(30*time.Second).UnixMilli() {
			if err := s.refreshToken(ctx, u.ID, &idn, &ident); err != nil {
				return nil, err
			}
		}
		if ident.AccessToken == "" {
			continue
		}
		out = append(out, AccessToken{ExternalAccountID: idn.ID, Strategy: strategy, Token: ident.AccessToken,
			Scopes: ident.Scopes, ExpiresAt: ident.ExpiresAt})
	}
	return out, nil
}

// refreshToken renews ident's access token at its provider and stores it.
func (s *Service) refreshToken(ctx context.Context, userID string, idn *user.Identifier, ident *oauth.Identity) error {
	cfg, p, err := s.OAuth.Lookup(ctx, ident.Strategy)
	if err != nil {
		return err
	}
	tok, err := s.OAuth.Flow.Refresh(ctx, p, cfg, ident.RefreshToken)
	if errors.Is(err, oauth.ErrProvider) {
		return errs.New(errs.BadRequest, "oauth_token_refresh_failed", "Token refresh failed",
			"The provider refused to renew the access token: the user may need to sign in with it again.")
	}
	if err != nil {
		return err
	}
	ident.AccessToken = tok.AccessToken
	if tok.RefreshToken != "" {
		ident.RefreshToken = tok.RefreshToken
	}
	ident.ExpiresAt = 0
	if !tok.Expiry.IsZero() {
		ident.ExpiresAt = tok.Expiry.UnixMilli()
	}
	ext, err := s.externalIdentifier(userID, ident, s.Now().UnixMilli())
	if err != nil {
		return err
	}
	return s.External.SetIdentifierData(ctx, userID, idn.ID, ext.Data, ext.UpdatedAt)
}
