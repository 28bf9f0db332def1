package backendapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

var emailLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/v1/verify\?token=[^\s"<>]+`)

// emailLink waits for the n-th email, which must be to addr, and returns
// the email link it holds.
func emailLink(t *testing.T, mail *smtptest.Server, n int, addr string) string {
	t.Helper()
	m := mail.Wait(n, 10*time.Second)[n-1]
	if len(m.To) != 1 || m.To[0] != addr {
		t.Fatalf("email %d to %v, want %s", n, m.To, addr)
	}
	link := emailLinkRE.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("no email link in email %d: %q", n, m.Text)
	}
	return link
}

// open follows an email link in b, as its person clicks it (the
// browser's cookies go along), and returns where the landing sends it.
func (b *browser) open(link string) *url.URL {
	b.t.Helper()
	c := &http.Client{Jar: b.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(link)
	if err != nil {
		b.t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil {
		b.t.Fatalf("landing: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return loc
}

// linkSignIn starts a sign-in of addr in b and asks for an email link
// leading to redirect; it returns the sign-in's path.
func linkSignIn(t *testing.T, b *browser, addr, redirect string) string {
	t.Helper()
	out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {addr}})
	si := get(out, "response").(map[string]any)
	var emailID string
	for _, f := range si["supported_first_factors"].([]any) {
		if get(f, "strategy") == "email_link" {
			emailID, _ = get(f, "email_address_id").(string)
		}
	}
	if emailID == "" {
		t.Fatalf("no email_link factor: %v", si["supported_first_factors"])
	}
	path := "/v1/client/sign_ins/" + si["id"].(string)
	out = b.ok("POST", path+"/prepare_first_factor", url.Values{"strategy": {"email_link"}, "email_address_id": {emailID},
		"redirect_url": {redirect}})
	v := get(out, "response", "first_factor_verification")
	if get(v, "status") != "unverified" || get(v, "strategy") != "email_link" || get(v, "object") != "verification_email_link" ||
		get(v, "expire_at") == nil {
		t.Fatalf("prepared: %v", v)
	}
	return path
}

func wantLanding(t *testing.T, loc *url.URL, redirect, status string, session bool) string {
	t.Helper()
	q := loc.Query()
	base := *loc
	base.RawQuery = ""
	want, _ := url.Parse(redirect)
	want.RawQuery = ""
	if base.String() != want.String() || q.Get("__clerk_status") != status || (q.Get("__clerk_created_session") != "") != session {
		t.Fatalf("landed on %s, want %s with __clerk_status=%s (session %v)", loc, redirect, status, session)
	}
	return q.Get("__clerk_created_session")
}

// TestEmailLinkSignIn: email links as a sign-in's first factor, opened
// in the browser that asked (it signs in at once), in another (the first
// completes when it next reads its sign-in), again (refused), late
// (expired), forged (400); and never leading outside the application.
func TestEmailLinkSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin), withSettings(map[string]string{instance.EmailLink: "true"}))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		e.userWithPassword("ada@example.com")
		emails := 0
		redirect := appOrigin + "/sign-in#/verify"

		envOut := e.browser().ok("GET", "/v1/environment", nil)
		attr := get(envOut, "user_settings", "attributes", "email_address")
		for _, k := range []string{"first_factors", "verifications"} {
			if !slices.Contains(get(attr, k).([]any), any("email_link")) {
				t.Fatalf("environment %s: %v", k, get(attr, k))
			}
		}
		if get(envOut, "user_settings", "attack_protection", "email_link", "require_same_client") != false {
			t.Fatalf("attack_protection: %v", get(envOut, "user_settings", "attack_protection"))
		}

		// A redirect_url outside the application is refused, so a link
		// can never be an open redirect.
		b := e.browser()
		out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}})
		siPath := "/v1/client/sign_ins/" + get(out, "response", "id").(string)
		for _, bad := range []string{"https://evil.example/steal", "javascript:alert(1)", "//evil.example/x"} {
			b.fails("POST", siPath+"/prepare_first_factor", url.Values{"strategy": {"email_link"}, "redirect_url": {bad}},
				422, "redirect_url_domain_mismatch")
		}
		if n := len(mail.Messages()); n != 0 {
			t.Fatalf("%d emails for refused redirects", n)
		}

		// Same browser: the landing signs it in and says which session.
		path := linkSignIn(t, b, "ada@example.com", redirect)
		emails++
		link := emailLink(t, mail, emails, "ada@example.com")
		before := b.cookie("__client").Value
		sid := wantLanding(t, b.open(link), redirect, "verified", true)
		if b.cookie("__client").Value == before {
			t.Fatal("the client token did not rotate at sign-in")
		}
		out = b.ok("GET", path, nil)
		if get(out, "response", "status") != "complete" || get(out, "response", "created_session_id") != sid ||
			get(out, "response", "first_factor_verification", "verified_at_client") != get(out, "client", "id") {
			t.Fatalf("after the landing: %v", get(out, "response"))
		}
		if get(out, "client", "sessions", 0, "id") != sid {
			t.Fatalf("client sessions: %v", get(out, "client", "sessions"))
		}
		// Single use.
		wantLanding(t, b.open(link), redirect, "failed", false)

		// Another browser (one with a client of its own): it is told the
		// link worked; the browser that asked completes on its next poll,
		// with a new client token, and nobody else gets a session.
		asker, other := e.browser(), e.browser()
		other.ok("POST", "/v1/client", nil)
		otherClient := get(other.ok("GET", "/v1/client", nil), "response", "id")
		path = linkSignIn(t, asker, "ada@example.com", redirect)
		emails++
		link = emailLink(t, mail, emails, "ada@example.com")
		wantLanding(t, other.open(link), redirect, "verified", false)
		if s := get(other.ok("GET", "/v1/client", nil), "response", "sessions").([]any); len(s) != 0 {
			t.Fatalf("the other browser got sessions: %v", s)
		}
		before = asker.cookie("__client").Value
		out = asker.ok("GET", path, nil)
		sid, _ = get(out, "response", "created_session_id").(string)
		if get(out, "response", "status") != "complete" || sid == "" ||
			get(out, "response", "first_factor_verification", "verified_at_client") != otherClient {
			t.Fatalf("poll after the other browser: %v", get(out, "response"))
		}
		if asker.cookie("__client").Value == before || get(out, "client", "sessions", 0, "id") != sid {
			t.Fatalf("the asking browser is not signed in: %v", get(out, "client"))
		}
		asker.ok("GET", path, nil) // read again: still the one session
		if s := get(asker.ok("GET", "/v1/client", nil), "response", "sessions").([]any); len(s) != 1 {
			t.Fatalf("sessions after polling twice: %d", len(s))
		}

		// A browser that reads its client, not its sign-in (it was
		// closed meanwhile), is signed in by that too.
		away := e.browser()
		linkSignIn(t, away, "ada@example.com", redirect)
		emails++
		wantLanding(t, e.browser().open(emailLink(t, mail, emails, "ada@example.com")), redirect, "verified", false)
		before = away.cookie("__client").Value
		out = away.ok("GET", "/v1/client", nil)
		if s := get(out, "response", "sessions").([]any); len(s) != 1 || get(out, "response", "sign_in") != nil ||
			away.cookie("__client").Value == before {
			t.Fatalf("client after the link: %v", get(out, "response"))
		}

		// Readings racing after a link opened elsewhere complete the
		// sign-in once: one session.
		racer := e.browser()
		path = linkSignIn(t, racer, "ada@example.com", redirect)
		emails++
		wantLanding(t, e.browser().open(emailLink(t, mail, emails, "ada@example.com")), redirect, "verified", false)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); racer.call("GET", path, nil) }()
		}
		wg.Wait()
		if s := get(racer.ok("GET", "/v1/client", nil), "response", "sessions").([]any); len(s) != 1 {
			t.Fatalf("%d sessions after racing readings", len(s))
		}

		// Expired: ten minutes later the link no longer works, and the
		// waiting tab sees the verification expired.
		late := e.browser()
		path = linkSignIn(t, late, "ada@example.com", redirect)
		emails++
		link = emailLink(t, mail, emails, "ada@example.com")
		e.clock.Set(10*time.Minute + time.Second)
		wantLanding(t, late.open(link), redirect, "expired", false)
		e.clock.Set(0)
		out = late.ok("GET", path, nil)
		if get(out, "response", "status") != "needs_first_factor" || get(out, "response", "first_factor_verification", "status") != "expired" {
			t.Fatalf("after an expired link: %v", get(out, "response"))
		}

		// A link of a sign-in the browser has since replaced no longer
		// works; the new one does.
		linkSignIn(t, late, "ada@example.com", redirect)
		emails++
		newer := emailLink(t, mail, emails, "ada@example.com")
		wantLanding(t, late.open(link), redirect, "failed", false)
		wantLanding(t, late.open(newer), redirect, "verified", true)

		// A forged or missing token has nowhere to go: a 400.
		for _, q := range []string{"?token=forged", "?token=", ""} {
			st, body := b.raw("GET", "/v1/verify"+q, nil)
			envelope(t, st, body, 400, "verification_link_invalid")
		}
		tampered := strings.Replace(newer, "token=", "token=x", 1)
		st, body := b.raw("GET", strings.TrimPrefix(tampered, e.url), nil)
		envelope(t, st, body, 400, "verification_link_invalid")
	})
}

// TestEmailLinkSettings: off (the default), email links are neither
// offered nor sent; with the same-client rule, a link opened elsewhere
// is refused as client_mismatch and still works where it belongs.
func TestEmailLinkSettings(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		e.userWithPassword("ada@example.com")
		redirect := appOrigin + "/"
		b := e.browser()
		out := b.ok("POST", "/v1/client/sign_ins", url.Values{"identifier": {"ada@example.com"}})
		for _, f := range get(out, "response", "supported_first_factors").([]any) {
			if get(f, "strategy") == "email_link" {
				t.Fatal("email_link offered while off")
			}
		}
		if f := get(b.ok("GET", "/v1/environment", nil), "user_settings", "attributes", "email_address", "first_factors").([]any); slices.Contains(f, any("email_link")) {
			t.Fatalf("environment offers email_link while off: %v", f)
		}
		path := "/v1/client/sign_ins/" + get(out, "response", "id").(string)
		b.fails("POST", path+"/prepare_first_factor", url.Values{"strategy": {"email_link"}, "redirect_url": {redirect}}, 400, "strategy_for_user_invalid")

		ctx := t.Context()
		for k, v := range map[string]string{instance.EmailLink: "true", instance.EmailLinkSameClient: "true"} {
			if err := e.app.Settings.Set(ctx, k, v); err != nil {
				t.Fatal(err)
			}
		}
		if get(b.ok("GET", "/v1/environment", nil), "user_settings", "attack_protection", "email_link", "require_same_client") != true {
			t.Fatal("require_same_client not shown")
		}
		path = linkSignIn(t, b, "ada@example.com", redirect)
		link := emailLink(t, mail, 1, "ada@example.com")
		wantLanding(t, e.browser().open(link), redirect, "client_mismatch", false)
		if get(b.ok("GET", path, nil), "response", "status") != "needs_first_factor" {
			t.Fatal("a mismatched client's opening advanced the sign-in")
		}
		wantLanding(t, b.open(link), redirect, "verified", true)
	})
}

// TestEmailLinkSignUp: a sign-up's address verified by a link, opened in
// the same browser (complete at once) and in another (complete on the
// next poll).
func TestEmailLinkSignUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin), withSettings(map[string]string{instance.EmailLink: "true"}))
		e.app.Frontend.SignUpLimit = nil
		redirect := appOrigin + "/sign-up#/verify"
		for i, sameBrowser := range []bool{true, false} {
			addr := []string{"same@example.com", "other@example.com"}[i]
			b := e.browser()
			suID := startSignUpWith(t, b, addr)
			path := "/v1/client/sign_ups/" + suID
			b.fails("POST", path+"/prepare_verification", url.Values{"strategy": {"email_link"}, "redirect_url": {"https://evil.example/"}},
				422, "redirect_url_domain_mismatch")
			out := b.ok("POST", path+"/prepare_verification", url.Values{"strategy": {"email_link"}, "redirect_url": {redirect}})
			v := get(out, "response", "verifications", "email_address")
			if get(v, "strategy") != "email_link" || get(v, "status") != "unverified" || get(v, "object") != "verification_email_link" {
				t.Fatalf("prepared: %v", v)
			}
			link := emailLink(t, mail, i+1, addr)
			opener := b
			if !sameBrowser {
				opener = e.browser()
			}
			sid := wantLanding(t, opener.open(link), redirect, "verified", sameBrowser)
			out = b.ok("GET", path, nil)
			if get(out, "response", "status") != "complete" || get(out, "response", "created_user_id") == nil ||
				(sameBrowser && get(out, "response", "created_session_id") != sid) || get(out, "client", "sessions", 0, "user", "email_addresses", 0, "verification", "status") != "verified" {
				t.Fatalf("sign-up after the link (same browser %v): %v", sameBrowser, out)
			}
			wantLanding(t, opener.open(link), redirect, "failed", false)
		}
	})
}

// TestEmailLinkAddedAddress: a signed-in user verifies an added address
// with a link, opened anywhere.
func TestEmailLinkAddedAddress(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail), withOrigins(appOrigin), withSettings(map[string]string{instance.EmailLink: "true"}))
		e.app.Frontend.AttemptLimit, e.app.Frontend.SignInLimit = nil, nil
		userID := e.userWithPassword("ada@example.com")
		b := e.browser()
		b.signIn("ada@example.com", pw)
		out := b.ok("POST", "/v1/me/email_addresses/", url.Values{"email_address": {"ada.work@example.com"}})
		id := get(out, "response", "id").(string)
		redirect := appOrigin + "/user#/email-address"
		b.fails("POST", "/v1/me/email_addresses/"+id+"/prepare_verification", url.Values{"strategy": {"email_link"}, "redirect_url": {"https://evil.example/"}},
			422, "redirect_url_domain_mismatch")
		b.ok("POST", "/v1/me/email_addresses/"+id+"/prepare_verification", url.Values{"strategy": {"email_link"}, "redirect_url": {redirect}})
		link := emailLink(t, mail, 1, "ada.work@example.com")
		wantLanding(t, e.browser().open(link), redirect, "verified", false)
		out = b.ok("GET", "/v1/me/email_addresses/"+id, nil)
		if get(out, "response", "verification", "status") != "verified" {
			t.Fatalf("address after the link: %v", get(out, "response"))
		}
		// Audited as the user's, as a code's proof is.
		ev := e.auditEvents(audit.Filter{Action: audit.IdentifierVerified})
		if len(ev) != 1 || ev[0].ActorKind != audit.User || ev[0].ActorID != userID || ev[0].TargetID != userID || ev[0].IP == "" ||
			!strings.Contains(string(ev[0].Detail), id) || !strings.Contains(string(ev[0].Detail), "email_link") {
			t.Fatalf("audit: %+v", ev)
		}
		wantLanding(t, b.open(link), redirect, "failed", false)
	})
}
