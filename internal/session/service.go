package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/conciergehq/concierge/internal/disposable"
	"github.com/conciergehq/concierge/internal/signintoken"
	"math/big"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/jwttemplate"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/signup"
	"github.com/conciergehq/concierge/internal/token"
	"github.com/conciergehq/concierge/internal/user"
)

// Users is what the flows need of the user store.
type Users interface {
	User(ctx context.Context, id string) (*user.User, error)
	// UserByIdentifier finds the user holding an email address, phone
	// number or username (normalized), or returns a not-found error.
	UserByIdentifier(ctx context.Context, value string) (*user.User, *user.Identifier, error)
	UpdateUser(ctx context.Context, id string, fn func(*user.User) error) (*user.User, error)
	// CountFailure stores the failed-attempt count and lockout fn sets
	// on the user, recording a lockout that begins at now.
	CountFailure(ctx context.Context, id string, now int64, fn func(*user.User)) (*user.User, error)
}

// Config holds the policies of sessions and codes.
type Config struct {
	// Issuer is the iss of session tokens: the public URL.
	Issuer string
	// TokenTTL is a session token's lifetime (Clerk: 60 s).
	TokenTTL time.Duration
	// Lifetime is how long a session lasts (expire_at, Clerk: 7 days).
	Lifetime time.Duration
	// Inactivity ends a session nobody used for that long (abandon_at).
	Inactivity  time.Duration
	EmailDomain string
	SMSFrom     string
}

// Service runs the sign-up, sign-in and session flows.
type Service struct {
	Store       Store
	Users       Users
	UserRules   *user.Service
	Keys        *token.Keyring
	Invitations *invitation.Service
	// OrgInvitations checks organization invitation tickets and holds
	// the roles whose custom permissions tokens carry; nil: none.
	OrgInvitations *organization.Service
	// Tickets checks sign-in and actor tokens (the ticket strategy).
	Tickets *signintoken.Service
	Lists   signup.Lists
	// Disposable is the disposable-mail domain list the
	// block_disposable_email_domains restriction refuses (nil: none).
	Disposable *disposable.List
	// Live returns the instance settings in force: sign-up mode and
	// requirements, session and token lifetimes, application name.
	Live func(context.Context) (instance.Live, error)
	// ClientKey signs client tokens; CodeKey hashes verification codes.
	ClientKey, CodeKey []byte
	Config             Config
	// Templates are the JWT templates.
	Templates *jwttemplate.Service
	// Orgs says where a session's user belongs, for the o claim.
	Orgs Organizations
	// OAuth runs social sign-in; External stores external accounts.
	OAuth    *oauth.Service
	External External
	// Passkeys runs passkey sign-ins (nil: none).
	Passkeys *passkey.Service
	// EmailLinks issues and opens email links (nil: none offered).
	EmailLinks *emaillink.Service
	// Wake is called after a code was queued.
	Wake func()
	Now  func() time.Time
}

// Code policy.
const (
	codeTTL         = 10 * time.Minute
	codeMaxAttempts = 3
	codeResendAfter = 30 * time.Second
	attemptTTL      = 24 * time.Hour // an unfinished sign-in or sign-up is abandoned
)

// --- clients -------------------------------------------------------------

type clientClaims struct {
	ID       string `json:"id"`
	Rotating string `json:"rotating_token"`
	IssuedAt int64  `json:"iat"`
}

// clientToken signs {id, rotating_token}: the __client cookie's value.
func (s *Service) clientToken(clientID, rotating string) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: s.ClientKey}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(clientClaims{ID: clientID, Rotating: rotating, IssuedAt: s.Now().Unix()}).Serialize()
}

// NewClient creates a client and returns it with its token.
func (s *Service) NewClient(ctx context.Context) (*Client, string, error) {
	now := s.Now()
	ms := now.UnixMilli()
	rot := id.Secret()
	c := &Client{ID: id.NewAt(id.Client, now), RotatingHash: id.Digest(rot), CreatedAt: ms, UpdatedAt: ms, Sessions: []*Session{}}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return nil, "", err
	}
	tok, err := s.clientToken(c.ID, rot)
	return c, tok, err
}

var errClientToken = errs.New(errs.BadRequest, "client_not_found", "client not found",
	"The client token is invalid or was replaced: start again.")

// ClientFromToken returns the client a token names, if the token is
// genuine and current (its rotating token was not replaced since). Only
// the client's own row is loaded: use Client for its sessions.
func (s *Service) ClientFromToken(ctx context.Context, raw string) (*Client, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return nil, errClientToken
	}
	var c clientClaims
	if err := tok.Claims(s.ClientKey, &c); err != nil || c.ID == "" {
		return nil, errClientToken
	}
	cl, err := s.Store.ClientRow(ctx, c.ID)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil, errClientToken
	} else if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(cl.RotatingHash), []byte(id.Digest(c.Rotating))) {
		return nil, errClientToken
	}
	return cl, nil
}

// Client reloads a client.
func (s *Service) Client(ctx context.Context, id string) (*Client, error) {
	return s.Store.Client(ctx, id)
}

// rotate replaces a client's rotating token, as every sign-in does, so a
// client token captured before it stops working; it returns the new
// client token.
func (s *Service) rotation(clientID string) (hash, tok string, err error) {
	rot := id.Secret()
	tok, err = s.clientToken(clientID, rot)
	return id.Digest(rot), tok, err
}

// --- codes ---------------------------------------------------------------

func (s *Service) codeHash(attemptID, code string) string {
	mac := hmac.New(sha256.New, s.CodeKey)
	mac.Write([]byte(attemptID + ":" + code))
	return hex.EncodeToString(mac.Sum(nil))
}

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

// sendCode makes a code for v, queues it to the address or number (as
// channel) and records its hash.
func (s *Service) sendCode(ctx context.Context, v *Verification, attemptID, strategy, to string, now time.Time) error {
	if v.SentAt != 0 && now.Sub(time.UnixMilli(v.SentAt)) < codeResendAfter && v.Status == "unverified" && v.Strategy == strategy {
		e := errs.New(errs.TooManyRequests, "verification_code_too_many_requests", "Too many requests",
			"A code was sent moments ago. Wait before asking for another one.")
		e.RetryAfter = int((codeResendAfter - now.Sub(time.UnixMilli(v.SentAt))).Seconds()) + 1
		return e
	}
	code := newCode()
	live, err := s.Live(ctx)
	if err != nil {
		return err
	}
	app := live.AppName
	var m *delivery.Message
	if strategy == "phone_code" {
		text, err := delivery.RenderSMS("verification_code", delivery.Code{AppName: app, Code: code})
		if err != nil {
			return err
		}
		m = delivery.NewSMS(now, live.SMSSender(), to, text)
	} else {
		subject, html, text, err := delivery.RenderEmail("verification_code", delivery.Code{AppName: app, Code: code})
		if err != nil {
			return err
		}
		m = delivery.NewEmail(now, "noreply", s.Config.EmailDomain, to, subject, html, text)
	}
	m.Slug = "verification_code"
	if to != "" {
		if err := s.Store.Queue(ctx, m); err != nil {
			return err
		}
		if s.Wake != nil {
			s.Wake()
		}
	}
	*v = Verification{Status: "unverified", Strategy: strategy, ExpireAt: now.Add(codeTTL).UnixMilli(),
		CodeHash: s.codeHash(attemptID, code), SentAt: now.UnixMilli()}
	return nil
}

var errCodeIncorrect = errs.New(errs.Invalid, "form_code_incorrect", "Incorrect code", "The code is incorrect. Try again.").WithParam("code")

// checkCode applies one attempt of code to v.
func (s *Service) checkCode(v *Verification, attemptID, code string, now time.Time) error {
	switch {
	case v == nil || v.CodeHash == "":
		return errs.New(errs.BadRequest, "verification_missing", "Verification missing",
			"No code was sent yet: prepare the verification first.")
	case v.Status == "verified":
		return errs.New(errs.BadRequest, "verification_already_verified", "Already verified", "This was already verified.")
	case v.Status == "failed" || v.Attempts >= codeMaxAttempts:
		return errs.New(errs.BadRequest, "verification_failed", "Too many failed attempts",
			"Too many failed attempts: ask for a new code.")
	case now.UnixMilli() >= v.ExpireAt:
		v.Status = "expired"
		return errs.New(errs.BadRequest, "verification_expired", "Verification expired",
			"The code has expired: ask for a new one.")
	}
	v.Attempts++
	if !hmac.Equal([]byte(v.CodeHash), []byte(s.codeHash(attemptID, code))) {
		if v.Attempts >= codeMaxAttempts {
			v.Status = "failed"
		}
		return errCodeIncorrect
	}
	v.Status = "verified"
	return nil
}

// --- sessions ------------------------------------------------------------

func (s *Service) newSession(ctx context.Context, clientID, userID string, now time.Time) (*Session, error) {
	live, err := s.Live(ctx)
	if err != nil {
		return nil, err
	}
	ms := now.UnixMilli()
	return &Session{ID: id.NewAt(id.Session, now), ClientID: clientID, UserID: userID, Status: Active,
		LastActiveAt: ms, ExpireAt: now.Add(live.SessionLifetime).UnixMilli(),
		AbandonAt: now.Add(live.SessionInactivity).UnixMilli(), FactorOneAt: ms, CreatedAt: ms, UpdatedAt: ms}, nil
}

// Session returns a session.
func (s *Service) Session(ctx context.Context, id string) (*Session, error) {
	return s.Store.Session(ctx, id)
}

// Sessions lists sessions for the Backend API.
func (s *Service) Sessions(ctx context.Context, f Filter) ([]*Session, int64, error) {
	f.Now = s.Now().UnixMilli()
	return s.Store.Sessions(ctx, f)
}

// Clients lists clients for the Backend API.
func (s *Service) Clients(ctx context.Context, limit, offset int) ([]*Client, int64, error) {
	return s.Store.Clients(ctx, limit, offset)
}

// Revoke revokes a session (Backend API): it mints no more tokens.
func (s *Service) Revoke(ctx context.Context, id string) (*Session, error) {
	return s.end(ctx, nil, id, Revoked)
}

// End signs a session out (ended) or drops it from its client (removed).
// c, when given, must own the session.
func (s *Service) End(ctx context.Context, c *Client, id, status string) (*Session, error) {
	return s.end(ctx, c, id, status)
}

func (s *Service) end(ctx context.Context, c *Client, id, status string) (*Session, error) {
	sess, err := s.Store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	if c != nil && sess.ClientID != c.ID {
		return nil, NotFound("session", id)
	}
	now := s.Now().UnixMilli()
	if sess.StatusAt(now) != Active {
		if status == Revoked && sess.Status == Revoked {
			return sess, nil
		}
		return nil, errs.New(errs.BadRequest, "session_not_active", "Session is not active",
			"Only an active session can be ended or revoked; this one is "+sess.StatusAt(now)+".")
	}
	return s.Store.SetSessionStatus(ctx, id, status, now)
}

// SignOut ends every active session of a client (FAPI DELETE
// /v1/client/sessions, and DELETE /v1/client).
func (s *Service) SignOut(ctx context.Context, c *Client) error {
	return s.Store.EndClientSessions(ctx, c.ID, Ended, s.Now().UnixMilli())
}

// EndUserSessions ends a user's active sessions: when the user is
// deleted (ended) or banned (revoked).
func (s *Service) EndUserSessions(ctx context.Context, userID, status string) error {
	return s.Store.EndUserSessions(ctx, userID, status, s.Now().UnixMilli())
}

// Touch records activity on a session of c.
func (s *Service) Touch(ctx context.Context, c *Client, id string, org *string) (*Session, error) {
	sess, err := s.activeSession(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if org != nil && *org != "" {
		// By ID or slug, as clerk-js sends either; only a member works in
		// an organization, and a stranger learns nothing of it.
		o, err := s.Orgs.Organization(ctx, *org)
		if err == nil {
			_, _, err = s.Orgs.MemberOf(ctx, o.ID, sess.UserID)
		}
		var e *errs.Error
		if errors.As(err, &e) && e.Kind == errs.NotFound {
			return nil, errs.New(errs.NotFound, "organization_not_found_or_unauthorized",
				"Given organization not found, or you don't have permission to access the organization",
				"No organization "+*org+" of which this session's user is a member.")
		}
		if err != nil {
			return nil, err
		}
		org = &o.ID
	}
	live, err := s.Live(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return s.Store.TouchSession(ctx, sess.ID, now.UnixMilli(), now.Add(live.SessionInactivity).UnixMilli(), org)
}

// activeSession returns an active session, of c when c is given.
func (s *Service) activeSession(ctx context.Context, c *Client, id string) (*Session, error) {
	sess, err := s.Store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	if c != nil && sess.ClientID != c.ID {
		return nil, NotFound("session", id)
	}
	if sess.StatusAt(s.Now().UnixMilli()) != Active {
		return nil, errSignedOut
	}
	return sess, nil
}

// Organizations is what sessions need of organizations.
type Organizations interface {
	Organization(ctx context.Context, idOrSlug string) (*organization.Organization, error)
	MemberOf(ctx context.Context, orgID, userID string) (*organization.Membership, *organization.Organization, error)
}

// Token mints a session token for an active session (of c, when given);
// origin becomes azp.
func (s *Service) Token(ctx context.Context, c *Client, id, origin string) (string, error) {
	return s.mint(ctx, c, id, origin, 0)
}

// ActiveToken mints a session token for the client's last active session,
// with its claims; "" when the client has no active session.
func (s *Service) ActiveToken(ctx context.Context, c *Client, origin string) (string, *token.Claims, error) {
	if c.LastActiveSessionID == nil {
		return "", nil, nil
	}
	live, err := s.Live(ctx)
	if err != nil {
		return "", nil, err
	}
	sess, err := s.activeSession(ctx, c, *c.LastActiveSessionID)
	if e, ok := errs.As(err); ok && (e.Kind == errs.NotFound || e.Code == "signed_out") {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	return s.sign(ctx, sess, origin, live.SessionTokenTTL, live)
}

// sign mints a session token with the settings in force (live), read
// once by the caller: minting is a hot path.
func (s *Service) sign(ctx context.Context, sess *Session, origin string, ttl time.Duration, live instance.Live) (string, *token.Claims, error) {
	m, o, err := s.activeOrg(ctx, sess)
	if err != nil {
		return "", nil, err
	}
	var extra map[string]any
	pending := false
	if live.SessionClaims != nil || live.MFARequired {
		// Only instances with custom claims or a required second factor
		// pay for reading the user.
		u, err := s.Users.User(ctx, sess.UserID)
		if err != nil {
			return "", nil, err
		}
		pending = len(Tasks(live, u)) > 0
		if live.SessionClaims != nil {
			scope, err := s.scope(ctx, u, m, o)
			if err != nil {
				return "", nil, err
			}
			extra = live.SessionClaims.Render(scope)
		}
	}
	org, err := s.orgClaim(ctx, m, o)
	if err != nil {
		return "", nil, err
	}
	return s.Keys.Sign(token.Mint{Issuer: s.Config.Issuer, UserID: sess.UserID, SessionID: sess.ID,
		Origin: origin, FactorAge: sess.FactorAge(s.Now().UnixMilli()), TTL: ttl, Extra: extra, Org: org, Pending: pending,
		Actor: sess.Actor}, s.Now())
}

// TaskSetupMFA is Clerk's session task of adding a second factor.
const TaskSetupMFA = "setup-mfa"

// Tasks are what a user's sessions must do before they count as signed
// in (status pending): add a second factor, when the instance requires
// one and the user has none.
func Tasks(live instance.Live, u *user.User) []string {
	if live.MFARequired && !u.TwoFactorEnabled() {
		return []string{TaskSetupMFA}
	}
	return nil
}

// activeOrg is the membership and organization a session works in, read
// at every mint so that a role change or a removal shows in the next
// token; nil when there is none or the user is no longer a member.
func (s *Service) activeOrg(ctx context.Context, sess *Session) (*organization.Membership, *organization.Organization, error) {
	if sess.LastActiveOrganizationID == nil || s.Orgs == nil {
		return nil, nil, nil
	}
	m, o, err := s.Orgs.MemberOf(ctx, *sess.LastActiveOrganizationID, sess.UserID)
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.NotFound {
		return nil, nil, nil
	}
	return m, o, err
}

// scope is what a template's shortcodes read: the user, and the active
// organization (if any) with the member's role.
func (s *Service) scope(ctx context.Context, u *user.User, m *organization.Membership, o *organization.Organization) (jwttemplate.Scope, error) {
	sc := jwttemplate.Scope{User: jwttemplate.UserValues(u, user.PlaceholderImage(s.Config.Issuer, u.ID))}
	if m == nil {
		return sc, nil
	}
	img := user.PlaceholderImage(s.Config.Issuer, o.ID)
	if o.ImageURL != nil {
		img = *o.ImageURL
	}
	perms := []string{}
	if s.OrgInvitations != nil {
		set, err := s.OrgInvitations.RoleSet(ctx)
		if err != nil {
			return sc, err
		}
		perms = set.RolePermissions(m.Role)
	}
	sc.Org = jwttemplate.OrgValues(o.ID, o.Name, o.Slug, img, o.ImageURL != nil, o.PublicMetadata, m.Role, perms)
	return sc, nil
}

// orgClaim is the o claim of the active organization; nil for none.
func (s *Service) orgClaim(ctx context.Context, m *organization.Membership, o *organization.Organization) (*token.OrgClaim, error) {
	if m == nil {
		return nil, nil
	}
	c := &token.OrgClaim{ID: o.ID, Slug: o.Slug, Role: strings.TrimPrefix(m.Role, "org:")}
	if s.OrgInvitations != nil {
		set, err := s.OrgInvitations.RoleSet(ctx)
		if err != nil {
			return nil, err
		}
		c.Features, c.Permissions, c.FeaturePermissionMap = set.TokenClaims(m.Role)
	}
	return c, nil
}

// TemplateToken mints a token from the JWT template name for an active
// session (of c, when given); origin becomes azp.
func (s *Service) TemplateToken(ctx context.Context, c *Client, sessionID, name, origin string) (string, error) {
	sess, err := s.activeSession(ctx, c, sessionID)
	if err != nil {
		return "", err
	}
	t, err := s.Templates.Get(ctx, name)
	if err != nil {
		return "", err
	}
	u, err := s.Users.User(ctx, sess.UserID)
	if err != nil {
		return "", err
	}
	m, o, err := s.activeOrg(ctx, sess)
	if err != nil {
		return "", err
	}
	scope, err := s.scope(ctx, u, m, o)
	if err != nil {
		return "", err
	}
	claims, err := t.TokenClaims(jwttemplate.Subject{Issuer: s.Config.Issuer, UserID: u.ID, SessionID: sess.ID, Origin: origin,
		Scope: scope}, s.Now())
	if err != nil {
		return "", err
	}
	if t.CustomSigningKey {
		return t.SignCustom(claims)
	}
	return s.Keys.SignWithHeader(claims, map[jose.HeaderKey]any{"cat": jwttemplate.Category})
}

// TokenTTL mints a token with another lifetime (Backend API
// expires_in_seconds); 0 means the default.
func (s *Service) TokenTTL(ctx context.Context, id string, ttl time.Duration) (string, error) {
	return s.mint(ctx, nil, id, "", ttl)
}

// mint signs a token for an active session; ttl 0 is the instance's.
func (s *Service) mint(ctx context.Context, c *Client, id, origin string, ttl time.Duration) (string, error) {
	live, err := s.Live(ctx)
	if err != nil {
		return "", err
	}
	if ttl == 0 {
		ttl = live.SessionTokenTTL
	}
	// A ban revokes the user's sessions and a deletion ends them, in the
	// same transaction: an active session is all a token needs.
	sess, err := s.activeSession(ctx, c, id)
	if err != nil {
		return "", err
	}
	jwt, _, err := s.sign(ctx, sess, origin, ttl, live)
	return jwt, err
}

var errBanned = errs.New(errs.Forbidden, "user_banned", "Banned", "This account is banned.")

// VerifyToken checks that raw is a valid session token of session id.
func (s *Service) VerifyToken(ctx context.Context, id, raw string) (*Session, error) {
	invalid := errs.New(errs.BadRequest, "invalid_session_token", "Invalid session token",
		"The token is not a valid session token of this session.").WithParam("token")
	if raw == "" {
		return nil, invalid
	}
	c, err := s.Keys.Verify(raw, s.Config.Issuer, s.Now())
	if err != nil || c.SessionID != id {
		return nil, invalid
	}
	sess, err := s.Store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	if sess.StatusAt(s.Now().UnixMilli()) != Active {
		return nil, invalid
	}
	return sess, nil
}

// CreateForUser opens a session for a user on a new client, without a
// sign-in: the Backend API's testing endpoint.
func (s *Service) CreateForUser(ctx context.Context, userID string) (*Session, error) {
	if _, err := s.Users.User(ctx, userID); err != nil {
		return nil, err
	}
	now := s.Now()
	ms := now.UnixMilli()
	c := &Client{ID: id.NewAt(id.Client, now), RotatingHash: id.Digest(id.Secret()), CreatedAt: ms, UpdatedAt: ms}
	sess, err := s.newSession(ctx, c.ID, userID, now)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateSession(ctx, c, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// VerifyClient returns the client a token stands for (Backend API): a
// current client token, or (as Clerk's SDK documentation describes
// verifyClient) a valid session token of an active session on it.
func (s *Service) VerifyClient(ctx context.Context, raw string) (*Client, error) {
	if raw == "" {
		return nil, errs.ParamMissing("token")
	}
	if claims, err := s.Keys.Verify(raw, s.Config.Issuer, s.Now()); err == nil {
		sess, err := s.activeSession(ctx, nil, claims.SessionID)
		if err != nil {
			return nil, errs.New(errs.BadRequest, "client_token_invalid", "Invalid client token",
				"The session of that token is no longer active.").WithParam("token")
		}
		return s.Store.Client(ctx, sess.ClientID)
	}
	c, err := s.ClientFromToken(ctx, raw)
	if err != nil {
		return nil, errs.New(errs.BadRequest, "client_token_invalid", "Invalid client token",
			"The token is neither a current client token nor a valid session token.").WithParam("token")
	}
	return s.Store.Client(ctx, c.ID)
}
