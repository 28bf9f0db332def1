package backendapi

import (
	"encoding/json"
	"time"

	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/user"
)

// The wire shapes of Clerk's user object and its identifiers: every field
// present, null where unset, [] for empty lists.

// UserJSON is Clerk's user object.
type UserJSON struct {
	ID                            string                `json:"id"`
	Object                        string                `json:"object"`
	ExternalID                    *string               `json:"external_id"`
	PrimaryEmailAddressID         *string               `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string               `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string               `json:"primary_web3_wallet_id"`
	Username                      *string               `json:"username"`
	FirstName                     *string               `json:"first_name"`
	LastName                      *string               `json:"last_name"`
	Locale                        *string               `json:"locale"`
	ProfileImageURL               string                `json:"profile_image_url"`
	ImageURL                      string                `json:"image_url"`
	HasImage                      bool                  `json:"has_image"`
	PublicMetadata                json.RawMessage       `json:"public_metadata"`
	PrivateMetadata               json.RawMessage       `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage       `json:"unsafe_metadata"`
	EmailAddresses                []emailAddressJSON    `json:"email_addresses"`
	PhoneNumbers                  []phoneNumberJSON     `json:"phone_numbers"`
	Web3Wallets                   []web3WalletJSON      `json:"web3_wallets"`
	Passkeys                      []PasskeyJSON         `json:"passkeys"`
	PasswordEnabled               bool                  `json:"password_enabled"`
	TwoFactorEnabled              bool                  `json:"two_factor_enabled"`
	TOTPEnabled                   bool                  `json:"totp_enabled"`
	BackupCodeEnabled             bool                  `json:"backup_code_enabled"`
	MFAEnabledAt                  *int64                `json:"mfa_enabled_at"`
	MFADisabledAt                 *int64                `json:"mfa_disabled_at"`
	PasswordLastUpdatedAt         *int64                `json:"password_last_updated_at"`
	ExternalAccounts              []externalAccountJSON `json:"external_accounts"`
	SAMLAccounts                  []struct{}            `json:"saml_accounts"`
	EnterpriseAccounts            []struct{}            `json:"enterprise_accounts"`
	OrganizationMemberships       any                   `json:"organization_memberships"`
	LastSignInAt                  *int64                `json:"last_sign_in_at"`
	Banned                        bool                  `json:"banned"`
	Locked                        bool                  `json:"locked"`
	LockoutExpiresInSeconds       *int64                `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64                `json:"verification_attempts_remaining"`
	DeleteSelfEnabled             bool                  `json:"delete_self_enabled"`
	CreateOrganizationEnabled     bool                  `json:"create_organization_enabled"`
	CreateOrganizationsLimit      *int                  `json:"create_organizations_limit"`
	LastActiveAt                  *int64                `json:"last_active_at"`
	LegalAcceptedAt               *int64                `json:"legal_accepted_at"`
	BypassClientTrust             bool                  `json:"bypass_client_trust"`
	UpdatedAt                     int64                 `json:"updated_at"`
	CreatedAt                     int64                 `json:"created_at"`
}

type verificationJSON struct {
	Object   string `json:"object"`
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int   `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

type linkedJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type emailAddressJSON struct {
	ID                   string            `json:"id"`
	Object               string            `json:"object"`
	EmailAddress         string            `json:"email_address"`
	Reserved             bool              `json:"reserved"`
	Verification         *verificationJSON `json:"verification"`
	LinkedTo             []linkedJSON      `json:"linked_to"`
	MatchesSSOConnection bool              `json:"matches_sso_connection"`
	CreatedAt            int64             `json:"created_at"`
	UpdatedAt            int64             `json:"updated_at"`
}

type phoneNumberJSON struct {
	ID                      string            `json:"id"`
	Object                  string            `json:"object"`
	PhoneNumber             string            `json:"phone_number"`
	ReservedForSecondFactor bool              `json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool              `json:"default_second_factor"`
	Reserved                bool              `json:"reserved"`
	Verification            *verificationJSON `json:"verification"`
	LinkedTo                []linkedJSON      `json:"linked_to"`
	BackupCodes             []string          `json:"backup_codes"`
	CreatedAt               int64             `json:"created_at"`
	UpdatedAt               int64             `json:"updated_at"`
}

type web3WalletJSON struct {
	ID           string            `json:"id"`
	Object       string            `json:"object"`
	Web3Wallet   string            `json:"web3_wallet"`
	Verification *verificationJSON `json:"verification"`
	CreatedAt    int64             `json:"created_at"`
	UpdatedAt    int64             `json:"updated_at"`
}

type deletedJSON struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

type totalCountJSON struct {
	Object     string `json:"object"`
	TotalCount int64  `json:"total_count"`
}

func verification(i *user.Identifier) *verificationJSON {
	if i.VerificationStatus == "" {
		return nil
	}
	obj := "verification_otp"
	switch i.VerificationStrategy {
	case user.StrategyAdmin:
		obj = "verification_admin"
	case emaillink.Strategy:
		obj = "verification_email_link"
	}
	return &verificationJSON{Object: obj, Status: i.VerificationStatus, Strategy: i.VerificationStrategy}
}

func privateOrEmpty(m json.RawMessage, show bool) json.RawMessage {
	if !show {
		return json.RawMessage(`{}`)
	}
	return orEmpty(m)
}

func ptrTo[T any](v T) *T { return &v }

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}

func (a *API) userJSON(u *user.User) *UserJSON {
	return UserObject(a.PublicURL, u, time.Now().UnixMilli(), true)
}

// UserObject is Clerk's user object for u at now (Unix ms). Without
// private, private_metadata is shown empty: the Frontend API serves the
// user to the user's own browser, which must not see it.
func UserObject(publicURL string, u *user.User, now int64, private bool) *UserJSON {
	img := user.PlaceholderImage(publicURL, u.ID)
	if u.ImageURL != nil {
		img = *u.ImageURL
	}
	out := &UserJSON{
		ID: u.ID, Object: "user", ExternalID: u.ExternalID,
		PrimaryEmailAddressID: u.PrimaryEmailAddressID, PrimaryPhoneNumberID: u.PrimaryPhoneNumberID,
		PrimaryWeb3WalletID: u.PrimaryWeb3WalletID,
		Username:            u.Username, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale,
		ProfileImageURL: img, ImageURL: img, HasImage: u.ImageURL != nil,
		PublicMetadata: orEmpty(u.PublicMetadata), PrivateMetadata: privateOrEmpty(u.PrivateMetadata, private),
		UnsafeMetadata: orEmpty(u.UnsafeMetadata),
		EmailAddresses: []emailAddressJSON{}, PhoneNumbers: []phoneNumberJSON{}, Web3Wallets: []web3WalletJSON{},
		Passkeys: []PasskeyJSON{}, ExternalAccounts: []externalAccountJSON{}, SAMLAccounts: []struct{}{},
		EnterpriseAccounts: []struct{}{}, OrganizationMemberships: []struct{}{},
		PasswordEnabled: u.PasswordEnabled(), PasswordLastUpdatedAt: u.PasswordLastUpdatedAt,
		LastSignInAt: u.LastSignInAt, Banned: u.Banned, Locked: u.LockedAt(now),
		LockoutExpiresInSeconds: u.LockoutExpiresIn(now), VerificationAttemptsRemaining: ptrTo(u.AttemptsRemaining()),
		DeleteSelfEnabled: u.DeleteSelfEnabled, CreateOrganizationEnabled: u.CreateOrganizationEnabled,
		CreateOrganizationsLimit: u.CreateOrganizationsLimit, LastActiveAt: u.LastActiveAt,
		LegalAcceptedAt: u.LegalAcceptedAt, BypassClientTrust: u.BypassClientTrust,
		TOTPEnabled: u.TOTPEnabled(), BackupCodeEnabled: u.BackupCodeEnabled(), TwoFactorEnabled: u.TwoFactorEnabled(),
		UpdatedAt: u.UpdatedAt, CreatedAt: u.CreatedAt,
	}
	for i := range u.Identifiers {
		idn := &u.Identifiers[i]
		switch {
		case idn.Kind == user.EmailAddress:
			out.EmailAddresses = append(out.EmailAddresses, emailAddressJSON{
				ID: idn.ID, Object: "email_address", EmailAddress: idn.Value, Reserved: idn.Reserved,
				Verification: verification(idn), LinkedTo: []linkedJSON{},
				CreatedAt: idn.CreatedAt, UpdatedAt: idn.UpdatedAt,
			})
		case idn.Kind == user.PhoneNumber:
			mfa, isDefault := u.ReservedForSecondFactor(idn.ID)
			out.PhoneNumbers = append(out.PhoneNumbers, phoneNumberJSON{
				ID: idn.ID, Object: "phone_number", PhoneNumber: idn.Value, Reserved: idn.Reserved,
				ReservedForSecondFactor: mfa, DefaultSecondFactor: isDefault,
				Verification: verification(idn), LinkedTo: []linkedJSON{},
				CreatedAt: idn.CreatedAt, UpdatedAt: idn.UpdatedAt,
			})
		case idn.Kind == passkey.Kind:
			for _, p := range passkey.Of(&user.User{Identifiers: []user.Identifier{*idn}}) {
				out.Passkeys = append(out.Passkeys, PasskeyObject(p, nil))
			}
		case isExternal(idn):
			out.ExternalAccounts = append(out.ExternalAccounts, externalAccount(idn))
		case idn.Kind == user.Web3Wallet:
			out.Web3Wallets = append(out.Web3Wallets, web3WalletJSON{
				ID: idn.ID, Object: "web3_wallet", Web3Wallet: idn.Value,
				Verification: verification(idn), CreatedAt: idn.CreatedAt, UpdatedAt: idn.UpdatedAt,
			})
		}
	}
	return out
}

// PasskeyJSON is Clerk's passkey object.
type PasskeyJSON struct {
	Object       string                  `json:"object"`
	ID           string                  `json:"id"`
	Name         *string                 `json:"name"`
	LastUsedAt   *int64                  `json:"last_used_at"`
	Verification passkeyVerificationJSON `json:"verification"`
	CreatedAt    int64                   `json:"created_at"`
	UpdatedAt    int64                   `json:"updated_at"`
}

type passkeyVerificationJSON struct {
	Object   string  `json:"object"`
	Status   string  `json:"status"`
	Strategy string  `json:"strategy"`
	Attempts *int    `json:"attempts"`
	ExpireAt *int64  `json:"expire_at"`
	Nonce    *string `json:"nonce,omitempty"`
}

// PasskeyObject renders a passkey; nonce, when given, is a registration's
// options for the browser (the passkey is then unverified).
func PasskeyObject(p passkey.Passkey, nonce *string) PasskeyJSON {
	out := PasskeyJSON{Object: "passkey", ID: p.ID, LastUsedAt: p.LastUsedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Verification: passkeyVerificationJSON{Object: "verification_passkey", Status: "verified", Strategy: passkey.Strategy, Nonce: nonce}}
	if p.Name != "" {
		out.Name = &p.Name
	}
	if nonce != nil {
		out.Verification.Status = "unverified"
	}
	return out
}
