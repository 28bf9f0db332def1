package transfer

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Supabase Auth keeps users in auth.users (exported with SQL as JSON) and
// serves the same users from its admin API with other key names; both are
// read. Passwords are bcrypt. User metadata is editable by the user, as
// Clerk's unsafe_metadata; app metadata only by the server, so it becomes
// private_metadata. The Supabase ID is kept as external_id.
type supabaseUser struct {
	ID                string          `json:"id"`
	Email             string          `json:"email"`
	EncryptedPassword string          `json:"encrypted_password"`
	EmailConfirmedAt  *string         `json:"email_confirmed_at"`
	ConfirmedAt       *string         `json:"confirmed_at"`
	Phone             string          `json:"phone"`
	PhoneConfirmedAt  *string         `json:"phone_confirmed_at"`
	RawUserMetaData   json.RawMessage `json:"raw_user_meta_data"`
	RawAppMetaData    json.RawMessage `json:"raw_app_meta_data"`
	UserMetadata      json.RawMessage `json:"user_metadata"`
	AppMetadata       json.RawMessage `json:"app_metadata"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
	LastSignInAt      *string         `json:"last_sign_in_at"`
	BannedUntil       *string         `json:"banned_until"`
	DeletedAt         *string         `json:"deleted_at"`
	Identities        []supabaseIdent `json:"identities"`
}

type supabaseIdent struct {
	ID           string         `json:"id"`
	ProviderID   string         `json:"provider_id"`
	Provider     string         `json:"provider"`
	IdentityData map[string]any `json:"identity_data"`
	CreatedAt    string         `json:"created_at"`
}

func decodeSupabase(raw []byte) (*Record, error) {
	var s supabaseUser
	if err := strictJSON(raw, &s); err != nil {
		return nil, err
	}
	if s.ID == "" {
		return nil, fmt.Errorf("the record has no id")
	}
	if s.DeletedAt != nil && *s.DeletedAt != "" {
		return nil, fmt.Errorf("the user was deleted in Supabase (deleted_at %s)", *s.DeletedAt)
	}
	r := &Record{ID: s.ID, ExternalID: ptr(s.ID)}
	var err error
	if r.CreatedAt, err = parseTime("created_at", s.CreatedAt); err != nil {
		return nil, err
	}
	if s.UpdatedAt != "" {
		r.UpdatedAt, _ = parseTime("updated_at", s.UpdatedAt)
	}
	if s.LastSignInAt != nil && *s.LastSignInAt != "" {
		t, err := parseTime("last_sign_in_at", *s.LastSignInAt)
		if err != nil {
			return nil, err
		}
		r.LastSignInAt = &t
	}
	confirmed := s.EmailConfirmedAt
	if confirmed == nil {
		confirmed = s.ConfirmedAt
	}
	if s.Email != "" {
		r.EmailAddresses = []Ident{{EmailAddress: s.Email, Verification: verified(confirmed != nil && *confirmed != "", "email_code")}}
	}
	if s.Phone != "" {
		phone := s.Phone
		if !strings.HasPrefix(phone, "+") {
			phone = "+" + phone // Supabase keeps E.164 digits without the plus
		}
		r.PhoneNumbers = []Ident{{PhoneNumber: phone, Verification: verified(s.PhoneConfirmedAt != nil && *s.PhoneConfirmedAt != "", "phone_code")}}
	}
	if s.EncryptedPassword != "" {
		r.PasswordDigest, r.PasswordHasher = s.EncryptedPassword, "bcrypt"
	}
	r.UnsafeMetadata = firstObject(s.RawUserMetaData, s.UserMetadata)
	r.PrivateMetadata = firstObject(s.RawAppMetaData, s.AppMetadata)
	if s.BannedUntil != nil && *s.BannedUntil != "" {
		if t, err := parseTime("banned_until", *s.BannedUntil); err == nil && t > time.Now().UnixMilli() {
			r.Banned = true
		}
	}
	for _, i := range s.Identities {
		if i.Provider == "email" || i.Provider == "phone" || i.Provider == "" {
			continue
		}
		sub := i.ProviderID
		if sub == "" {
			if v, ok := i.IdentityData["sub"].(string); ok {
				sub = v
			} else {
				sub = i.ID
			}
		}
		e := External{Provider: providerName(i.Provider), ProviderUserID: sub}
		if v, ok := i.IdentityData["email"].(string); ok {
			e.EmailAddress = v
		}
		r.ExternalAccounts = append(r.ExternalAccounts, e)
	}
	return r, nil
}

// auth0User is a line of Auth0's bulk user export (user_id "auth0|…"), or
// of the password-hash export Auth0 support provides (_id.$oid and
// passwordHash, bcrypt). The Auth0 user_id is kept as external_id; social
// identities become external accounts. Auth0's user_metadata is the user's
// own (unsafe_metadata), app_metadata the server's (private_metadata).
type auth0User struct {
	UserID        string          `json:"user_id"`
	OID           json.RawMessage `json:"_id"`
	Email         string          `json:"email"`
	EmailVerified bool            `json:"email_verified"`
	Username      string          `json:"username"`
	PhoneNumber   string          `json:"phone_number"`
	PhoneVerified bool            `json:"phone_verified"`
	GivenName     string          `json:"given_name"`
	FamilyName    string          `json:"family_name"`
	UserMetadata  json.RawMessage `json:"user_metadata"`
	AppMetadata   json.RawMessage `json:"app_metadata"`
	CreatedAt     json.RawMessage `json:"created_at"`
	UpdatedAt     json.RawMessage `json:"updated_at"`
	LastLogin     json.RawMessage `json:"last_login"`
	Blocked       bool            `json:"blocked"`
	PasswordHash  string          `json:"passwordHash"`
	Identities    []struct {
		Provider string          `json:"provider"`
		UserID   json.RawMessage `json:"user_id"`
		IsSocial bool            `json:"isSocial"`
	} `json:"identities"`
}

func decodeAuth0(raw []byte) (*Record, error) {
	var a auth0User
	if err := strictJSON(raw, &a); err != nil {
		return nil, err
	}
	uid := a.UserID
	if uid == "" {
		if oid := mongoValue(a.OID, "$oid"); oid != "" {
			uid = "auth0|" + oid
		}
	}
	if uid == "" {
		return nil, fmt.Errorf("the record has no user_id")
	}
	r := &Record{ID: uid, ExternalID: ptr(uid), Banned: a.Blocked}
	if v := mongoValue(a.CreatedAt, "$date"); v != "" {
		t, err := parseTime("created_at", v)
		if err != nil {
			return nil, err
		}
		r.CreatedAt = t
	}
	if v := mongoValue(a.UpdatedAt, "$date"); v != "" {
		r.UpdatedAt, _ = parseTime("updated_at", v)
	}
	if v := mongoValue(a.LastLogin, "$date"); v != "" {
		if t, err := parseTime("last_login", v); err == nil {
			r.LastSignInAt = &t
		}
	}
	if a.Email != "" {
		r.EmailAddresses = []Ident{{EmailAddress: a.Email, Verification: verified(a.EmailVerified, "email_code")}}
	}
	if a.PhoneNumber != "" {
		r.PhoneNumbers = []Ident{{PhoneNumber: a.PhoneNumber, Verification: verified(a.PhoneVerified, "phone_code")}}
	}
	if a.Username != "" {
		r.Username = &a.Username
	}
	if a.GivenName != "" {
		r.FirstName = &a.GivenName
	}
	if a.FamilyName != "" {
		r.LastName = &a.FamilyName
	}
	if a.PasswordHash != "" {
		r.PasswordDigest, r.PasswordHasher = a.PasswordHash, "bcrypt"
	}
	r.UnsafeMetadata = firstObject(a.UserMetadata)
	r.PrivateMetadata = firstObject(a.AppMetadata)
	for _, i := range a.Identities {
		if !i.IsSocial {
			continue
		}
		sub := strings.Trim(string(i.UserID), `"`)
		if sub == "" {
			continue
		}
		r.ExternalAccounts = append(r.ExternalAccounts, External{Provider: providerName(i.Provider), ProviderUserID: sub, EmailAddress: a.Email})
	}
	return r, nil
}

// providerName maps other systems' provider names to Clerk's strategies.
func providerName(p string) string {
	switch p = strings.ToLower(p); p {
	case "google-oauth2":
		return "oauth_google"
	case "windowslive", "azure", "microsoft":
		return "oauth_microsoft"
	case "twitter", "x":
		return "oauth_x"
	}
	return "oauth_" + strings.ReplaceAll(p, "-", "_")
}

func verified(ok bool, strategy string) *Verification {
	if ok {
		return &Verification{Status: "verified", Strategy: strategy}
	}
	return &Verification{Status: "unverified", Strategy: strategy}
}

// mongoValue reads a string, or {"<key>": string} (MongoDB's extended JSON).
func mongoValue(raw json.RawMessage, key string) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) == nil {
		return m[key]
	}
	return ""
}

// firstObject is the first of raws that is a non-empty JSON object.
func firstObject(raws ...json.RawMessage) json.RawMessage {
	for _, r := range raws {
		if len(r) > 0 && r[0] == '{' && string(r) != "{}" {
			return r
		}
	}
	return nil
}
