package user

import (
	"encoding/json"
)

// Field is a JSON field that distinguishes "absent" from "null" from a
// value, which PATCH semantics need (null clears, absent keeps).
type Field[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was present.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	f.Set = true
	if string(b) == "null" {
		f.Null = true
		return nil
	}
	return json.Unmarshal(b, &f.Value)
}

// Ptr returns the value as a pointer: nil when absent or null.
func (f Field[T]) Ptr() *T {
	if !f.Set || f.Null {
		return nil
	}
	v := f.Value
	return &v
}

// CreateParams are the fields of POST /v1/users (Clerk's CreateUser body).
type CreateParams struct {
	ExternalID                       *string         `json:"external_id"`
	FirstName                        *string         `json:"first_name"`
	LastName                         *string         `json:"last_name"`
	Locale                           *string         `json:"locale"`
	EmailAddresses                   []string        `json:"email_address"`
	EmailAddressIdentificationStatus []string        `json:"email_address_identification_status"`
	PhoneNumbers                     []string        `json:"phone_number"`
	PhoneNumberIdentificationStatus  []string        `json:"phone_number_identification_status"`
	Web3Wallets                      []string        `json:"web3_wallet"`
	Username                         *string         `json:"username"`
	Password                         *string         `json:"password"`
	PasswordDigest                   *string         `json:"password_digest"`
	PasswordHasher                   *string         `json:"password_hasher"`
	SkipPasswordChecks               *bool           `json:"skip_password_checks"`
	SkipPasswordRequirement          *bool           `json:"skip_password_requirement"`
	TOTPSecret                       *string         `json:"totp_secret"`
	BackupCodes                      []string        `json:"backup_codes"`
	PublicMetadata                   json.RawMessage `json:"public_metadata"`
	PrivateMetadata                  json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                   json.RawMessage `json:"unsafe_metadata"`
	DeleteSelfEnabled                *bool           `json:"delete_self_enabled"`
	CreateOrganizationEnabled        *bool           `json:"create_organization_enabled"`
	CreateOrganizationsLimit         *int            `json:"create_organizations_limit"`
	LegalAcceptedAt                  *string         `json:"legal_accepted_at"`
	SkipLegalChecks                  *bool           `json:"skip_legal_checks"`
	SkipUserRequirement              *bool           `json:"skip_user_requirement"`
	CreatedAt                        *string         `json:"created_at"`
	BypassClientTrust                *bool           `json:"bypass_client_trust"`
	Banned                           *bool           `json:"banned"`
	Locked                           *bool           `json:"locked"`
}

// UpdateParams are the fields of PATCH /v1/users/{id}. Absent fields keep
// their value; null (or "" for username and external_id) clears one.
type UpdateParams struct {
	ExternalID                       Field[string]   `json:"external_id"`
	FirstName                        Field[string]   `json:"first_name"`
	LastName                         Field[string]   `json:"last_name"`
	Locale                           Field[string]   `json:"locale"`
	PrimaryEmailAddressID            Field[string]   `json:"primary_email_address_id"`
	NotifyPrimaryEmailAddressChanged Field[bool]     `json:"notify_primary_email_address_changed"`
	PrimaryPhoneNumberID             Field[string]   `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID              Field[string]   `json:"primary_web3_wallet_id"`
	Username                         Field[string]   `json:"username"`
	ProfileImageID                   Field[string]   `json:"profile_image_id"`
	ProfileImage                     Field[string]   `json:"profile_image"`
	Password                         Field[string]   `json:"password"`
	PasswordDigest                   Field[string]   `json:"password_digest"`
	PasswordHasher                   Field[string]   `json:"password_hasher"`
	SkipPasswordChecks               Field[bool]     `json:"skip_password_checks"`
	SignOutOfOtherSessions           Field[bool]     `json:"sign_out_of_other_sessions"`
	TOTPSecret                       Field[string]   `json:"totp_secret"`
	BackupCodes                      Field[[]string] `json:"backup_codes"`
	PublicMetadata                   json.RawMessage `json:"public_metadata"`
	PrivateMetadata                  json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                   json.RawMessage `json:"unsafe_metadata"`
	DeleteSelfEnabled                Field[bool]     `json:"delete_self_enabled"`
	CreateOrganizationEnabled        Field[bool]     `json:"create_organization_enabled"`
	CreateOrganizationsLimit         Field[int]      `json:"create_organizations_limit"`
	LegalAcceptedAt                  Field[string]   `json:"legal_accepted_at"`
	SkipLegalChecks                  Field[bool]     `json:"skip_legal_checks"`
	CreatedAt                        Field[string]   `json:"created_at"`
	BypassClientTrust                Field[bool]     `json:"bypass_client_trust"`

	// MetadataRejected is set by the API layer for API versions in which
	// Clerk no longer accepts metadata on this endpoint.
	MetadataRejected bool `json:"-"`
}

// MetadataParams are the fields of PATCH and PUT /v1/users/{id}/metadata.
// A nil field is absent; a field holding JSON null is present.
type MetadataParams struct {
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata"`
}
