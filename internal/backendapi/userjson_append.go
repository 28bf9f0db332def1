package backendapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Users are the most-served objects (a page of 100 is ~200 KB), and
// encoding/json's reflection was a quarter of a list's server CPU. So the
// user object and its email addresses are appended by hand, byte for byte
// what respond.JSON's encoder writes (TestUserJSONAppendMatches checks it);
// the rarer nested objects still go through encoding/json.

// AppendJSON appends u's JSON to b: what encoding/json writes for it with
// HTML escaping off, without the trailing newline.
func (u *UserJSON) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = appendString(b, u.ID)
	b = append(b, `,"object":`...)
	b = appendString(b, u.Object)
	b = appendStringPtr(append(b, `,"external_id":`...), u.ExternalID)
	b = appendStringPtr(append(b, `,"primary_email_address_id":`...), u.PrimaryEmailAddressID)
	b = appendStringPtr(append(b, `,"primary_phone_number_id":`...), u.PrimaryPhoneNumberID)
	b = appendStringPtr(append(b, `,"primary_web3_wallet_id":`...), u.PrimaryWeb3WalletID)
	b = appendStringPtr(append(b, `,"username":`...), u.Username)
	b = appendStringPtr(append(b, `,"first_name":`...), u.FirstName)
	b = appendStringPtr(append(b, `,"last_name":`...), u.LastName)
	b = appendStringPtr(append(b, `,"locale":`...), u.Locale)
	b = appendString(append(b, `,"profile_image_url":`...), u.ProfileImageURL)
	b = appendString(append(b, `,"image_url":`...), u.ImageURL)
	b = strconv.AppendBool(append(b, `,"has_image":`...), u.HasImage)
	if b, err = appendRaw(append(b, `,"public_metadata":`...), u.PublicMetadata); err != nil {
		return nil, err
	}
	if b, err = appendRaw(append(b, `,"private_metadata":`...), u.PrivateMetadata); err != nil {
		return nil, err
	}
	if b, err = appendRaw(append(b, `,"unsafe_metadata":`...), u.UnsafeMetadata); err != nil {
		return nil, err
	}
	b = append(b, `,"email_addresses":`...)
	if u.EmailAddresses == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range u.EmailAddresses {
			if i > 0 {
				b = append(b, ',')
			}
			b = u.EmailAddresses[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	// Empty lists are written here: boxing one in an interface for
	// encoding/json would allocate.
	if b, err = appendList(append(b, `,"phone_numbers":`...), u.PhoneNumbers); err != nil {
		return nil, err
	}
	if b, err = appendList(append(b, `,"web3_wallets":`...), u.Web3Wallets); err != nil {
		return nil, err
	}
	if b, err = appendList(append(b, `,"passkeys":`...), u.Passkeys); err != nil {
		return nil, err
	}
	b = strconv.AppendBool(append(b, `,"password_enabled":`...), u.PasswordEnabled)
	b = strconv.AppendBool(append(b, `,"two_factor_enabled":`...), u.TwoFactorEnabled)
	b = strconv.AppendBool(append(b, `,"totp_enabled":`...), u.TOTPEnabled)
	b = strconv.AppendBool(append(b, `,"backup_code_enabled":`...), u.BackupCodeEnabled)
	b = appendInt64Ptr(append(b, `,"mfa_enabled_at":`...), u.MFAEnabledAt)
	b = appendInt64Ptr(append(b, `,"mfa_disabled_at":`...), u.MFADisabledAt)
	b = appendInt64Ptr(append(b, `,"password_last_updated_at":`...), u.PasswordLastUpdatedAt)
	if b, err = appendList(append(b, `,"external_accounts":`...), u.ExternalAccounts); err != nil {
		return nil, err
	}
	if b, err = appendList(append(b, `,"saml_accounts":`...), u.SAMLAccounts); err != nil {
		return nil, err
	}
	if b, err = appendList(append(b, `,"enterprise_accounts":`...), u.EnterpriseAccounts); err != nil {
		return nil, err
	}
	b = append(b, `,"organization_memberships":`...)
	if orgs, ok := u.OrganizationMemberships.([]struct{}); ok && orgs != nil && len(orgs) == 0 {
		b = append(b, "[]"...)
	} else if b, err = appendAny(b, u.OrganizationMemberships); err != nil {
		return nil, err
	}
	b = appendInt64Ptr(append(b, `,"last_sign_in_at":`...), u.LastSignInAt)
	b = strconv.AppendBool(append(b, `,"banned":`...), u.Banned)
	b = strconv.AppendBool(append(b, `,"locked":`...), u.Locked)
	b = appendInt64Ptr(append(b, `,"lockout_expires_in_seconds":`...), u.LockoutExpiresInSeconds)
	b = appendInt64Ptr(append(b, `,"verification_attempts_remaining":`...), u.VerificationAttemptsRemaining)
	b = strconv.AppendBool(append(b, `,"delete_self_enabled":`...), u.DeleteSelfEnabled)
	b = strconv.AppendBool(append(b, `,"create_organization_enabled":`...), u.CreateOrganizationEnabled)
	b = append(b, `,"create_organizations_limit":`...)
	if u.CreateOrganizationsLimit == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*u.CreateOrganizationsLimit), 10)
	}
	b = appendInt64Ptr(append(b, `,"last_active_at":`...), u.LastActiveAt)
	b = appendInt64Ptr(append(b, `,"legal_accepted_at":`...), u.LegalAcceptedAt)
	b = strconv.AppendBool(append(b, `,"bypass_client_trust":`...), u.BypassClientTrust)
	b = strconv.AppendInt(append(b, `,"updated_at":`...), u.UpdatedAt, 10)
	b = strconv.AppendInt(append(b, `,"created_at":`...), u.CreatedAt, 10)
	return append(b, '}'), nil
}

func (e *emailAddressJSON) appendJSON(b []byte) []byte {
	b = appendString(append(b, `{"id":`...), e.ID)
	b = appendString(append(b, `,"object":`...), e.Object)
	b = appendString(append(b, `,"email_address":`...), e.EmailAddress)
	b = strconv.AppendBool(append(b, `,"reserved":`...), e.Reserved)
	b = append(b, `,"verification":`...)
	if v := e.Verification; v == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(append(b, `{"object":`...), v.Object)
		b = appendString(append(b, `,"status":`...), v.Status)
		b = appendString(append(b, `,"strategy":`...), v.Strategy)
		b = append(b, `,"attempts":`...)
		if v.Attempts == nil {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendInt(b, int64(*v.Attempts), 10)
		}
		b = append(appendInt64Ptr(append(b, `,"expire_at":`...), v.ExpireAt), '}')
	}
	b = append(b, `,"linked_to":`...)
	if e.LinkedTo == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, l := range e.LinkedTo {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(append(b, `{"type":`...), l.Type)
			b = append(appendString(append(b, `,"id":`...), l.ID), '}')
		}
		b = append(b, ']')
	}
	b = strconv.AppendBool(append(b, `,"matches_sso_connection":`...), e.MatchesSSOConnection)
	b = strconv.AppendInt(append(b, `,"created_at":`...), e.CreatedAt, 10)
	b = strconv.AppendInt(append(b, `,"updated_at":`...), e.UpdatedAt, 10)
	return append(b, '}')
}

// appendList appends a list: null, [] or through encoding/json.
func appendList[T any](b []byte, l []T) ([]byte, error) {
	switch {
	case l == nil:
		return append(b, "null"...), nil
	case len(l) == 0:
		return append(b, "[]"...), nil
	}
	return appendAny(b, l)
}

// appendAny appends v through encoding/json.
func appendAny(b []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// appendRaw appends a raw JSON value compacted, as encoding/json does
// (and refuses what is not JSON, as it does).
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	if string(raw) == "{}" {
		return append(b, "{}"...), nil
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendInt64Ptr(b []byte, n *int64) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *n, 10)
}

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json quotes it without HTML
// escaping: control characters escaped, invalid UTF-8 as U+FFFD, and
// U+2028 and U+2029 escaped for JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}
