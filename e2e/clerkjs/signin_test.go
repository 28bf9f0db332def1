package clerkjs_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

const alicePassword = "correct horse battery"

func (e *env) alice() string {
	e.t.Helper()
	pw, first := alicePassword, "Alice"
	u, err := e.a.API.Users.Create(context.Background(), user.CreateParams{EmailAddresses: []string{"alice@example.com"},
		Password: &pw, FirstName: &first})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// mount mounts a component into #app.
func (e *env) mount(component string) {
	e.t.Helper()
	// A sign-out navigates to the after-sign-out URL, which reloads the
	// page: the new page's Clerk exists before its components are ready.
	e.waitJS(`window.__loaded === 'ok' && window.Clerk && Clerk.loaded`)
	eval[bool](e, `Clerk.`+component+`(document.getElementById('app'), {routing: 'hash'}), true`)
}

const primary = `.cl-formButtonPrimary`

// signIn walks the SignIn component: identifier, then password.
func (e *env) signIn(email, password string) {
	e.t.Helper()
	e.mount("mountSignIn")
	e.typeInto(`input[name="identifier"]`, email)
	e.click(primary)
	e.typeInto(`input[name="password"]`, password)
	e.click(primary)
}

// verifySessionCookie checks the __session cookie clerk-js wrote with
// Concierge's keys, and returns its claims' session and user.
func (e *env) verifySessionCookie() (sid, sub string) {
	e.t.Helper()
	e.waitJS(`document.cookie.includes('__session=')`)
	jwt := eval[string](e, `(document.cookie.split('; ').find(c => c.startsWith('__session=')) || '').slice('__session='.length)`)
	claims, err := e.a.Keys.Verify(jwt, e.fapi, time.Now())
	if err != nil {
		e.t.Fatalf("__session cookie %q does not verify: %v", jwt, err)
	}
	if claims.AuthorizedParty != e.app {
		e.t.Fatalf("azp %q, want %q", claims.AuthorizedParty, e.app)
	}
	return claims.SessionID, claims.Subject
}

// TestSignInRefreshSignOut: email and password through SignIn (a wrong
// password first), the session token in __session verified with
// Concierge's keys and seen by the Backend API, a token refresh, the
// UserButton's menu, and sign-out.
func TestSignInRefreshSignOut(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		aliceID := e.alice()
		e.load()
		e.shotMounted("mountSignIn", "signin")
		e.typeInto(`input[name="identifier"]`, "alice@example.com")
		e.click(primary)
		e.typeInto(`input[name="password"]`, "not the password")
		e.click(primary)
		e.waitJS(`document.body.innerText.includes('Password is incorrect')`)
		e.typeInto(`input[name="password"]`, alicePassword)
		e.click(primary)
		e.waitJS(`window.Clerk.user && window.Clerk.session`)
		if got := eval[string](e, `Clerk.user.primaryEmailAddress.emailAddress`); got != "alice@example.com" {
			t.Fatalf("Clerk.user: %s", got)
		}
		e.waitJS(`document.cookie.includes('__session=')`)
		sid, sub := e.verifySessionCookie()
		if sub != aliceID || sid != eval[string](e, `Clerk.session.id`) {
			t.Fatalf("cookie claims: sid %s sub %s", sid, sub)
		}
		s, err := e.a.API.Sessions.Session(ctx, sid)
		if err != nil || s.StatusAt(time.Now().UnixMilli()) != session.Active || s.UserID != aliceID {
			t.Fatalf("Backend API view: %v %+v", err, s)
		}

		// A fresh token, as clerk-js mints about every 43 s.
		first := eval[string](e, `Clerk.session.getToken()`)
		time.Sleep(1100 * time.Millisecond) // a new iat
		second := eval[string](e, `Clerk.session.getToken({skipCache: true})`)
		if first == second || second == "" {
			t.Fatal("getToken({skipCache}) returned the same token")
		}
		if _, err := e.a.Keys.Verify(second, e.fapi, time.Now()); err != nil {
			t.Fatalf("refreshed token: %v", err)
		}

		// UserButton: open its menu.
		eval[bool](e, `document.getElementById('app').innerHTML = '', true`)
		e.mount("mountUserButton")
		e.click(`.cl-userButtonTrigger`)
		e.waitJS(`document.querySelector('.cl-userButtonPopoverCard')`)
		if !strings.Contains(eval[string](e, `document.querySelector('.cl-userButtonPopoverCard').innerText`), "alice@example.com") {
			t.Fatal("UserButton's menu does not show the user")
		}
		e.shot("userbutton")
		e.click(`.cl-userButtonPopoverActionButton__signOut`)
		e.waitJS(`window.Clerk.user === null || window.Clerk.user === undefined`)
		// clerk-js clears its state as it sends the request: give the
		// server a moment.
		e.waitSession(sid, func(status string) bool { return status != session.Active })
		_ = url.Values{}
	})
}

// shotMounted mounts a component and screenshots it.
func (e *env) shotMounted(component, name string) {
	e.t.Helper()
	e.mount(component)
	e.do(chromedp.WaitVisible(chromedp.CSS(`.cl-rootBox`)))
	e.shot(name)
}

// TestMultiSessionSignOut: two users signed in on one client through
// clerk-js's resources; signing one out leaves the other; then all.
func TestMultiSessionSignOut(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	e.alice()
	pw := "another good password"
	if _, err := e.a.API.Users.Create(ctx, user.CreateParams{EmailAddresses: []string{"bob@example.com"}, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	e.load()
	signIn := func(email, password string) string {
		return eval[string](e, `(async () => {
			const si = await Clerk.client.signIn.create({identifier: `+jsString(email)+`, strategy: 'password', password: `+jsString(password)+`});
			await Clerk.setActive({session: si.createdSessionId});
			return si.createdSessionId; })()`)
	}
	first := signIn("alice@example.com", alicePassword)
	second := signIn("bob@example.com", pw)
	if n := eval[int](e, `Clerk.client.sessions.length`); n != 2 || eval[string](e, `Clerk.session.id`) != second {
		t.Fatalf("two sessions expected, active %s: %d", eval[string](e, `Clerk.session.id`), n)
	}
	eval[bool](e, `Clerk.signOut({sessionId: `+jsString(first)+`}).then(() => true)`)
	e.waitJS(`Clerk.client.sessions.length === 1`)
	e.waitSession(first, func(status string) bool { return status != session.Active })
	if s, _ := e.a.API.Sessions.Session(ctx, second); s.Status != session.Active {
		t.Fatalf("second session: %s", s.Status)
	}
	e.signOut()
	e.waitJS(`Clerk.client.sessions.length === 0`)
	e.waitSession(second, func(status string) bool { return status != session.Active })
}

// waitSession waits until the Backend API's view of a session satisfies ok.
func (e *env) waitSession(id string, ok func(status string) bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := e.a.API.Sessions.Session(context.Background(), id)
		if err == nil && ok(s.StatusAt(time.Now().UnixMilli())) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("session %s: %v %+v", id, err, s)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
