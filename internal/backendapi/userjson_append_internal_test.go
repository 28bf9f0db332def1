package backendapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/user"
)

// encodingJSON is what respond.JSON writes for v.
func encodingJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func mustAppendJSON(tb testing.TB, u *UserJSON) []byte {
	tb.Helper()
	b, err := u.AppendJSON([]byte("prefix"))
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("prefix")) {
		tb.Fatalf("AppendJSON lost what it appended to: %.40s", b)
	}
	return b[len("prefix"):]
}

var trickyStrings = []string{"", "plain", `quo"te`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r", "\b\f\x00\x01\x1f\x7f",
	"ünïcödé ✓ 日本", "bad \xff\xfe utf8", "line\u2028para\u2029", "emoji 🎉", "\xed\xa0\x80 surrogate"}

// randomUserJSON fills every field, each pointer set or nil and each list
// nil, empty or not, from r.
func randomUserJSON(r *rand.Rand) *UserJSON {
	str := func() string { return trickyStrings[r.IntN(len(trickyStrings))] }
	sp := func() *string {
		if r.IntN(3) == 0 {
			return nil
		}
		s := str()
		return &s
	}
	ip := func() *int64 {
		if r.IntN(3) == 0 {
			return nil
		}
		n := r.Int64() - r.Int64()
		return &n
	}
	raw := func() json.RawMessage {
		if r.IntN(5) == 0 {
			return nil
		}
		return json.RawMessage([]string{"{}", `{"a": [1, 2,  {"b" : "<x>"}]}`, ` { } `, `{"plan":"p1"}`}[r.IntN(4)])
	}
	u := &UserJSON{ID: str(), Object: "user", ExternalID: sp(), PrimaryEmailAddressID: sp(), PrimaryPhoneNumberID: sp(),
		PrimaryWeb3WalletID: sp(), Username: sp(), FirstName: sp(), LastName: sp(), Locale: sp(),
		ProfileImageURL: str(), ImageURL: str(), HasImage: r.IntN(2) == 0,
		PublicMetadata: raw(), PrivateMetadata: raw(), UnsafeMetadata: raw(),
		PasswordEnabled: r.IntN(2) == 0, TwoFactorEnabled: r.IntN(2) == 0, TOTPEnabled: r.IntN(2) == 0,
		BackupCodeEnabled: r.IntN(2) == 0, MFAEnabledAt: ip(), MFADisabledAt: ip(), PasswordLastUpdatedAt: ip(),
		LastSignInAt: ip(), Banned: r.IntN(2) == 0, Locked: r.IntN(2) == 0, LockoutExpiresInSeconds: ip(),
		VerificationAttemptsRemaining: ip(), DeleteSelfEnabled: r.IntN(2) == 0, CreateOrganizationEnabled: r.IntN(2) == 0,
		LastActiveAt: ip(), LegalAcceptedAt: ip(), BypassClientTrust: r.IntN(2) == 0, UpdatedAt: r.Int64(), CreatedAt: -r.Int64()}
	if r.IntN(2) == 0 {
		n := r.IntN(100) - 50
		u.CreateOrganizationsLimit = &n
	}
	switch r.IntN(3) {
	case 0:
		u.OrganizationMemberships = []struct{}{}
	case 1:
		u.OrganizationMemberships = []struct{}{{}}
	}
	if r.IntN(4) > 0 {
		u.EmailAddresses = []emailAddressJSON{}
		for range r.IntN(4) {
			e := emailAddressJSON{ID: str(), Object: "email_address", EmailAddress: str(), Reserved: r.IntN(2) == 0,
				MatchesSSOConnection: r.IntN(2) == 0, CreatedAt: r.Int64(), UpdatedAt: r.Int64()}
			if r.IntN(3) > 0 {
				e.Verification = &verificationJSON{Object: str(), Status: str(), Strategy: str(), ExpireAt: ip()}
				if r.IntN(2) == 0 {
					n := r.IntN(10)
					e.Verification.Attempts = &n
				}
			}
			if r.IntN(3) > 0 {
				e.LinkedTo = []linkedJSON{}
				for range r.IntN(3) {
					e.LinkedTo = append(e.LinkedTo, linkedJSON{Type: str(), ID: str()})
				}
			}
			u.EmailAddresses = append(u.EmailAddresses, e)
		}
	}
	if r.IntN(3) > 0 {
		u.PhoneNumbers = []phoneNumberJSON{}
		if r.IntN(2) == 0 {
			u.PhoneNumbers = append(u.PhoneNumbers, phoneNumberJSON{ID: str(), PhoneNumber: str(), LinkedTo: []linkedJSON{}})
		}
	}
	if r.IntN(3) > 0 {
		u.Web3Wallets = []web3WalletJSON{}
	}
	if r.IntN(3) > 0 {
		u.Passkeys = []PasskeyJSON{}
		if r.IntN(2) == 0 {
			u.Passkeys = append(u.Passkeys, PasskeyObject(passkey.Passkey{ID: str(), Name: str()}, nil))
		}
	}
	if r.IntN(3) > 0 {
		u.ExternalAccounts = []externalAccountJSON{}
		if r.IntN(2) == 0 {
			u.ExternalAccounts = append(u.ExternalAccounts, externalAccount(&user.Identifier{ID: str(), Kind: "oauth_google", Value: str(), Data: `{"email":"a@b.c"}`}))
		}
	}
	if r.IntN(3) > 0 {
		u.SAMLAccounts, u.EnterpriseAccounts = []struct{}{}, []struct{}{}
	}
	return u
}

// TestUserJSONAppendMatches: the hand-written encoder writes exactly what
// encoding/json writes, for every field set or not, tricky strings and
// metadata with spaces.
func TestUserJSONAppendMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 20))
	for i := range 3000 {
		u := randomUserJSON(r)
		want, got := encodingJSON(t, u), mustAppendJSON(t, u)
		if !bytes.Equal(got, want) {
			t.Fatalf("user %d:\n got %s\nwant %s", i, got, want)
		}
	}
	// A typical user, rendered as the API renders it.
	first, last := "Ada", "Lovelace"
	u := &user.User{ID: "user_1", FirstName: &first, LastName: &last, PublicMetadata: []byte(`{"plan":"pro"}`),
		Identifiers: []user.Identifier{{ID: "idn_1", Kind: user.EmailAddress, Value: "ada@example.com",
			VerificationStatus: user.StatusVerified, VerificationStrategy: user.StrategyAdmin}}}
	u.PrimaryEmailAddressID = &u.Identifiers[0].ID
	obj := UserObject("https://c.example.com", u, 1, true)
	if want, got := encodingJSON(t, obj), mustAppendJSON(t, obj); !bytes.Equal(got, want) {
		t.Fatalf("typical user:\n got %s\nwant %s", got, want)
	}
	// Metadata that is not JSON is refused, as encoding/json refuses it.
	obj.PublicMetadata = json.RawMessage(`{"a":`)
	if _, err := obj.AppendJSON(nil); err == nil {
		t.Error("invalid metadata accepted")
	}
}

// FuzzAppendString: any string quotes as encoding/json quotes it.
func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if want, got := encodingJSON(t, s), appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}

// BenchmarkUserPageJSON: a page of 100 typical users, through
// encoding/json (as before) and appended by hand.
//
//	go test -run XXX -bench UserPageJSON ./internal/backendapi
func BenchmarkUserPageJSON(b *testing.B) {
	page := make([]*UserJSON, 100)
	for i := range page {
		first, last := "Ada", "Lovelace"
		u := &user.User{ID: "user_2abcdefghijklmnopqrstuvwxyz", FirstName: &first, LastName: &last,
			PublicMetadata: []byte(`{}`), PrivateMetadata: []byte(`{}`), UnsafeMetadata: []byte(`{}`),
			Identifiers: []user.Identifier{{ID: "idn_2abcdefghijklmnopqrstuvwxyz", Kind: user.EmailAddress, Value: "ada.lovelace12345@example42.com",
				VerificationStatus: user.StatusVerified, VerificationStrategy: user.StrategyAdmin, CreatedAt: 1, UpdatedAt: 2}}}
		u.PrimaryEmailAddressID = &u.Identifiers[0].ID
		page[i] = UserObject("https://c.example.com", u, 1, true)
	}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			encodingJSON(b, page)
		}
	})
	b.Run("append", func(b *testing.B) {
		for b.Loop() {
			out := append(make([]byte, 0, 512+2304*len(page)), '[')
			for i, u := range page {
				if i > 0 {
					out = append(out, ',')
				}
				out, _ = u.AppendJSON(out)
			}
			_ = append(out, ']')
		}
	})
}

// TestUserJSONAppendCoversEveryField: the random users above set every
// field of the user and of its email addresses at least once, so that a
// field added to UserJSON (or emailAddressJSON) but not to AppendJSON
// fails TestUserJSONAppendMatches instead of being dropped silently.
// A new field must be added to randomUserJSON too for this to pass.
func TestUserJSONAppendCoversEveryField(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 20))
	seen := map[string]bool{}
	mark := func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			if !v.Field(i).IsZero() {
				seen[prefix+v.Type().Field(i).Name] = true
			}
		}
	}
	for range 3000 {
		u := randomUserJSON(r)
		mark("", reflect.ValueOf(*u))
		for _, e := range u.EmailAddresses {
			mark("email.", reflect.ValueOf(e))
		}
	}
	check := func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			if name := prefix + typ.Field(i).Name; !seen[name] {
				t.Errorf("%s is never set by randomUserJSON: add it there and to AppendJSON", name)
			}
		}
	}
	check("", reflect.TypeOf(UserJSON{}))
	check("email.", reflect.TypeOf(emailAddressJSON{}))
}
