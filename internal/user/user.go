// Package user holds Concierge's user domain: the User and its identifiers,
// the parameters that create and change one, the rules they must obey, and
// the Store interface that persists them.
package user

import (
	"context"
	"encoding/json"
)

// IdentifierKind names the kind of an identifier, as Clerk's object names.
type IdentifierKind string

// The identifier kinds a user can hold.
const (
	EmailAddress IdentifierKind = "email_address"
	PhoneNumber  IdentifierKind = "phone_number"
	Web3Wallet   IdentifierKind = "web3_wallet"
)

// Verification statuses and strategies Concierge records.
const (
	StatusVerified   = "verified"
	StatusUnverified = "unverified"
	StrategyAdmin    = "admin"
)

// Identifier is one email address, phone number or web3 wallet of a user.
// Its value is unique across the instance, whoever holds it.
type Identifier struct {
	ID     string
	UserID string
	Kind   IdentifierKind
	Value  string
	// Reserved marks an identifier held for the user but not yet usable
	// (Clerk's identification_status "reserved"); it has no verification.
	Reserved bool
	// VerificationStatus and VerificationStrategy are empty when there is
	// no verification at all.
	VerificationStatus   string
	VerificationStrategy string
	// Data holds what else an identifier carries, as JSON: for an
	// external account (Kind oauth_*), the provider's profile and its
	// sealed tokens.
	Data      string
	CreatedAt int64
	UpdatedAt int64
}

// Verified reports whether the identifier has been verified.
func (i *Identifier) Verified() bool { return i.VerificationStatus == StatusVerified }

// User is an end user of the instance. Times are Unix milliseconds.
type User struct {
	ID string
	// Revision is the store's mark of the user's state: it changes with
	// every change to the user or its identifiers (and is read, never
	// set, by the rest of the code). A user a write returns holds the
	// revision read before the write: only a read's is current.
	Revision int64

	ExternalID *string
	Username   *string
	FirstName  *string
	LastName   *string
	Locale     *string

	PrimaryEmailAddressID *string
	PrimaryPhoneNumberID  *string
	PrimaryWeb3WalletID   *string
	Identifiers           []Identifier

	// PasswordDigest and PasswordHasher hold the password hash; Concierge
	// makes bcrypt hashes, imported users may carry another hasher's.
	// Neither ever leaves the server.
	PasswordDigest        string
	PasswordHasher        string
	PasswordLastUpdatedAt *int64
	// PasswordCompromisedAt is when an operator marked the password
	// compromised: signing in with it is refused until it is reset.
	PasswordCompromisedAt *int64

	// TOTPSecret (sealed) and BackupCodes (bcrypt digests) are second
	// factors, enrolled or imported; they never leave the server but
	// through an export.
	TOTPSecret  []byte
	BackupCodes []string
	// TOTPLastStep is the step of the last TOTP code accepted: each code
	// works once.
	TOTPLastStep int64
	// TOTPPending is an authenticator app's secret (sealed) shown to the
	// user and awaiting its first code.
	TOTPPending []byte
	// SecondFactorPhones are the IDs of the phone numbers that receive
	// second-factor codes, the default first.
	SecondFactorPhones []string

	// ImageURL is the uploaded profile image (under /images/), or nil
	// for the generated one.
	ImageURL *string

	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage

	Banned                    bool
	Locked                    bool
	DeleteSelfEnabled         bool
	CreateOrganizationEnabled bool
	CreateOrganizationsLimit  *int
	BypassClientTrust         bool

	LastSignInAt    *int64
	LastActiveAt    *int64
	LegalAcceptedAt *int64
	CreatedAt       int64
	UpdatedAt       int64

	// FailedAttempts counts failed sign-in verifications since the last
	// success; at MaxAttempts the user is locked out until LockoutUntil.
	FailedAttempts int
	LockoutUntil   *int64
}

// Lockout policy, as Clerk's default for new instances.
const (
	MaxAttempts     = 10
	LockoutDuration = 60 * 60 * 1000 // ms
)

// LockedAt reports whether the user is locked at now (Unix ms): by an
// operator, or by too many failed attempts.
func (u *User) LockedAt(now int64) bool {
	return u.Locked || (u.LockoutUntil != nil && *u.LockoutUntil > now)
}

// LockoutExpiresIn is the seconds left of an automatic lockout, or nil.
func (u *User) LockoutExpiresIn(now int64) *int64 {
	if u.LockoutUntil == nil || *u.LockoutUntil <= now {
		return nil
	}
	s := (*u.LockoutUntil - now + 999) / 1000
	return &s
}

// AttemptsRemaining is how many failed attempts are left before a lockout.
func (u *User) AttemptsRemaining() int64 {
	return int64(max(0, MaxAttempts-u.FailedAttempts))
}

// PasswordEnabled reports whether the user can sign in with a password.
// Touch stamps a change to u made at now (Unix ms). updated_at never
// stands still or goes back: the store tells a change (webhook, audit
// event) from bookkeeping (sign-in counters, a digest upgraded) by
// updated_at moving, so a second change within the millisecond of the
// one before moves it on by one.
func (u *User) Touch(now int64) { u.UpdatedAt = max(now, u.UpdatedAt+1) }

func (u *User) PasswordEnabled() bool { return u.PasswordDigest != "" }

// DisplayIdentifier is what Clerk shows a user by: the primary email
// address, else phone number, else username, else web3 wallet.
func (u *User) DisplayIdentifier() string {
	for _, p := range []*string{u.PrimaryEmailAddressID, u.PrimaryPhoneNumberID} {
		if p != nil {
			if i := u.Identifier(*p); i != nil {
				return i.Value
			}
		}
	}
	if u.Username != nil {
		return *u.Username
	}
	if u.PrimaryWeb3WalletID != nil {
		if i := u.Identifier(*u.PrimaryWeb3WalletID); i != nil {
			return i.Value
		}
	}
	return ""
}

// SetPassword replaces the password hash at ms; a new password is no
// longer compromised.
func (u *User) SetPassword(digest, hasher string, ms int64) {
	u.PasswordDigest, u.PasswordHasher, u.PasswordLastUpdatedAt, u.PasswordCompromisedAt = digest, hasher, &ms, nil
}

// OfKind returns the user's identifiers of kind k, in creation order.
func (u *User) OfKind(k IdentifierKind) []Identifier {
	var out []Identifier
	for _, i := range u.Identifiers {
		if i.Kind == k {
			out = append(out, i)
		}
	}
	return out
}

// Identifier returns the user's identifier with the given ID, or nil.
func (u *User) Identifier(id string) *Identifier {
	for i := range u.Identifiers {
		if u.Identifiers[i].ID == id {
			return &u.Identifiers[i]
		}
	}
	return nil
}

// HasIdentifier reports whether the user can be found by anything at all:
// an email address, phone number, web3 wallet or username.
func (u *User) HasIdentifier() bool {
	return len(u.Identifiers) > 0 || (u.Username != nil && *u.Username != "")
}

// Store persists users. Implementations enforce uniqueness of identifier
// values, usernames and external IDs with database constraints and report a
// violation as an *errs.Error of kind Invalid and code form_identifier_exists.
type Store interface {
	// CreateUser stores u and its identifiers in one transaction.
	CreateUser(ctx context.Context, u *User) error
	// User returns the user with the given ID, or a not-found error.
	User(ctx context.Context, id string) (*User, error)
	// UpdateUser loads the user, lets fn change it, and stores the result,
	// all in one transaction; fn's error aborts the change.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (*User, error)
	// DeleteUser removes the user and frees its identifiers.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers returns a page of users matching q.
	ListUsers(ctx context.Context, q Query) ([]*User, error)
	// CountUsers counts the users matching f.
	CountUsers(ctx context.Context, f Filter) (int64, error)

	// UserRevision returns the user's Revision, or a not-found error.
	UserRevision(ctx context.Context, id string) (int64, error)
	// ListUserRevisions returns the IDs and revisions of the page of
	// users ListUsers returns for q, in its order.
	ListUserRevisions(ctx context.Context, q Query) ([]Revision, error)
	// UsersByID returns the users with these IDs, in any order, leaving
	// out IDs of no user.
	UsersByID(ctx context.Context, ids []string) ([]*User, error)
}

// Revision is a user's ID and Revision.
type Revision struct {
	ID  string
	Rev int64
}

// TOTPEnabled reports whether the user has an authenticator app.
func (u *User) TOTPEnabled() bool { return len(u.TOTPSecret) > 0 }

// BackupCodeEnabled reports whether the user has backup codes left.
func (u *User) BackupCodeEnabled() bool { return len(u.BackupCodes) > 0 }

// TwoFactorEnabled reports whether signing in asks for a second factor.
func (u *User) TwoFactorEnabled() bool {
	return u.TOTPEnabled() || u.BackupCodeEnabled() || len(u.MFAPhones()) > 0
}

// MFAPhones are the verified phone numbers that receive second-factor
// codes, the default first. A number removed or unverified since drops
// out.
func (u *User) MFAPhones() []Identifier {
	var out []Identifier
	for _, id := range u.SecondFactorPhones {
		if i := u.Identifier(id); i != nil && i.Kind == PhoneNumber && i.Verified() {
			out = append(out, *i)
		}
	}
	return out
}

// ReservedForSecondFactor reports whether phone id receives
// second-factor codes, and whether it is the default one.
func (u *User) ReservedForSecondFactor(id string) (reserved, isDefault bool) {
	for i, p := range u.MFAPhones() {
		if p.ID == id {
			return true, i == 0
		}
	}
	return false, false
}
