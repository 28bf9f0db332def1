package transfer

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/mfa"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/seal"
	"github.com/conciergehq/concierge/internal/user"
)

// Builder turns records into users, applying the same rules as the
// Backend API's create-user (identifier formats, name and metadata limits,
// digest formats), then keeping what an import carries beyond them: IDs,
// verification states, times and second factors.
type Builder struct {
	// Source names where the records come from; records whose IDs are not
	// Clerk's get IDs derived from it and their source ID (see id.Derived).
	Source string
	// Key seals TOTP secrets (the instance's "mfa" secret).
	Key []byte
	Now func() time.Time
}

// Build validates r and returns the user it describes.
func (b *Builder) Build(r *Record) (*user.User, error) {
	now := b.Now()
	created := now
	if r.CreatedAt > 0 {
		created = time.UnixMilli(r.CreatedAt)
	}
	p := user.CreateParams{
		ExternalID: r.ExternalID, FirstName: r.FirstName, LastName: r.LastName, Locale: r.Locale,
		Username:       r.Username,
		PublicMetadata: r.PublicMetadata, PrivateMetadata: r.PrivateMetadata, UnsafeMetadata: r.UnsafeMetadata,
		DeleteSelfEnabled: r.DeleteSelfEnabled, CreateOrganizationEnabled: r.CreateOrganizationEnabled,
		CreateOrganizationsLimit: r.CreateOrganizationsLimit, BypassClientTrust: &r.BypassClientTrust,
		Banned: &r.Banned, SkipUserRequirement: ptr(true), SkipPasswordRequirement: ptr(true),
	}
	for _, list := range []struct {
		in       []Ident
		values   *[]string
		statuses *[]string
	}{
		{r.EmailAddresses, &p.EmailAddresses, &p.EmailAddressIdentificationStatus},
		{r.PhoneNumbers, &p.PhoneNumbers, &p.PhoneNumberIdentificationStatus},
		{r.Web3Wallets, &p.Web3Wallets, nil},
	} {
		for _, i := range list.in {
			*list.values = append(*list.values, i.value())
			if list.statuses != nil {
				st := "verified"
				if i.Reserved {
					st = "reserved"
				}
				*list.statuses = append(*list.statuses, st)
			}
		}
	}
	switch {
	case r.password != "":
		p.Password, p.SkipPasswordChecks = &r.password, &r.skipPasswordChecks
	case r.PasswordDigest != "" || r.PasswordHasher != "":
		p.PasswordDigest, p.PasswordHasher = &r.PasswordDigest, &r.PasswordHasher
	}
	svc := user.Service{Now: func() time.Time { return created }}
	u, err := svc.Build(p)
	if err != nil {
		return nil, err
	}

	u.ID = r.ID
	if !id.Valid(id.User, r.ID) {
		// The ID's time part is the record's created_at, or a fixed one:
		// the same record must derive the same ID on every run.
		var at time.Time
		if r.CreatedAt > 0 {
			at = created
		}
		u.ID = id.Derived(id.User, at, b.Source+"\x00"+b.sourceKey(r))
	}
	if err := keepIdentifiers(u, r); err != nil {
		return nil, err
	}
	if err := addExternalAccounts(u, r.ExternalAccounts, created.UnixMilli()); err != nil {
		return nil, err
	}
	u.UpdatedAt = max(r.UpdatedAt, u.CreatedAt)
	u.LastSignInAt, u.LastActiveAt, u.LegalAcceptedAt = r.LastSignInAt, r.LastActiveAt, r.LegalAcceptedAt
	if r.PasswordLastUpdatedAt != nil && u.PasswordEnabled() {
		u.PasswordLastUpdatedAt = r.PasswordLastUpdatedAt
	}
	if r.Locked {
		if r.LockoutExpiresInSeconds != nil && *r.LockoutExpiresInSeconds > 0 {
			until := now.UnixMilli() + *r.LockoutExpiresInSeconds*1000
			u.LockoutUntil, u.FailedAttempts = &until, user.MaxAttempts
		} else {
			u.Locked = true
		}
	}
	if err := b.secondFactors(u, r); err != nil {
		return nil, err
	}
	return u, nil
}

// sourceKey is what identifies a record within its source when its ID is
// not Clerk's: the source's own ID, else the external ID, else the first
// identifier.
func (b *Builder) sourceKey(r *Record) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.ExternalID != nil && *r.ExternalID != "":
		return "ext:" + *r.ExternalID
	case len(r.EmailAddresses) > 0:
		return "email:" + strings.ToLower(r.EmailAddresses[0].EmailAddress)
	case len(r.PhoneNumbers) > 0:
		return "phone:" + r.PhoneNumbers[0].PhoneNumber
	case r.Username != nil:
		return "username:" + strings.ToLower(*r.Username)
	}
	return ""
}

// keepIdentifiers gives the identifiers Build made the IDs, verification
// states and times of the record's, matched by their normalized values,
// and makes the record's primaries primary.
func keepIdentifiers(u *user.User, r *Record) error {
	type source struct {
		in      *Ident
		primary *string
	}
	byValue := map[string]source{}
	for _, list := range []struct {
		kind    user.IdentifierKind
		in      []Ident
		primary *string
	}{
		{user.EmailAddress, r.EmailAddresses, r.PrimaryEmailAddressID},
		{user.PhoneNumber, r.PhoneNumbers, r.PrimaryPhoneNumberID},
		{user.Web3Wallet, r.Web3Wallets, r.PrimaryWeb3WalletID},
	} {
		for i := range list.in {
			in := &list.in[i]
			v, err := normalize(list.kind, in.value())
			if err != nil {
				return err
			}
			byValue[string(list.kind)+"\x00"+v] = source{in, list.primary}
		}
	}
	u.PrimaryEmailAddressID, u.PrimaryPhoneNumberID, u.PrimaryWeb3WalletID = nil, nil, nil
	for i := range u.Identifiers {
		idn := &u.Identifiers[i]
		idn.UserID = u.ID
		src, ok := byValue[string(idn.Kind)+"\x00"+idn.Value]
		if !ok {
			continue
		}
		if id.Valid(id.Identifier, src.in.ID) {
			idn.ID = src.in.ID
		}
		if v := src.in.Verification; v != nil && !idn.Reserved {
			switch v.Status {
			case "verified":
				idn.VerificationStatus = user.StatusVerified
			default: // unverified, expired, failed, transferable: not proven
				idn.VerificationStatus = user.StatusUnverified
			}
			idn.VerificationStrategy = cleanStrategy(v.Strategy)
		} else if src.in.Verification == nil && src.in.ID != "" && !idn.Reserved {
			// A user object with no verification: never verified.
			idn.VerificationStatus, idn.VerificationStrategy = "", ""
		}
		if src.in.CreatedAt > 0 {
			idn.CreatedAt = src.in.CreatedAt
			idn.UpdatedAt = max(src.in.UpdatedAt, src.in.CreatedAt)
		}
		if src.primary != nil && *src.primary == src.in.ID {
			setPrimary(u, idn)
		}
	}
	// Where the record named no primary (or a CSV, which cannot), the
	// first usable identifier of each kind is primary.
	for i := range u.Identifiers {
		idn := &u.Identifiers[i]
		if !idn.Reserved && primaryOf(u, idn.Kind) == nil {
			setPrimary(u, idn)
		}
	}
	return nil
}

func normalize(kind user.IdentifierKind, v string) (string, error) {
	switch kind {
	case user.EmailAddress:
		return identifier.Email("email_address", v)
	case user.PhoneNumber:
		return identifier.Phone("phone_number", v)
	}
	return identifier.Web3Wallet("web3_wallet", v)
}

func setPrimary(u *user.User, idn *user.Identifier) {
	v := idn.ID
	switch idn.Kind {
	case user.EmailAddress:
		u.PrimaryEmailAddressID = &v
	case user.PhoneNumber:
		u.PrimaryPhoneNumberID = &v
	case user.Web3Wallet:
		u.PrimaryWeb3WalletID = &v
	}
}

func primaryOf(u *user.User, kind user.IdentifierKind) *string {
	switch kind {
	case user.EmailAddress:
		return u.PrimaryEmailAddressID
	case user.PhoneNumber:
		return u.PrimaryPhoneNumberID
	case user.Web3Wallet:
		return u.PrimaryWeb3WalletID
	}
	return nil
}

// cleanStrategy keeps a verification strategy if it looks like one.
func cleanStrategy(s string) string {
	if s == "" || len(s) > 64 {
		return user.StrategyAdmin
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return user.StrategyAdmin
		}
	}
	return s
}

// addExternalAccounts keeps social connections as Concierge keeps them:
// identifiers of kind oauth_<provider> whose value is the provider's user
// ID, so the user signs in with that provider once it is configured.
func addExternalAccounts(u *user.User, list []External, ms int64) error {
	if len(list) > 20 {
		return errs.ParamFormat("external_accounts", "At most 20 external accounts may be imported for one user.")
	}
	for _, e := range list {
		provider := e.Provider
		if !strings.HasPrefix(provider, "oauth_") {
			provider = "oauth_" + provider
		}
		if !validProvider(provider) || e.ProviderUserID == "" || len(e.ProviderUserID) > 255 {
			return errs.ParamFormat("external_accounts",
				fmt.Sprintf("External account %q has no provider_user_id or an invalid provider.", e.ID))
		}
		ident := oauth.Identity{Strategy: provider, ProviderUserID: e.ProviderUserID, Email: e.EmailAddress,
			FirstName: e.FirstName, LastName: e.LastName, ImageURL: e.ImageURL, Scopes: strings.Fields(e.ApprovedScopes)}
		if e.Username != nil {
			ident.Username = *e.Username
		}
		data, err := json.Marshal(ident)
		if err != nil {
			return err
		}
		idnID := e.ID
		if !id.Valid(id.Identifier, idnID) && !id.Valid("eac_", idnID) {
			idnID = id.New(id.Identifier)
		}
		created := ms
		if e.CreatedAt > 0 {
			created = e.CreatedAt
		}
		status := user.StatusVerified
		if e.Verification != nil && e.Verification.Status != "" && e.Verification.Status != "verified" {
			status = user.StatusUnverified
		}
		u.Identifiers = append(u.Identifiers, user.Identifier{
			ID: idnID, UserID: u.ID, Kind: user.IdentifierKind(provider), Value: e.ProviderUserID,
			VerificationStatus: status, VerificationStrategy: provider, Data: string(data),
			CreatedAt: created, UpdatedAt: max(e.UpdatedAt, created),
		})
	}
	return nil
}

func validProvider(p string) bool {
	name := strings.TrimPrefix(p, "oauth_")
	if name == "" || len(name) > 40 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// secondFactors keeps a TOTP secret (sealed, bound to the user's ID) and
// backup codes (bcrypt digests: a plain code is hashed here, as Clerk
// accepts either).
func (b *Builder) secondFactors(u *user.User, r *Record) error {
	if r.TOTPSecret != "" {
		secret, err := mfa.NormalizeSecret(r.TOTPSecret)
		if err != nil {
			return err
		}
		if len(b.Key) == 0 {
			return fmt.Errorf("transfer: no key to seal TOTP secrets with")
		}
		if u.TOTPSecret, err = seal.Seal(b.Key, []byte(secret), []byte(u.ID)); err != nil {
			return err
		}
	}
	codes, err := mfa.BackupDigests(r.BackupCodes)
	if err != nil {
		return err
	}
	u.BackupCodes = append(u.BackupCodes, codes...)
	return nil
}

func ptr[T any](v T) *T { return &v }
