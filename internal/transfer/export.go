package transfer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/seal"
	"github.com/conciergehq/concierge/internal/user"
)

// Export formats.
const (
	FormatJSONL    = "jsonl"     // Clerk user objects with their secrets: lossless
	FormatClerkCSV = "clerk-csv" // Clerk's dashboard export columns
)

// exportPage is how many users an export reads at once.
const exportPage = 1000

// Exporter writes every user of a Store out.
type Exporter struct {
	Store Store
	// Key opens sealed TOTP secrets (the instance's "mfa" secret).
	Key []byte
	// Audit, if set, is the audit log a JSON Lines export appends after
	// the users (see AuditLine); Audited counts the events written.
	Audit   AuditSource
	Audited int64
}

// Export writes all users to w in format, in ID order, and returns how
// many it wrote. Password digests and second factors are included: an
// export is as secret as the database.
func (e *Exporter) Export(ctx context.Context, w io.Writer, format string, progress func(int64)) (int64, error) {
	var write func(*Record) error
	var flush func() error
	switch format {
	case FormatJSONL, "":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		write, flush = func(r *Record) error { return enc.Encode(r) }, func() error { return nil }
	case FormatClerkCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(ClerkCSVColumns); err != nil {
			return 0, err
		}
		write = func(r *Record) error { return cw.Write(csvRow(r)) }
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		return 0, fmt.Errorf("unknown export format %q (jsonl or clerk-csv)", format)
	}
	var n int64
	after := ""
	for {
		users, err := e.Store.ExportUsers(ctx, after, exportPage)
		if err != nil {
			return n, err
		}
		for _, u := range users {
			r, err := e.record(u)
			if err != nil {
				return n, err
			}
			if err := write(r); err != nil {
				return n, err
			}
			n++
		}
		if progress != nil {
			progress(n)
		}
		if len(users) < exportPage {
			break
		}
		after = users[len(users)-1].ID
	}
	if e.Audit != nil && format != FormatClerkCSV {
		if err := e.exportAudit(ctx, w); err != nil {
			return n, err
		}
	}
	return n, flush()
}

// record is u as an export line.
func (e *Exporter) record(u *user.User) (*Record, error) {
	r := &Record{ID: u.ID, Object: "user", ExternalID: u.ExternalID, Username: u.Username,
		FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale,
		PrimaryEmailAddressID: u.PrimaryEmailAddressID, PrimaryPhoneNumberID: u.PrimaryPhoneNumberID,
		PrimaryWeb3WalletID: u.PrimaryWeb3WalletID,
		EmailAddresses:      []Ident{}, PhoneNumbers: []Ident{}, Web3Wallets: []Ident{}, ExternalAccounts: []External{},
		PublicMetadata: orEmpty(u.PublicMetadata), PrivateMetadata: orEmpty(u.PrivateMetadata),
		UnsafeMetadata: orEmpty(u.UnsafeMetadata), Banned: u.Banned, Locked: u.Locked,
		DeleteSelfEnabled: &u.DeleteSelfEnabled, CreateOrganizationEnabled: &u.CreateOrganizationEnabled,
		CreateOrganizationsLimit: u.CreateOrganizationsLimit, BypassClientTrust: u.BypassClientTrust,
		PasswordEnabled: u.PasswordEnabled(), PasswordLastUpdatedAt: u.PasswordLastUpdatedAt,
		LastSignInAt: u.LastSignInAt, LastActiveAt: u.LastActiveAt, LegalAcceptedAt: u.LegalAcceptedAt,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		PasswordDigest: u.PasswordDigest, PasswordHasher: u.PasswordHasher, BackupCodes: u.BackupCodes,
	}
	if len(u.TOTPSecret) > 0 {
		plain, err := seal.Open(e.Key, u.TOTPSecret, []byte(u.ID))
		if err != nil {
			return nil, fmt.Errorf("user %s: the TOTP secret does not open with this instance's key: %w", u.ID, err)
		}
		r.TOTPSecret = string(plain)
	}
	for _, idn := range u.Identifiers {
		in := Ident{ID: idn.ID, Reserved: idn.Reserved, CreatedAt: idn.CreatedAt, UpdatedAt: idn.UpdatedAt}
		if idn.VerificationStatus != "" {
			in.Verification = &Verification{Status: idn.VerificationStatus, Strategy: idn.VerificationStrategy}
		}
		switch {
		case idn.Kind == user.EmailAddress:
			in.EmailAddress = idn.Value
			r.EmailAddresses = append(r.EmailAddresses, in)
		case idn.Kind == user.PhoneNumber:
			in.PhoneNumber = idn.Value
			r.PhoneNumbers = append(r.PhoneNumbers, in)
		case idn.Kind == user.Web3Wallet:
			in.Web3Wallet = idn.Value
			r.Web3Wallets = append(r.Web3Wallets, in)
		case strings.HasPrefix(string(idn.Kind), "oauth_"):
			var ident oauth.Identity
			json.Unmarshal([]byte(idn.Data), &ident) // tokens stay behind: they are sealed and short-lived
			ext := External{ID: idn.ID, Provider: string(idn.Kind), ProviderUserID: idn.Value,
				EmailAddress: ident.Email, FirstName: ident.FirstName, LastName: ident.LastName,
				ImageURL: ident.ImageURL, ApprovedScopes: strings.Join(ident.Scopes, " "),
				Verification: &Verification{Status: idn.VerificationStatus, Strategy: idn.VerificationStrategy},
				CreatedAt:    idn.CreatedAt, UpdatedAt: idn.UpdatedAt}
			if ident.Username != "" {
				ext.Username = &ident.Username
			}
			r.ExternalAccounts = append(r.ExternalAccounts, ext)
		}
	}
	return r, nil
}

// csvRow is r in ClerkCSVColumns order; the primary identifier goes first,
// as an import takes the first for primary.
func csvRow(r *Record) []string {
	join := func(list []Ident, primary *string) string {
		var vals []string
		for _, i := range list {
			if i.Reserved {
				continue
			}
			if primary != nil && i.ID == *primary {
				vals = append([]string{i.value()}, vals...)
			} else {
				vals = append(vals, i.value())
			}
		}
		return strings.Join(vals, "|")
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return []string{r.ID, str(r.FirstName), str(r.LastName), str(r.Username),
		join(r.EmailAddresses, r.PrimaryEmailAddressID), join(r.PhoneNumbers, r.PrimaryPhoneNumberID),
		r.TOTPSecret, r.PasswordDigest, r.PasswordHasher,
		string(r.UnsafeMetadata), string(r.PublicMetadata), string(r.PrivateMetadata)}
}

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}
