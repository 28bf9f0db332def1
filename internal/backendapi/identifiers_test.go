package backendapi_test

import (
	"context"
	"sync"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
)

// TestIdentifierResources: email addresses and phone numbers as
// resources through clerk-sdk-go: added verified or not, made primary,
// unverified, reserved for second-factor codes, deleted; the primary one
// stays until another is primary; a taken value races to one winner;
// unknown IDs, IDs of the other kind and bad input are 4xx.
func TestIdentifierResources(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		emails, phones := emailaddress.NewClient(e.sdkConfig()), phonenumber.NewClient(e.sdkConfig())
		adaID := e.userWithPassword("ada@example.com")
		u, _ := e.users.Get(ctx, adaID)
		first := *u.PrimaryEmailAddressID

		work, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: &adaID, EmailAddress: clerk.String("Ada@Work.example"), Verified: clerk.Bool(true)})
		if err != nil || work.Object != "email_address" || work.EmailAddress != "ada@work.example" || work.Verification == nil || work.Verification.Status != "verified" {
			t.Fatalf("create verified: %+v %v", work, err)
		}
		home, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: &adaID, EmailAddress: clerk.String("ada@home.example"), Verified: clerk.Bool(false)})
		if err != nil || home.Verification == nil || home.Verification.Status != "unverified" {
			t.Fatalf("create unverified: %+v %v", home, err)
		}
		if got, err := emails.Get(ctx, work.ID); err != nil || got.ID != work.ID || got.EmailAddress != "ada@work.example" {
			t.Fatalf("get: %+v %v", got, err)
		}
		// Primary: an unverified one cannot be; a verified one becomes it.
		_, err = emails.Update(ctx, home.ID, &emailaddress.UpdateParams{Primary: clerk.Bool(true)})
		apiErr(t, err, 400, "email_address_not_verified")
		if _, err := emails.Update(ctx, work.ID, &emailaddress.UpdateParams{Primary: clerk.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if u, _ := e.users.Get(ctx, adaID); *u.PrimaryEmailAddressID != work.ID {
			t.Fatalf("primary %s, want %s", *u.PrimaryEmailAddressID, work.ID)
		}
		// The primary one can be neither unverified nor deleted.
		_, err = emails.Update(ctx, work.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(false)})
		apiErr(t, err, 400, "primary_identifier_unverify")
		_, err = emails.Delete(ctx, work.ID)
		apiErr(t, err, 400, "primary_identifier_deletion")
		if got, err := emails.Update(ctx, first, &emailaddress.UpdateParams{Verified: clerk.Bool(false)}); err != nil || got.Verification.Status != "unverified" {
			t.Fatalf("unverify: %+v %v", got, err)
		}
		if got, err := emails.Update(ctx, home.ID, &emailaddress.UpdateParams{Verified: clerk.Bool(true)}); err != nil || got.Verification.Status != "verified" {
			t.Fatalf("verify: %+v %v", got, err)
		}
		if del, err := emails.Delete(ctx, first); err != nil || !del.Deleted {
			t.Fatalf("delete: %+v %v", del, err)
		}
		_, err = emails.Get(ctx, first)
		apiErr(t, err, 404, "resource_not_found")

		// Phone numbers, and the second-factor flag.
		ph, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: &adaID, PhoneNumber: clerk.String("+14155552671"), Verified: clerk.Bool(true)})
		if err != nil || ph.Object != "phone_number" || ph.PhoneNumber != "+14155552671" {
			t.Fatalf("phone: %+v %v", ph, err)
		}
		got, err := phones.Update(ctx, ph.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
		if err != nil || !got.ReservedForSecondFactor {
			t.Fatalf("reserve: %+v %v", got, err)
		}
		if u, _ := e.users.Get(ctx, adaID); !u.TwoFactorEnabled {
			t.Fatal("a reserved number is a second factor")
		}
		// An email ID through the phone route, and the reverse.
		_, err = phones.Get(ctx, work.ID)
		apiErr(t, err, 404, "resource_not_found")
		_, err = emails.Get(ctx, ph.ID)
		apiErr(t, err, 404, "resource_not_found")
		if del, err := phones.Delete(ctx, ph.ID); err != nil || !del.Deleted {
			t.Fatalf("delete phone: %+v %v", del, err)
		}
		if u, _ := e.users.Get(ctx, adaID); u.TwoFactorEnabled || len(u.PhoneNumbers) != 0 {
			t.Fatalf("after deleting the number: %+v", u)
		}

		// Bad input.
		_, err = emails.Create(ctx, &emailaddress.CreateParams{EmailAddress: clerk.String("x@example.com")})
		apiErr(t, err, 422, "form_param_missing")
		_, err = emails.Create(ctx, &emailaddress.CreateParams{UserID: &adaID})
		apiErr(t, err, 422, "form_param_missing")
		_, err = emails.Create(ctx, &emailaddress.CreateParams{UserID: &adaID, EmailAddress: clerk.String("not an address")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = emails.Create(ctx, &emailaddress.CreateParams{UserID: clerk.String("user_missing"), EmailAddress: clerk.String("x@example.com")})
		apiErr(t, err, 404, "resource_not_found")
		_, err = phones.Create(ctx, &phonenumber.CreateParams{UserID: &adaID, PhoneNumber: clerk.String("12")})
		apiErr(t, err, 422, "form_param_format_invalid")
		_, err = emails.Create(ctx, &emailaddress.CreateParams{UserID: &adaID, EmailAddress: clerk.String("ada@work.example")})
		apiErr(t, err, 422, "form_identifier_exists")
		if st, _ := e.do("PATCH", "/v1/email_addresses/"+work.ID, `{"verified": "yes"}`); st != 422 {
			t.Fatalf("a string verified: %d", st)
		}
		if st, _ := e.do("DELETE", "/v1/phone_numbers/idn_missing", nil); st != 404 {
			t.Fatalf("unknown phone: %d", st)
		}

		// Two users racing one address: one winner.
		grace := e.userWithPassword("grace@example.com")
		var wg sync.WaitGroup
		codes := make([]int, 6)
		for i := range codes {
			owner := adaID
			if i%2 == 1 {
				owner = grace
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = e.do("POST", "/v1/email_addresses", map[string]any{"user_id": owner, "email_address": "shared@example.com"})
			}()
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case 200:
				won++
			case 422:
			default:
				t.Fatalf("racing: %v", codes)
			}
		}
		if won != 1 {
			t.Fatalf("racing: %v", codes)
		}
	})
}

// TestDeleteWeb3Wallet: clerk-sdk-go's DeleteWeb3Wallet removes a
// user's wallet; the primary one stays; unknown and foreign IDs are 404.
func TestDeleteWeb3Wallet(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		wallets := []string{"0x52908400098527886e0f7030069857d2e4169ee7", "0x8617e340b3d01fa5f11f306f4090fd50e238070d"}
		u, err := e.users.Create(ctx, &clerkuser.CreateParams{Web3Wallets: &wallets, SkipPasswordRequirement: clerk.Bool(true)})
		if err != nil || len(u.Web3Wallets) != 2 || u.PrimaryWeb3WalletID == nil {
			t.Fatalf("create: %+v %v", u, err)
		}
		primary := *u.PrimaryWeb3WalletID
		other := u.Web3Wallets[0].ID
		if other == primary {
			other = u.Web3Wallets[1].ID
		}
		_, err = e.users.DeleteWeb3Wallet(ctx, u.ID, primary)
		apiErr(t, err, 400, "primary_identifier_deletion")
		if del, err := e.users.DeleteWeb3Wallet(ctx, u.ID, other); err != nil || !del.Deleted {
			t.Fatalf("delete: %+v %v", del, err)
		}
		if got, _ := e.users.Get(ctx, u.ID); len(got.Web3Wallets) != 1 {
			t.Fatalf("wallets left: %+v", got.Web3Wallets)
		}
		_, err = e.users.DeleteWeb3Wallet(ctx, u.ID, other)
		apiErr(t, err, 404, "resource_not_found")
		ada := e.userWithPassword("ada@example.com")
		_, err = e.users.DeleteWeb3Wallet(ctx, ada, primary)
		apiErr(t, err, 404, "resource_not_found")
	})
}
