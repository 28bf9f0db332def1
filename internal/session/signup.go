package session

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/signup"
	"github.com/conciergehq/concierge/internal/user"
)

// Sign-up statuses.
const MissingRequirements = "missing_requirements"

// requiredFields is the sign-up form for the required identifiers
// (email_address, phone_number or both): they and a password.
func requiredFields(identifiers []string) []string {
	return append(append([]string{}, identifiers...), "password")
}

// RequiredFields and OptionalFields are the sign-up's form, as the
// sign-up's required list (fixed when it was created) says.
func (su *SignUp) RequiredFields() []string {
	if len(su.Required) == 0 {
		return requiredFields([]string{"email_address"})
	}
	return su.Required
}

// OptionalFields are the fields the sign-up may also take.
func (su *SignUp) OptionalFields() []string {
	out := []string{"first_name", "last_name", "username"}
	for _, f := range []string{"email_address", "phone_number"} {
		if !slices.Contains(su.RequiredFields(), f) {
			out = append(out, f)
		}
	}
	return out
}

// SignUpParams are the fields of POST/PATCH /v1/client/sign_ups; nil
// leaves a field as it is.
type SignUpParams struct {
	EmailAddress, PhoneNumber, Username, Password, FirstName, LastName *string
	UnsafeMetadata                                                     json.RawMessage
	Strategy, Ticket                                                   string
	// RedirectURL is where an email link sends the browser (checked by
	// the caller).
	RedirectURL string
}

// MissingFields lists the required fields a sign-up lacks.
func (su *SignUp) MissingFields() []string {
	out := []string{}
	for _, f := range su.RequiredFields() {
		if (f == "email_address" && su.EmailAddress == "") || (f == "phone_number" && su.PhoneNumber == "") ||
			(f == "password" && su.PasswordDigest == "" && su.External == nil) {
			out = append(out, f)
		}
	}
	return out
}

// UnverifiedFields lists the given identifiers not yet verified.
func (su *SignUp) UnverifiedFields() []string {
	out := []string{}
	if su.EmailAddress != "" && (su.Email == nil || su.Email.Status != "verified") {
		out = append(out, "email_address")
	}
	if su.PhoneNumber != "" && (su.Phone == nil || su.Phone.Status != "verified") {
		out = append(out, "phone_number")
	}
	return out
}

// CreateSignUp starts (or replaces) the client's sign-up. It returns a
// new client token when the sign-up completed at once (an invitation
// ticket with a password).
func (s *Service) CreateSignUp(ctx context.Context, c *Client, p SignUpParams) (*SignUp, string, error) {
	live, err := s.Live(ctx)
	if err != nil {
		return nil, "", err
	}
	now := s.Now()
	ms := now.UnixMilli()
	su := &SignUp{ID: id.NewAt(id.SignUp, now), ClientID: c.ID, Status: MissingRequirements,
		Required:  requiredFields(live.RequiredIdentifiers),
		AbandonAt: now.Add(attemptTTL).UnixMilli(), CreatedAt: ms, UpdatedAt: ms}
	return s.applySignUp(ctx, c, su, p)
}

// UpdateSignUp adds fields to the client's sign-up (PATCH).
func (s *Service) UpdateSignUp(ctx context.Context, c *Client, suID string, p SignUpParams) (*SignUp, string, error) {
	su, err := s.SignUp(ctx, c, suID)
	if err != nil {
		return nil, "", err
	}
	if su.Status != MissingRequirements {
		return nil, "", errClientState
	}
	return s.applySignUp(ctx, c, su, p)
}

// SignUp returns a sign-up of c.
func (s *Service) SignUp(ctx context.Context, c *Client, id string) (*SignUp, error) {
	su, err := s.Store.SignUp(ctx, id)
	if err != nil {
		return nil, err
	}
	if su.ClientID != c.ID {
		return nil, NotFound("sign up", id)
	}
	return su, nil
}

func (s *Service) applySignUp(ctx context.Context, c *Client, su *SignUp, p SignUpParams) (*SignUp, string, error) {
	if p.Ticket != "" || p.Strategy == "ticket" {
		if invitation.TicketKind(p.Ticket) == invitation.KindOrganizationInvitation && s.OrgInvitations != nil {
			inv, err := s.OrgInvitations.VerifyTicket(ctx, p.Ticket)
			if err != nil {
				return nil, "", err
			}
			su.OrgInvitationID, su.EmailAddress = inv.ID, inv.EmailAddress
		} else {
			inv, err := s.Invitations.Verify(ctx, p.Ticket)
			if err != nil {
				return nil, "", err
			}
			su.InvitationID, su.EmailAddress, su.PublicMetadata = inv.ID, inv.EmailAddress, inv.PublicMetadata
		}
		su.Email = &Verification{Status: "verified", Strategy: "ticket"}
	}
	if p.EmailAddress != nil && *p.EmailAddress != "" {
		v, err := identifier.Email("email_address", *p.EmailAddress)
		if err != nil {
			return nil, "", err
		}
		if v != su.EmailAddress {
			if err := s.taken(ctx, v, "email_address", "email address"); err != nil {
				return nil, "", err
			}
			su.EmailAddress, su.Email = v, nil
			if su.InvitationID != "" || su.OrgInvitationID != "" {
				// Another address than the invited one: the ticket does
				// not vouch for it, and the invitation is not used.
				su.InvitationID, su.OrgInvitationID, su.PublicMetadata = "", "", nil
			}
		}
	}
	if su.EmailAddress != "" && su.Email != nil && su.Email.Strategy == "ticket" {
		// An invited address is checked for an existing account too.
		if err := s.taken(ctx, su.EmailAddress, "email_address", "email address"); err != nil {
			return nil, "", err
		}
	}
	if p.PhoneNumber != nil && *p.PhoneNumber != "" {
		v, err := identifier.Phone("phone_number", *p.PhoneNumber)
		if err != nil {
			return nil, "", err
		}
		if v != su.PhoneNumber {
			if err := s.taken(ctx, v, "phone_number", "phone number"); err != nil {
				return nil, "", err
			}
			su.PhoneNumber, su.Phone = v, nil
		}
	}
	if p.Username != nil && *p.Username != "" {
		v, err := identifier.Username("username", *p.Username)
		if err != nil {
			return nil, "", err
		}
		if err := s.taken(ctx, v, "username", "username"); err != nil {
			return nil, "", err
		}
		su.Username = v
	}
	for _, f := range []struct {
		param string
		v     *string
		dst   *string
	}{{"first_name", p.FirstName, &su.FirstName}, {"last_name", p.LastName, &su.LastName}} {
		if f.v == nil {
			continue
		}
		if utf8.RuneCountInString(*f.v) > 256 {
			return nil, "", errs.ParamFormat(f.param, f.param+" must be at most 256 characters.")
		}
		*f.dst = strings.TrimSpace(*f.v)
	}
	if len(p.UnsafeMetadata) > 0 {
		m, err := user.MetadataObject("unsafe_metadata", p.UnsafeMetadata)
		if err != nil {
			return nil, "", err
		}
		su.UnsafeMetadata = m
	}
	if p.Password != nil && *p.Password != "" {
		if err := password.Check("password", *p.Password, false); err != nil {
			return nil, "", err
		}
		h, err := password.Hash(*p.Password)
		if err != nil {
			return nil, "", err
		}
		su.PasswordDigest = h
	}
	if err := s.allowed(ctx, su); err != nil {
		return nil, "", err
	}
	su.UpdatedAt = s.Now().UnixMilli()
	if len(su.MissingFields()) == 0 && len(su.UnverifiedFields()) == 0 {
		return s.completeSignUp(ctx, c, su)
	}
	if err := s.Store.SaveSignUp(ctx, su); err != nil {
		return nil, "", err
	}
	if p.Strategy == "email_code" || p.Strategy == "phone_code" || p.Strategy == emaillink.Strategy {
		su, err := s.PrepareSignUp(ctx, c, su.ID, p.Strategy, p.RedirectURL)
		return su, "", err
	}
	return su, "", nil
}

// taken refuses an identifier that belongs to a user.
func (s *Service) taken(ctx context.Context, value, param, what string) error {
	_, _, err := s.Users.UserByIdentifier(ctx, value)
	if err == nil {
		return errs.IdentifierExists(param, what)
	}
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return nil
	}
	return err
}

// allowed applies the sign-up mode to what the sign-up holds so far.
func (s *Service) allowed(ctx context.Context, su *SignUp) error {
	if su.EmailAddress == "" && su.PhoneNumber == "" && su.InvitationID == "" && su.OrgInvitationID == "" {
		return nil // nothing to judge yet
	}
	live, err := s.Live(ctx)
	if err != nil {
		return err
	}
	rules := signup.Rules{Mode: live.SignUpMode, Restrictions: live.Restrictions}
	if s.Disposable != nil {
		rules.Disposable = s.Disposable.Contains
	}
	return signup.Allowed(ctx, rules, signup.Applicant{EmailAddress: su.EmailAddress, PhoneNumber: su.PhoneNumber,
		Invited: su.InvitationID != "" || su.OrgInvitationID != ""}, s.Lists, s.Now().UnixMilli())
}

// PrepareSignUp sends a code to the sign-up's email address or phone.
func (s *Service) PrepareSignUp(ctx context.Context, c *Client, suID, strategy, redirectURL string) (*SignUp, error) {
	su, err := s.SignUp(ctx, c, suID)
	if err != nil {
		return nil, err
	}
	if su.Status != MissingRequirements {
		return nil, errClientState
	}
	v, to, err := su.verification(strategy)
	if err != nil {
		return nil, err
	}
	if *v == nil {
		*v = &Verification{}
	}
	if (*v).Status == "verified" {
		return nil, errs.New(errs.BadRequest, "verification_already_verified", "Already verified", "This was already verified.")
	}
	if strategy == emaillink.Strategy {
		return s.prepareLinkSignUp(ctx, su, redirectURL)
	}
	if err := s.sendCode(ctx, *v, su.ID, strategy, to, s.Now()); err != nil {
		return nil, err
	}
	su.UpdatedAt = s.Now().UnixMilli()
	return su, s.Store.SaveSignUp(ctx, su)
}

func (su *SignUp) verification(strategy string) (**Verification, string, error) {
	switch {
	case (strategy == "email_code" || strategy == emaillink.Strategy) && su.EmailAddress != "":
		return &su.Email, su.EmailAddress, nil
	case strategy == "phone_code" && su.PhoneNumber != "":
		return &su.Phone, su.PhoneNumber, nil
	case strategy == emaillink.Strategy:
		return nil, "", errs.New(errs.BadRequest, "verification_strategy_invalid", "Invalid strategy",
			"There is no email address to verify on this sign-up.").WithParam("strategy")
	case strategy == "email_code" || strategy == "phone_code":
		return nil, "", errs.New(errs.BadRequest, "verification_strategy_invalid", "Invalid strategy",
			"There is no "+strings.TrimSuffix(strategy, "_code")+" to verify on this sign-up.").WithParam("strategy")
	}
	return nil, "", errs.ParamValue("strategy", strategy)
}

// AttemptSignUp checks a code; when nothing is left to do the user and a
// session are created. It returns the new client token then.
func (s *Service) AttemptSignUp(ctx context.Context, c *Client, suID, strategy, code string) (*SignUp, string, error) {
	su, err := s.SignUp(ctx, c, suID)
	if err != nil {
		return nil, "", err
	}
	if su.Status != MissingRequirements {
		return nil, "", errClientState
	}
	if code == "" {
		return nil, "", errs.ParamMissing("code")
	}
	v, _, err := su.verification(strategy)
	if err != nil {
		return nil, "", err
	}
	checkErr := s.checkCode(*v, su.ID, code, s.Now())
	su.UpdatedAt = s.Now().UnixMilli()
	if checkErr != nil {
		if err := s.Store.SaveSignUp(ctx, su); err != nil {
			return nil, "", err
		}
		return nil, "", checkErr
	}
	(*v).Strategy = strategy
	if len(su.MissingFields()) == 0 && len(su.UnverifiedFields()) == 0 {
		return s.completeSignUp(ctx, c, su)
	}
	return su, "", s.Store.SaveSignUp(ctx, su)
}

func (s *Service) completeSignUp(ctx context.Context, c *Client, su *SignUp) (*SignUp, string, error) {
	if err := s.allowed(ctx, su); err != nil {
		return nil, "", err
	}
	p := user.CreateParams{UnsafeMetadata: su.UnsafeMetadata,
		PublicMetadata: su.PublicMetadata, PasswordDigest: &su.PasswordDigest, PasswordHasher: ptr("bcrypt")}
	if su.PasswordDigest == "" && su.External != nil {
		p.PasswordDigest, p.PasswordHasher, p.SkipPasswordRequirement = nil, nil, ptr(true)
	}
	if su.EmailAddress != "" {
		p.EmailAddresses = []string{su.EmailAddress}
	}
	if su.PhoneNumber != "" {
		p.PhoneNumbers = []string{su.PhoneNumber}
	}
	if su.Username != "" {
		p.Username = &su.Username
	}
	if su.FirstName != "" {
		p.FirstName = &su.FirstName
	}
	if su.LastName != "" {
		p.LastName = &su.LastName
	}
	if su.ExternalID != "" {
		p.ExternalID = &su.ExternalID // the application's ID, set while signing up
	}
	u, err := s.UserRules.Build(p)
	if err != nil {
		return nil, "", err
	}
	for i := range u.Identifiers {
		idn := &u.Identifiers[i]
		switch {
		case idn.Kind == user.EmailAddress && su.Email != nil:
			idn.VerificationStrategy = su.Email.Strategy
		case idn.Kind == user.PhoneNumber && su.Phone != nil:
			idn.VerificationStrategy = su.Phone.Strategy
		}
	}
	now := s.Now()
	ms := now.UnixMilli()
	if su.External != nil {
		idn, err := s.externalIdentifierSealed(u.ID, su.External, ms)
		if err != nil {
			return nil, "", err
		}
		u.Identifiers = append(u.Identifiers, idn)
	}
	u.LastSignInAt, u.LastActiveAt = &ms, &ms
	sess, err := s.newSession(ctx, c.ID, u.ID, now)
	if err != nil {
		return nil, "", err
	}
	hash, tok, err := s.rotation(c.ID)
	if err != nil {
		return nil, "", err
	}
	su.Status, su.CreatedUserID, su.CreatedSessionID, su.UpdatedAt = Complete, u.ID, sess.ID, ms
	strategy := "email_code"
	if su.Email != nil && su.Email.Strategy != "" {
		strategy = su.Email.Strategy
	}
	if su.External != nil {
		strategy = su.External.Strategy
	}
	x := Completion{ClientID: c.ID, Session: sess, RotatingHash: hash, Strategy: strategy,
		NewUser: u, InvitationID: su.InvitationID, SignUp: su, Now: ms}
	if su.OrgInvitationID != "" && s.OrgInvitations != nil {
		inv, err := s.OrgInvitations.Store.OrgInvitation(ctx, su.OrgInvitationID)
		if err != nil {
			return nil, "", err
		}
		x.OrgInvitationID, x.OrgMembership = inv.ID, s.OrgInvitations.MembershipFor(inv, u.ID)
	}
	err = s.Store.Complete(ctx, x)
	if err != nil {
		return nil, "", err
	}
	return su, tok, nil
}

func ptr[T any](v T) *T { return &v }
