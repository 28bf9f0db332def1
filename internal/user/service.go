package user

import (
	"context"
	"github.com/conciergehq/concierge/internal/images"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/seal"
)

// Service applies the user rules on top of a Store. It is safe for
// concurrent use.
type Service struct {
	Store Store
	// Identifiers writes identifiers one by one (the email address and
	// phone number resources).
	Identifiers IdentifierStore
	// Images keeps uploaded profile images, served under PublicURL.
	Images    images.Store
	PublicURL string
	// MFAKey seals TOTP secrets (an instance secret); without it a
	// totp_secret is refused.
	MFAKey []byte
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// NewService returns a Service on store using the wall clock.
func NewService(store Store) *Service {
	return &Service{Store: store, Now: time.Now}
}

func (s *Service) nowMillis() int64 { return s.Now().UnixMilli() }

// Get returns a user by ID.
func (s *Service) Get(ctx context.Context, userID string) (*User, error) {
	return s.Store.User(ctx, userID)
}

// List returns a page of users.
func (s *Service) List(ctx context.Context, q Query) ([]*User, error) {
	if q.MatchesNothing() {
		return []*User{}, nil
	}
	return s.Store.ListUsers(ctx, q)
}

// Revision returns the user's current Revision, or a not-found error.
func (s *Service) Revision(ctx context.Context, userID string) (int64, error) {
	return s.Store.UserRevision(ctx, userID)
}

// ListRevisions returns the IDs and revisions of the page List returns.
func (s *Service) ListRevisions(ctx context.Context, q Query) ([]Revision, error) {
	if q.MatchesNothing() {
		return []Revision{}, nil
	}
	return s.Store.ListUserRevisions(ctx, q)
}

// ByID returns the users with these IDs, in any order, leaving out IDs
// of no user.
func (s *Service) ByID(ctx context.Context, ids []string) ([]*User, error) {
	return s.Store.UsersByID(ctx, ids)
}

// Count counts users matching f.
func (s *Service) Count(ctx context.Context, f Filter) (int64, error) {
	if f.MatchesNothing() {
		return 0, nil
	}
	return s.Store.CountUsers(ctx, f)
}

// Delete removes a user, and its uploaded profile image after it.
func (s *Service) Delete(ctx context.Context, userID string) error {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteUser(ctx, userID); err != nil {
		return err
	}
	if u.ImageURL != nil && s.Images != nil {
		if img := images.IDFromURL(s.PublicURL, *u.ImageURL); img != "" {
			return s.Images.DeleteImage(ctx, img)
		}
	}
	return nil
}

// Create validates p and stores a new user. Values are validated before
// requirements, so a malformed phone number is reported as such rather
// than as a missing identifier.
func (s *Service) Create(ctx context.Context, p CreateParams) (*User, error) {
	u, err := s.Build(p)
	if err != nil {
		return nil, err
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// Build validates p and returns the user it describes, not yet stored:
// for a caller that stores it with its own change (a completed sign-up).
func (s *Service) Build(p CreateParams) (*User, error) {
	now := s.Now()
	ms := now.UnixMilli()
	u := &User{ID: id.NewAt(id.User, now), CreatedAt: ms, UpdatedAt: ms}

	if err := s.secondFactors(u, p.TOTPSecret, p.BackupCodes); err != nil {
		return nil, err
	}
	if err := s.addIdentifiers(u, EmailAddress, "email_address", p.EmailAddresses, p.EmailAddressIdentificationStatus, ms); err != nil {
		return nil, err
	}
	if err := s.addIdentifiers(u, PhoneNumber, "phone_number", p.PhoneNumbers, p.PhoneNumberIdentificationStatus, ms); err != nil {
		return nil, err
	}
	if err := s.addIdentifiers(u, Web3Wallet, "web3_wallet", p.Web3Wallets, nil, ms); err != nil {
		return nil, err
	}
	if p.Username != nil && *p.Username != "" {
		name, err := identifier.Username("username", *p.Username)
		if err != nil {
			return nil, err
		}
		u.Username = &name
	}
	var err error
	if u.ExternalID, err = externalID(p.ExternalID); err != nil {
		return nil, err
	}
	if u.FirstName, err = name("first_name", p.FirstName); err != nil {
		return nil, err
	}
	if u.LastName, err = name("last_name", p.LastName); err != nil {
		return nil, err
	}
	if u.Locale, err = locale(p.Locale); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		param string
		raw   []byte
		dst   *[]byte
	}{
		{"public_metadata", p.PublicMetadata, (*[]byte)(&u.PublicMetadata)},
		{"private_metadata", p.PrivateMetadata, (*[]byte)(&u.PrivateMetadata)},
		{"unsafe_metadata", p.UnsafeMetadata, (*[]byte)(&u.UnsafeMetadata)},
	} {
		if *m.dst, err = objectOrEmpty(m.param, m.raw); err != nil {
			return nil, err
		}
	}
	if p.CreatedAt != nil {
		t, err := rfc3339("created_at", *p.CreatedAt)
		if err != nil {
			return nil, err
		}
		u.CreatedAt = t
	}
	if p.LegalAcceptedAt != nil {
		t, err := rfc3339("legal_accepted_at", *p.LegalAcceptedAt)
		if err != nil {
			return nil, err
		}
		u.LegalAcceptedAt = &t
	}
	if p.CreateOrganizationsLimit != nil {
		if *p.CreateOrganizationsLimit < 0 {
			return nil, errs.ParamFormat("create_organizations_limit", "create_organizations_limit must be 0 (unlimited) or more.")
		}
		u.CreateOrganizationsLimit = p.CreateOrganizationsLimit
	}
	u.DeleteSelfEnabled = boolOr(p.DeleteSelfEnabled, true)
	u.CreateOrganizationEnabled = boolOr(p.CreateOrganizationEnabled, true)
	u.BypassClientTrust = boolOr(p.BypassClientTrust, false)
	u.Banned = boolOr(p.Banned, false)
	u.Locked = boolOr(p.Locked, false)

	if err := s.setCreatePassword(u, p, ms); err != nil {
		return nil, err
	}

	// Requirements come last: the values given were all well-formed.
	if !u.HasIdentifier() && !boolOr(p.SkipUserRequirement, false) {
		return nil, errs.New(errs.Invalid, "form_data_missing",
			"identifier data doesn't match user requirements set for this instance",
			"A user needs at least one email_address, phone_number, web3_wallet or username.").WithParam("email_address")
	}
	if !u.PasswordEnabled() && !boolOr(p.SkipPasswordRequirement, false) {
		return nil, errs.New(errs.Invalid, "form_data_missing",
			"password data doesn't match user requirements set for this instance",
			"A password is required: give password or password_digest, or set skip_password_requirement.").WithParam("password")
	}
	return u, nil
}

func (s *Service) setCreatePassword(u *User, p CreateParams, ms int64) error {
	switch {
	case p.Password != nil && p.PasswordDigest != nil:
		return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
			"password and password_digest cannot both be given.").WithParam("password_digest")
	case p.Password != nil:
		if err := password.Check("password", *p.Password, boolOr(p.SkipPasswordChecks, false)); err != nil {
			return err
		}
		h, err := password.Hash(*p.Password)
		if err != nil {
			return err
		}
		u.PasswordDigest, u.PasswordHasher, u.PasswordLastUpdatedAt = h, "bcrypt", &ms
	case p.PasswordDigest != nil:
		if p.PasswordHasher == nil || *p.PasswordHasher == "" {
			return errs.New(errs.Invalid, "form_conditional_param_missing", "is missing",
				"`password_hasher` is required when `password_digest` is present.").WithParam("password_hasher")
		}
		if err := password.ValidateDigest(*p.PasswordHasher, *p.PasswordDigest); err != nil {
			return err
		}
		u.PasswordDigest, u.PasswordHasher, u.PasswordLastUpdatedAt = *p.PasswordDigest, *p.PasswordHasher, &ms
	case p.PasswordHasher != nil:
		return errs.New(errs.Invalid, "form_conditional_param_missing", "is missing",
			"`password_digest` is required when `password_hasher` is present.").WithParam("password_digest")
	}
	return nil
}

// addIdentifiers validates values of one kind and appends them to u; the
// first becomes primary. statuses, when given, runs parallel to values.
func (s *Service) addIdentifiers(u *User, kind IdentifierKind, param string, values, statuses []string, ms int64) error {
	if len(values) > 100 {
		return errs.ParamFormat(param, "At most 100 values may be given for "+param+".")
	}
	if statuses != nil && len(statuses) != len(values) {
		return errs.ParamFormat(param+"_identification_status",
			param+"_identification_status must have one entry for each "+param+".")
	}
	seen := map[string]bool{}
	for i, raw := range values {
		var v string
		var err error
		switch kind {
		case EmailAddress:
			v, err = identifier.Email(param, raw)
		case PhoneNumber:
			v, err = identifier.Phone(param, raw)
		case Web3Wallet:
			v, err = identifier.Web3Wallet(param, raw)
		}
		if err != nil {
			return err
		}
		if seen[v] {
			continue // the same value twice in one request is one identifier
		}
		seen[v] = true
		idn := Identifier{
			ID: id.New(id.Identifier), UserID: u.ID, Kind: kind, Value: v,
			VerificationStatus: StatusVerified, VerificationStrategy: StrategyAdmin,
			CreatedAt: ms, UpdatedAt: ms,
		}
		if statuses != nil {
			switch statuses[i] {
			case "verified":
			case "reserved":
				idn.Reserved, idn.VerificationStatus, idn.VerificationStrategy = true, "", ""
			default:
				return errs.ParamValue(param+"_identification_status", statuses[i])
			}
		}
		u.Identifiers = append(u.Identifiers, idn)
	}
	// The first usable identifier of the kind is primary.
	for i := range u.Identifiers {
		idn := &u.Identifiers[i]
		if idn.Kind != kind || idn.Reserved {
			continue
		}
		ptr := &idn.ID
		switch kind {
		case EmailAddress:
			u.PrimaryEmailAddressID = ptr
		case PhoneNumber:
			u.PrimaryPhoneNumberID = ptr
		case Web3Wallet:
			u.PrimaryWeb3WalletID = ptr
		}
		break
	}
	return nil
}

// secondFactors sets a TOTP secret (sealed, bound to the user's ID; a
// new one resets the used-code step) and backup codes (bcrypt digests),
// as imports bring them; nil leaves each as it is.
func (s *Service) secondFactors(u *User, secret *string, codes []string) error {
	if secret != nil {
		if len(s.MFAKey) == 0 {
			return errs.ParamUnknown("totp_secret", "totp_secret is not supported here.")
		}
		clean, err := mfa.NormalizeSecret(*secret)
		if err != nil {
			return err
		}
		if u.TOTPSecret, err = seal.Seal(s.MFAKey, []byte(clean), []byte(u.ID)); err != nil {
			return err
		}
		u.TOTPLastStep = 0
	}
	if codes != nil {
		digests, err := mfa.BackupDigests(codes)
		if err != nil {
			return err
		}
		u.BackupCodes = digests
	}
	return nil
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// externalID trims an external ID; empty means none.
func externalID(p *string) (*string, error) {
	if p == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*p)
	if v == "" {
		return nil, nil
	}
	if len(v) > 255 {
		return nil, errs.ParamFormat("external_id", "external_id must be at most 255 characters.")
	}
	return &v, nil
}

func name(param string, p *string) (*string, error) {
	if p == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*p)
	if len(v) > 256 {
		return nil, errs.ParamFormat(param, param+" must be at most 256 characters.")
	}
	if strings.ContainsAny(v, "\x00\r\n") {
		return nil, errs.ParamFormat(param, param+" must not contain control characters.")
	}
	return &v, nil
}

func locale(p *string) (*string, error) {
	if p == nil || *p == "" {
		return nil, nil
	}
	v := *p
	if len(v) > 35 {
		return nil, errs.ParamFormat("locale", "locale must be a BCP-47 language tag such as en-US.")
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return nil, errs.ParamFormat("locale", "locale must be a BCP-47 language tag such as en-US.")
		}
	}
	return &v, nil
}

func rfc3339(param, v string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, errs.New(errs.Invalid, "form_param_invalid_time", "is invalid",
			param+" must contain a datetime specified in RFC3339 format.").WithParam(param)
	}
	return t.UnixMilli(), nil
}
