package clerkjs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// smsInbox is an SMS gateway on a loopback port: it receives Concierge's
// webhook posts and keeps the messages.
type smsInbox struct {
	url  string
	mu   sync.Mutex
	msgs []struct{ To, Message string }
}

func newSMSInbox(t *testing.T) *smsInbox {
	in := &smsInbox{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct{ To, Message string }
		if json.Unmarshal(body, &m) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		in.mu.Lock()
		in.msgs = append(in.msgs, m)
		in.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	in.url = srv.URL
	return in
}

// smsCode waits for the n-th SMS, to the number to, and returns its code.
func (e *env) smsCode(n int, to string) string {
	t, in := e.t, e.sms
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		in.mu.Lock()
		got := len(in.msgs)
		var m struct{ To, Message string }
		if got >= n {
			m = in.msgs[n-1]
		}
		in.mu.Unlock()
		if got >= n {
			c := codeRe.FindString(m.Message)
			if m.To != to || c == "" {
				t.Fatalf("SMS %d: %+v, want a code to %s", n, m, to)
			}
			return c
		}
		if time.Now().After(deadline) {
			e.shot("sms")
			body, _ := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%d SMS arrived, want %d\npage: %s\nFrontend API calls: %v", got, n, body, e.rec.seen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dashboardSetting signs an operator into the dashboard in this browser
// and changes one setting there, as an operator would.
func (e *env) dashboardSetting(key, value string) {
	e.t.Helper()
	e.dashboardSignIn()
	e.do(chromedp.Navigate(e.fapi + "/dashboard/settings"))
	e.do(chromedp.WaitVisible(chromedp.CSS(`#`+key)), chromedp.SetValue(chromedp.CSS(`#`+key), value),
		chromedp.Click(chromedp.CSS(`form[action="/dashboard/settings"] > button`)))
	e.waitJS(`location.search.includes('notice=saved') && document.querySelector('#` + key + `').value === ` + jsString(value))
	if v, err := e.a.Settings.Get(context.Background(), key); err != nil || v != value {
		e.t.Fatalf("setting %s = %q (%v), want %q", key, v, err, value)
	}
}

// dashboardSignIn signs an operator into the dashboard in this browser.
func (e *env) dashboardSignIn() {
	e.t.Helper()
	const email, pw = "ops@example.com", "operator password 42"
	if _, err := e.a.Operators.Create(context.Background(), email, pw); err != nil && !strings.Contains(err.Error(), "exists") {
		e.t.Fatal(err)
	}
	e.do(chromedp.Navigate(e.fapi + "/dashboard/sign-in"))
	e.typeInto(`#email`, email)
	e.typeInto(`#password`, pw)
	e.click(`form[action="/dashboard/sign-in"] button`)
	e.waitJS(`location.pathname === '/dashboard' || location.pathname === '/dashboard/'`)
}

// TestSignInUnknownAccount: SignIn with an address that has no account
// shows Clerk's field error (the default); with strict enumeration
// protection turned on in the dashboard it goes on to the password step,
// where a wrong password reads as it does for a real account.
func TestSignInUnknownAccount(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.alice()
		e.load()
		e.mount("mountSignIn")
		e.typeInto(`input[name="identifier"]`, "nobody@example.com")
		e.click(primary)
		e.waitJS(`document.body.innerText.includes("Couldn't find your account.")`)
		e.shot("signin-unknown")
		if eval[bool](e, `document.body.innerText.includes('Enter your password') || !document.querySelector('input[name="identifier"]')`) {
			t.Fatal("the password step was shown for an unknown account")
		}

		e.dashboardSetting(instance.StrictEnumerationProtection, "true")
		e.load()
		e.mount("mountSignIn")
		e.typeInto(`input[name="identifier"]`, "nobody@example.com")
		e.click(primary)
		e.waitJS(`document.body.innerText.includes('Enter your password')`)
		e.typeInto(`input[name="password"]`, "not the password")
		e.click(primary)
		e.waitJS(`document.body.innerText.includes('Password is incorrect')`)
		unknown := eval[string](e, `document.querySelector('.cl-formFieldErrorText, [id$="-error-feedback"]')?.innerText || ''`)

		eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
		e.load()
		e.mount("mountSignIn")
		e.typeInto(`input[name="identifier"]`, "alice@example.com")
		e.click(primary)
		e.typeInto(`input[name="password"]`, "not the password")
		e.click(primary)
		e.waitJS(`document.body.innerText.includes('Password is incorrect')`)
		known := eval[string](e, `document.querySelector('.cl-formFieldErrorText, [id$="-error-feedback"]')?.innerText || ''`)
		if unknown == "" || unknown != known {
			t.Fatalf("the error tells the accounts apart: unknown %q, known %q", unknown, known)
		}
	})
}

// TestUserProfilePhoneMetadataDelete: UserProfile adds a phone number and
// verifies it by the SMS code; unsafeMetadata saved from the page reads
// back through the Backend API; deleting the account is refused (403)
// while the instance forbids it, then done from UserProfile.
func TestUserProfilePhoneMetadataDelete(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		aliceID := e.alice()
		e.load()
		e.signIn("alice@example.com", alicePassword)
		e.waitJS(`window.Clerk.user`)
		eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
		e.mount("mountUserProfile")
		e.do(chromedp.WaitVisible(chromedp.CSS(`.cl-userProfile-root, .cl-rootBox`)))

		// Phone number: add, then the code from the SMS.
		e.clickText("Add phone number")
		// The form may re-render as it opens and drop what was typed.
		for i := 0; ; i++ {
			e.typeInto(`input[name="phoneNumber"]`, "4155552671")
			time.Sleep(200 * time.Millisecond)
			if eval[bool](e, `document.querySelector('input[name="phoneNumber"]').value.replace(/\D/g, '').endsWith('4155552671')`) {
				break
			}
			if i == 5 {
				t.Fatal("the phone number field does not keep its value")
			}
		}
		e.clickText("Add")
		e.enterCode(e.smsCode(1, "+14155552671"))
		e.waitJS(`Clerk.user.phoneNumbers.some(p => p.phoneNumber === '+14155552671' && p.verification.status === 'verified')`)
		e.shot("userprofile-phone")
		u, err := e.a.API.Users.Get(ctx, aliceID)
		if err != nil || u.PrimaryPhoneNumberID == nil {
			t.Fatalf("phone not primary: %v %+v", err, u)
		}

		// unsafeMetadata, as an onboarding page saves it.
		eval[bool](e, `Clerk.user.update({unsafeMetadata: {onboarding: {step: 2}, theme: 'dark'}}).then(() => true)`)
		eval[bool](e, `Clerk.user.update({unsafeMetadata: {onboarding: {step: 3}}}).then(() => true)`)
		if u, _ = e.a.API.Users.Get(ctx, aliceID); string(u.UnsafeMetadata) != `{"onboarding":{"step":3}}` {
			t.Fatalf("unsafe_metadata %s", u.UnsafeMetadata)
		}

		// Deletion refused while the instance forbids it.
		if err := e.a.Settings.Set(ctx, instance.DeleteSelf, "false"); err != nil {
			t.Fatal(err)
		}
		status := eval[float64](e, `Clerk.user.delete().then(() => 200, err => err.status || -1)`)
		if status != 403 {
			t.Fatalf("delete while forbidden: %v", status)
		}
		if _, err := e.a.API.Users.Get(ctx, aliceID); err != nil {
			t.Fatalf("user gone: %v", err)
		}
		if err := e.a.Settings.Set(ctx, instance.DeleteSelf, "true"); err != nil {
			t.Fatal(err)
		}
		// Allowed: UserProfile's Security page offers it.
		e.load()
		e.waitJS(`window.Clerk.user && window.Clerk.user.deleteSelfEnabled`)
		e.mount("mountUserProfile")
		e.do(chromedp.WaitVisible(chromedp.CSS(`.cl-navbarButton__security`)), chromedp.Click(chromedp.CSS(`.cl-navbarButton__security`)))
		e.clickText("Delete account")
		e.typeInto(`input[name="deleteConfirmation"]`, "Delete account")
		e.click(`.cl-formButtonPrimary`)
		e.waitJS(`!window.Clerk.user`)
		if _, err := e.a.API.Users.Get(ctx, aliceID); err == nil {
			t.Fatal("user still there after deleting the account")
		}
	})
}
