package sdk

import "encoding/json"

// The objects of the Backend API. Times are Unix milliseconds.

// Verification is the verification state of an identifier.
type Verification struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int   `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

// EmailAddress is one of a user's email addresses.
type EmailAddress struct {
	ID           string        `json:"id"`
	EmailAddress string        `json:"email_address"`
	Reserved     bool          `json:"reserved"`
	Verification *Verification `json:"verification"`
	CreatedAt    int64         `json:"created_at"`
	UpdatedAt    int64         `json:"updated_at"`
}

// PhoneNumber is one of a user's phone numbers.
type PhoneNumber struct {
	ID           string        `json:"id"`
	PhoneNumber  string        `json:"phone_number"`
	Reserved     bool          `json:"reserved"`
	Verification *Verification `json:"verification"`
	CreatedAt    int64         `json:"created_at"`
	UpdatedAt    int64         `json:"updated_at"`
}

// Web3Wallet is one of a user's wallets.
type Web3Wallet struct {
	ID           string        `json:"id"`
	Web3Wallet   string        `json:"web3_wallet"`
	Verification *Verification `json:"verification"`
}

// User is a user.
type User struct {
	ID                            string          `json:"id"`
	ExternalID                    *string         `json:"external_id"`
	Username                      *string         `json:"username"`
	FirstName                     *string         `json:"first_name"`
	LastName                      *string         `json:"last_name"`
	ImageURL                      string          `json:"image_url"`
	PrimaryEmailAddressID         *string         `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string         `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string         `json:"primary_web3_wallet_id"`
	EmailAddresses                []EmailAddress  `json:"email_addresses"`
	PhoneNumbers                  []PhoneNumber   `json:"phone_numbers"`
	Web3Wallets                   []Web3Wallet    `json:"web3_wallets"`
	PasswordEnabled               bool            `json:"password_enabled"`
	PublicMetadata                json.RawMessage `json:"public_metadata"`
	PrivateMetadata               json.RawMessage `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage `json:"unsafe_metadata"`
	Banned                        bool            `json:"banned"`
	Locked                        bool            `json:"locked"`
	LockoutExpiresInSeconds       *int64          `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64          `json:"verification_attempts_remaining"`
	LastSignInAt                  *int64          `json:"last_sign_in_at"`
	LastActiveAt                  *int64          `json:"last_active_at"`
	CreatedAt                     int64           `json:"created_at"`
	UpdatedAt                     int64           `json:"updated_at"`
}

// PrimaryEmailAddress returns the user's primary email address, or "".
func (u *User) PrimaryEmailAddress() string {
	for _, e := range u.EmailAddresses {
		if u.PrimaryEmailAddressID != nil && e.ID == *u.PrimaryEmailAddressID {
			return e.EmailAddress
		}
	}
	return ""
}

// Session is a signed-in session on a client.
type Session struct {
	ID           string `json:"id"`
	ClientID     string `json:"client_id"`
	UserID       string `json:"user_id"`
	Status       string `json:"status"`
	LastActiveAt int64  `json:"last_active_at"`
	ExpireAt     int64  `json:"expire_at"`
	AbandonAt    int64  `json:"abandon_at"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
}

// SessionToken is a minted session token.
type SessionToken struct {
	JWT string `json:"jwt"`
}

// ClientObject is a client: a browser or device, with its sessions. (The
// name Client is this package's API client.)
type ClientObject struct {
	ID                         string    `json:"id"`
	SessionIDs                 []string  `json:"session_ids"`
	Sessions                   []Session `json:"sessions"`
	SignInID                   *string   `json:"sign_in_id"`
	SignUpID                   *string   `json:"sign_up_id"`
	LastActiveSessionID        *string   `json:"last_active_session_id"`
	LastAuthenticationStrategy *string   `json:"last_authentication_strategy"`
	CreatedAt                  int64     `json:"created_at"`
	UpdatedAt                  int64     `json:"updated_at"`
}

// Invitation is an invitation to sign up.
type Invitation struct {
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Revoked        bool            `json:"revoked"`
	Status         string          `json:"status"`
	URL            string          `json:"url"`
	ExpiresAt      *int64          `json:"expires_at"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

// AllowlistIdentifier is an allowlist entry.
type AllowlistIdentifier struct {
	ID             string  `json:"id"`
	Identifier     string  `json:"identifier"`
	IdentifierType string  `json:"identifier_type"`
	InvitationID   *string `json:"invitation_id"`
	CreatedAt      int64   `json:"created_at"`
	UpdatedAt      int64   `json:"updated_at"`
}

// Email is an email sent to a user, with its delivery state.
type Email struct {
	ID             string  `json:"id"`
	Slug           *string `json:"slug"`
	FromEmailName  string  `json:"from_email_name"`
	ToEmailAddress string  `json:"to_email_address"`
	EmailAddressID *string `json:"email_address_id"`
	UserID         *string `json:"user_id"`
	Subject        string  `json:"subject"`
	Body           string  `json:"body"`
	BodyPlain      *string `json:"body_plain"`
	// Status is queued, sent or failed.
	Status    string  `json:"status"`
	Attempts  int     `json:"attempts"`
	LastError *string `json:"last_error"`
	SentAt    *int64  `json:"sent_at"`
	CreatedAt int64   `json:"created_at"`
}

// SMSMessage is an SMS sent to a user, with its delivery state.
type SMSMessage struct {
	ID              string  `json:"id"`
	FromPhoneNumber string  `json:"from_phone_number"`
	ToPhoneNumber   string  `json:"to_phone_number"`
	PhoneNumberID   *string `json:"phone_number_id"`
	UserID          *string `json:"user_id"`
	Message         string  `json:"message"`
	Status          string  `json:"status"`
	Attempts        int     `json:"attempts"`
	LastError       *string `json:"last_error"`
	SentAt          *int64  `json:"sent_at"`
	CreatedAt       int64   `json:"created_at"`
}
