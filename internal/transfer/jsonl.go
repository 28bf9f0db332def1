package transfer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/user"
)

// The shapes a JSON record can have.
const (
	ShapeUser     = "user"     // Clerk's user object, what the API and an export give
	ShapeCreate   = "create"   // a Backend API create-user body
	ShapeSupabase = "supabase" // a row of Supabase Auth's auth.users, or its admin API user
	ShapeAuth0    = "auth0"    // Auth0's bulk user export, or its password-hash export
)

// maxLine bounds one JSON record.
const maxLine = 1 << 20

// jsonSource reads JSON Lines, or one JSON array of records (as a
// Supabase or Auth0 export may be). The shape is told, or guessed from the
// keys of the first record and kept for the rest of the file.
type jsonSource struct {
	br    *bufio.Reader
	dec   *json.Decoder // set for a JSON array
	shape string
	seq   int64
	line  int
}

func newJSONSource(r io.Reader, shape string) (*jsonSource, error) {
	s := &jsonSource{br: bufio.NewReaderSize(r, 64<<10), shape: shape}
	// A JSON array starts with '[' after any whitespace.
	for {
		b, err := s.br.Peek(1)
		if err != nil {
			return s, nil // empty: Next says EOF
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
			if b[0] == '\n' {
				s.line++
			}
			s.br.ReadByte()
			continue
		}
		if b[0] == '[' {
			s.dec = json.NewDecoder(s.br)
			if _, err := s.dec.Token(); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
}

func (s *jsonSource) Next() (*Item, error) {
	for {
		raw, err := s.nextRaw()
		if err != nil {
			return nil, err
		}
		// An export's audit events follow its users: not users to import.
		if isAuditLine(raw) {
			continue
		}
		s.seq++
		it := &Item{Seq: s.seq, Line: s.line, Raw: []string{string(raw)}}
		if s.dec != nil {
			it.Line = int(s.seq)
		}
		if s.shape == "" {
			s.shape = guessShape(raw)
		}
		it.Rec, it.Err = decodeShape(s.shape, raw)
		return it, nil
	}
}

// nextRaw reads the next record's JSON.
func (s *jsonSource) nextRaw() ([]byte, error) {
	var raw []byte
	if s.dec != nil {
		if !s.dec.More() {
			return nil, io.EOF
		}
		var m json.RawMessage
		if err := s.dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("reading the JSON array: %w", err)
		}
		raw = m
	} else {
		for {
			l, err := s.readLine()
			if err != nil {
				return nil, err
			}
			s.line++
			if l = bytes.TrimSpace(l); len(l) > 0 {
				raw = l
				break
			}
		}
	}
	return raw, nil
}

func (s *jsonSource) readLine() ([]byte, error) {
	var line []byte
	for {
		part, isPrefix, err := s.br.ReadLine()
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		line = append(line, part...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("line %d is longer than %d bytes", s.line+1, maxLine)
		}
		if !isPrefix {
			return line, nil
		}
	}
}

// guessShape tells the shape of a record from the keys it has.
func guessShape(raw []byte) string {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return ShapeUser // reported as invalid JSON by decodeShape
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("email_addresses") || string(keys["object"]) == `"user"`:
		return ShapeUser
	case has("encrypted_password") || has("raw_user_meta_data") || has("aud") || has("email_confirmed_at"):
		return ShapeSupabase
	case has("user_id") || has("passwordHash") || has("_id") || has("identities") || has("email_verified"):
		return ShapeAuth0
	}
	return ShapeCreate
}

func decodeShape(shape string, raw []byte) (*Record, error) {
	switch shape {
	case ShapeUser:
		var r Record
		if err := strictJSON(raw, &r); err != nil {
			return nil, err
		}
		return &r, nil
	case ShapeCreate:
		return decodeCreate(raw)
	case ShapeSupabase:
		return decodeSupabase(raw)
	case ShapeAuth0:
		return decodeAuth0(raw)
	}
	return nil, fmt.Errorf("unknown record shape %q", shape)
}

func strictJSON(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
		}
		return fmt.Errorf("not a user record: %v", err)
	}
	return nil
}

// createBody is a Backend API create-user body, with an optional id: a
// Clerk-style user ID to keep.
type createBody struct {
	ID string `json:"id"`
	user.CreateParams
}

func decodeCreate(raw []byte) (*Record, error) {
	var b createBody
	if err := strictJSON(raw, &b); err != nil {
		return nil, err
	}
	p := &b.CreateParams
	r := &Record{ID: b.ID, ExternalID: p.ExternalID, Username: p.Username, FirstName: p.FirstName,
		LastName: p.LastName, Locale: p.Locale, PublicMetadata: p.PublicMetadata,
		PrivateMetadata: p.PrivateMetadata, UnsafeMetadata: p.UnsafeMetadata,
		DeleteSelfEnabled: p.DeleteSelfEnabled, CreateOrganizationEnabled: p.CreateOrganizationEnabled,
		CreateOrganizationsLimit: p.CreateOrganizationsLimit}
	if p.Banned != nil {
		r.Banned = *p.Banned
	}
	if p.Locked != nil {
		r.Locked = *p.Locked
	}
	if p.BypassClientTrust != nil {
		r.BypassClientTrust = *p.BypassClientTrust
	}
	if len(p.EmailAddressIdentificationStatus) > 0 && len(p.EmailAddressIdentificationStatus) != len(p.EmailAddresses) ||
		len(p.PhoneNumberIdentificationStatus) > 0 && len(p.PhoneNumberIdentificationStatus) != len(p.PhoneNumbers) {
		return nil, fmt.Errorf("an identification_status list must have one entry per identifier")
	}
	for i, v := range p.EmailAddresses {
		r.EmailAddresses = append(r.EmailAddresses, Ident{EmailAddress: v,
			Reserved: i < len(p.EmailAddressIdentificationStatus) && p.EmailAddressIdentificationStatus[i] == "reserved"})
	}
	for i, v := range p.PhoneNumbers {
		r.PhoneNumbers = append(r.PhoneNumbers, Ident{PhoneNumber: v,
			Reserved: i < len(p.PhoneNumberIdentificationStatus) && p.PhoneNumberIdentificationStatus[i] == "reserved"})
	}
	for _, v := range p.Web3Wallets {
		r.Web3Wallets = append(r.Web3Wallets, Ident{Web3Wallet: v})
	}
	if p.Password != nil && p.PasswordDigest != nil {
		return nil, fmt.Errorf("password and password_digest cannot both be given")
	}
	if p.Password != nil {
		r.password = *p.Password
		r.skipPasswordChecks = p.SkipPasswordChecks != nil && *p.SkipPasswordChecks
		if r.password == "" {
			return nil, fmt.Errorf("password is empty")
		}
	}
	if p.PasswordDigest != nil {
		r.PasswordDigest = *p.PasswordDigest
	}
	if p.PasswordHasher != nil {
		r.PasswordHasher = *p.PasswordHasher
	}
	if p.TOTPSecret != nil {
		r.TOTPSecret = *p.TOTPSecret
	}
	r.BackupCodes = p.BackupCodes
	var err error
	if p.CreatedAt != nil {
		if r.CreatedAt, err = parseTime("created_at", *p.CreatedAt); err != nil {
			return nil, err
		}
	}
	if p.LegalAcceptedAt != nil {
		t, err := parseTime("legal_accepted_at", *p.LegalAcceptedAt)
		if err != nil {
			return nil, err
		}
		r.LegalAcceptedAt = &t
	}
	return r, nil
}

// parseTime reads the timestamps exports write: RFC 3339, PostgreSQL's
// text form ("2024-01-15 10:00:00.123456+00"), or Unix milliseconds.
func parseTime(field, v string) (int64, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	var ms int64
	if _, err := fmt.Sscanf(v, "%d", &ms); err == nil && fmt.Sprint(ms) == v && ms > 0 {
		return ms, nil
	}
	return 0, fmt.Errorf("%s is not a time: %q", field, clip(v))
}
