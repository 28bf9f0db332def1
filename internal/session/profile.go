package session

import (
	"context"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/user"
)

// Profile is what the profile flows need of the store beyond Users.
type Profile interface {
	AddIdentifier(ctx context.Context, idn *user.Identifier) error
	VerifyIdentifier(ctx context.Context, userID, identifierID, strategy string, now int64) error
	DeleteIdentifier(ctx context.Context, userID, identifierID string) error
	SaveVerification(ctx context.Context, identifierID, clientID string, v *Verification, now int64) error
	Verification(ctx context.Context, identifierID string) (*Verification, error)
}

// Acting returns the session a profile call acts as: sessionID (clerk-js's
// _clerk_session_id) or else the client's last active one, which must be
// active; and its user.
func (s *Service) Acting(ctx context.Context, c *Client, sessionID string) (*Session, *user.User, error) {
	if c == nil {
		return nil, nil, errNoSession
	}
	if sessionID == "" {
		if c.LastActiveSessionID == nil {
			return nil, nil, errNoSession
		}
		sessionID = *c.LastActiveSessionID
	}
	sess, err := s.activeSession(ctx, c, sessionID)
	if err != nil {
		return nil, nil, errNoSession
	}
	u, err := s.Users.User(ctx, sess.UserID)
	if err != nil {
		return nil, nil, errNoSession
	}
	return sess, u, nil
}

// ChangePassword checks the current password and sets a new one;
// optionally it ends the user's other sessions.
func (s *Service) ChangePassword(ctx context.Context, sess *Session, u *user.User, current, next string, signOutOthers bool) (*user.User, error) {
	if u.PasswordEnabled() && !password.Verify(u.PasswordHasher, u.PasswordDigest, current) {
		return nil, errs.New(errs.Invalid, "form_password_incorrect", "Password is incorrect",
			"The current password is incorrect.").WithParam("current_password")
	}
	if err := password.Check("new_password", next, false); err != nil {
		return nil, err
	}
	h, err := password.Hash(next)
	if err != nil {
		return nil, err
	}
	ms := s.Now().UnixMilli()
	u, err = s.Users.UpdateUser(ctx, u.ID, func(x *user.User) error {
		x.SetPassword(h, "bcrypt", ms)
		x.Touch(ms)
		return nil
	})
	if err != nil || !signOutOthers {
		return u, err
	}
	others, _, err := s.Store.Sessions(ctx, Filter{UserID: u.ID, Status: Active, Limit: 500, Now: ms})
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.ID != sess.ID {
			if _, err := s.Store.SetSessionStatus(ctx, o.ID, Ended, ms); err != nil && !isNotActive(err) {
				return nil, err
			}
		}
	}
	return u, nil
}

func isNotActive(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Code == "session_not_active"
}

// AddEmail gives the user an unverified email address.
func (s *Service) AddEmail(ctx context.Context, p Profile, u *user.User, raw string) (*user.Identifier, error) {
	v, err := identifier.Email("email_address", raw)
	if err != nil {
		return nil, err
	}
	return s.addIdentifier(ctx, p, u, user.EmailAddress, v, "email_code")
}

// AddPhone gives the user an unverified phone number (E.164).
func (s *Service) AddPhone(ctx context.Context, p Profile, u *user.User, raw string) (*user.Identifier, error) {
	v, err := identifier.Phone("phone_number", raw)
	if err != nil {
		return nil, err
	}
	return s.addIdentifier(ctx, p, u, user.PhoneNumber, v, "phone_code")
}

func (s *Service) addIdentifier(ctx context.Context, p Profile, u *user.User, kind user.IdentifierKind, value, strategy string) (*user.Identifier, error) {
	now := s.Now()
	ms := now.UnixMilli()
	idn := &user.Identifier{ID: id.NewAt(id.Identifier, now), UserID: u.ID, Kind: kind, Value: value,
		VerificationStatus: user.StatusUnverified, VerificationStrategy: strategy, CreatedAt: ms, UpdatedAt: ms}
	if err := p.AddIdentifier(ctx, idn); err != nil {
		return nil, err
	}
	return idn, nil
}

var errDeleteSelfDisabled = errs.New(errs.Forbidden, "delete_self_disabled", "Account deletion is turned off",
	"Deleting your own account is not allowed for this application: ask its administrators.")

// DeleteSelf deletes the user's own account, when both the instance and
// the user allow it; the user's sessions end with it.
func (s *Service) DeleteSelf(ctx context.Context, u *user.User) error {
	live, err := s.Live(ctx)
	if err != nil {
		return err
	}
	if !live.DeleteSelf || !u.DeleteSelfEnabled {
		return errDeleteSelfDisabled
	}
	return s.UserRules.Delete(ctx, u.ID)
}

// PrepareEmail sends a code to one of the user's email addresses or
// phone numbers.
func (s *Service) PrepareEmail(ctx context.Context, p Profile, c *Client, u *user.User, idnID string) (*Verification, error) {
	idn := findIdentifier(u, idnID)
	if idn == nil || (idn.Kind != user.EmailAddress && idn.Kind != user.PhoneNumber) {
		return nil, NotFound("identifier", idnID)
	}
	v, err := p.Verification(ctx, idnID)
	if err != nil && !isNotFoundErr(err) {
		return nil, err
	}
	if v == nil {
		v = &Verification{}
	}
	now := s.Now()
	if err := s.sendCode(ctx, v, idnID, codeStrategy(idn), idn.Value, now); err != nil {
		return nil, err
	}
	return v, p.SaveVerification(ctx, idnID, c.ID, v, now.UnixMilli())
}

func codeStrategy(idn *user.Identifier) string {
	if idn.Kind == user.PhoneNumber {
		return "phone_code"
	}
	return "email_code"
}

// AttemptEmail checks the code sent to one of the user's email addresses
// or phone numbers.
func (s *Service) AttemptEmail(ctx context.Context, p Profile, c *Client, u *user.User, idnID, code string) error {
	idn := findIdentifier(u, idnID)
	if idn == nil || (idn.Kind != user.EmailAddress && idn.Kind != user.PhoneNumber) {
		return NotFound("identifier", idnID)
	}
	if code == "" {
		return errs.ParamMissing("code")
	}
	v, err := p.Verification(ctx, idnID)
	if err != nil {
		if isNotFoundErr(err) {
			v = nil
		} else {
			return err
		}
	}
	now := s.Now()
	checkErr := s.checkCode(v, idnID, code, now)
	if v != nil {
		if err := p.SaveVerification(ctx, idnID, c.ID, v, now.UnixMilli()); err != nil {
			return err
		}
	}
	if checkErr != nil {
		return checkErr
	}
	return p.VerifyIdentifier(ctx, u.ID, idnID, codeStrategy(idn), now.UnixMilli())
}

func findIdentifier(u *user.User, id string) *user.Identifier {
	for i := range u.Identifiers {
		if u.Identifiers[i].ID == id {
			return &u.Identifiers[i]
		}
	}
	return nil
}

func isNotFoundErr(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Kind == errs.NotFound
}
