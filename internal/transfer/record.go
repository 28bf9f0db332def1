// Package transfer moves users in and out of Concierge: it reads Clerk's
// dashboard export CSV, JSON Lines of Clerk user objects or of Backend API
// create-user bodies, Supabase Auth and Auth0 exports, and a live
// Clerk-compatible Backend API; it imports them in resumable batches,
// keeping IDs, password digests and second factors; and it exports every
// user back to the same formats.
package transfer

import (
	"encoding/json"
)

// Record is one user as the import formats describe it. Its JSON form is
// Clerk's user object (the fields that carry data) plus the secrets an
// export adds: password_digest, password_hasher, totp_secret and
// backup_codes. That is the line format of a JSON Lines export, and what
// the Backend API answers, so one decoder serves both.
type Record struct {
	ID                    string          `json:"id"`
	Object                string          `json:"object,omitempty"`
	ExternalID            *string         `json:"external_id"`
	Username              *string         `json:"username"`
	FirstName             *string         `json:"first_name"`
	LastName              *string         `json:"last_name"`
	Locale                *string         `json:"locale,omitempty"`
	PrimaryEmailAddressID *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID  *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID   *string         `json:"primary_web3_wallet_id"`
	EmailAddresses        []Ident         `json:"email_addresses"`
	PhoneNumbers          []Ident         `json:"phone_numbers"`
	Web3Wallets           []Ident         `json:"web3_wallets"`
	ExternalAccounts      []External      `json:"external_accounts"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
	UnsafeMetadata        json.RawMessage `json:"unsafe_metadata"`

	Banned bool `json:"banned"`
	// Locked with LockoutExpiresInSeconds is an automatic lockout that
	// ends; without it, a lock an operator set.
	Locked                    bool   `json:"locked"`
	LockoutExpiresInSeconds   *int64 `json:"lockout_expires_in_seconds,omitempty"`
	DeleteSelfEnabled         *bool  `json:"delete_self_enabled,omitempty"`
	CreateOrganizationEnabled *bool  `json:"create_organization_enabled,omitempty"`
	CreateOrganizationsLimit  *int   `json:"create_organizations_limit,omitempty"`
	BypassClientTrust         bool   `json:"bypass_client_trust,omitempty"`

	PasswordEnabled       bool   `json:"password_enabled"`
	PasswordLastUpdatedAt *int64 `json:"password_last_updated_at"`
	LastSignInAt          *int64 `json:"last_sign_in_at"`
	LastActiveAt          *int64 `json:"last_active_at"`
	LegalAcceptedAt       *int64 `json:"legal_accepted_at"`
	CreatedAt             int64  `json:"created_at"`
	UpdatedAt             int64  `json:"updated_at"`

	// Secrets: only an export from Concierge (or a CSV) carries them.
	PasswordDigest string   `json:"password_digest,omitempty"`
	PasswordHasher string   `json:"password_hasher,omitempty"`
	TOTPSecret     string   `json:"totp_secret,omitempty"`
	BackupCodes    []string `json:"backup_codes,omitempty"`

	// Not part of the user object: a plain password from a create-user
	// body, hashed with bcrypt on import.
	password           string
	skipPasswordChecks bool
}

// Ident is an email address, phone number or web3 wallet of a Record, in
// the shape of Clerk's objects (one value field is set).
type Ident struct {
	ID           string        `json:"id"`
	EmailAddress string        `json:"email_address,omitempty"`
	PhoneNumber  string        `json:"phone_number,omitempty"`
	Web3Wallet   string        `json:"web3_wallet,omitempty"`
	Reserved     bool          `json:"reserved,omitempty"`
	Verification *Verification `json:"verification"`
	CreatedAt    int64         `json:"created_at,omitempty"`
	UpdatedAt    int64         `json:"updated_at,omitempty"`
}

func (i *Ident) value() string { return i.EmailAddress + i.PhoneNumber + i.Web3Wallet }

// Verification is the part of Clerk's verification object an import keeps.
type Verification struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
}

// External is an external account (social connection) of a Record.
type External struct {
	ID             string        `json:"id"`
	Provider       string        `json:"provider"`
	ProviderUserID string        `json:"provider_user_id"`
	EmailAddress   string        `json:"email_address"`
	FirstName      string        `json:"first_name"`
	LastName       string        `json:"last_name"`
	Username       *string       `json:"username"`
	ImageURL       string        `json:"image_url"`
	ApprovedScopes string        `json:"approved_scopes"`
	Verification   *Verification `json:"verification"`
	CreatedAt      int64         `json:"created_at,omitempty"`
	UpdatedAt      int64         `json:"updated_at,omitempty"`
}

// Item is one record read from a source, numbered, with what is needed to
// report it if it fails.
type Item struct {
	// Seq counts the records of the source from 1; an import's checkpoint
	// is the Seq of the last record it committed.
	Seq int64
	// Line is where the record starts in a file (0 for the API).
	Line int
	// Raw is the record as read, for the error file: a CSV row's cells or
	// a JSON line.
	Raw []string
	Rec *Record
	// Err is a record that could not be read at all.
	Err error
}
