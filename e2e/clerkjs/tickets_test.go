package clerkjs_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/signintoken"
)

// loadWithTicket opens the application page as a sign-in link leads to
// it, with __clerk_ticket, and mounts SignIn, which consumes the ticket.
func (e *env) loadWithTicket(ticket string) {
	e.t.Helper()
	e.do(chromedp.Navigate("about:blank"))
	e.console()
	e.do(chromedp.Navigate(e.app + "/?__clerk_status=sign_in&__clerk_ticket=" + url.QueryEscape(ticket)))
	e.waitJS(`window.__loaded === 'ok'`)
	e.mount("mountSignIn")
}

// TestSignInTokenLink: a sign-in token minted by the Backend API signs
// the user in when SignIn finds its ticket in the URL, once.
func TestSignInTokenLink(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		aliceID := e.alice()
		m, err := e.a.API.Tickets.Create(context.Background(), signintoken.KindSignIn, signintoken.CreateParams{UserID: &aliceID})
		if err != nil {
			t.Fatal(err)
		}
		e.loadWithTicket(m.Ticket)
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
		if a := eval[bool](e, `Clerk.session.actor == null`); !a {
			t.Fatal("a sign-in token's session has an actor")
		}
		if tok, _ := e.a.API.Tickets.Store.TicketToken(context.Background(), signintoken.KindSignIn, m.ID); tok.Status != signintoken.Accepted {
			t.Fatalf("token %s after use", tok.Status)
		}
	})
}

// TestImpersonatedSession: an actor token signs an operator in as the
// user; clerk-js sees the actor on the session and shows its
// impersonation badge ("Signed in as …"), and the session token carries
// the act claim.
func TestImpersonatedSession(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		aliceID := e.alice()
		m, err := e.a.API.Tickets.Create(context.Background(), signintoken.KindActor, signintoken.CreateParams{UserID: &aliceID,
			Actor: json.RawMessage(`{"sub": "user_support"}`)})
		if err != nil {
			t.Fatal(err)
		}
		e.loadWithTicket(m.Ticket)
		e.waitJS(`Clerk.user && Clerk.user.id === ` + jsString(aliceID))
		if sub := eval[string](e, `Clerk.session.actor ? Clerk.session.actor.sub : ''`); sub != "user_support" {
			t.Fatalf("session actor %q", sub)
		}
		e.waitJS(`document.body.innerText.includes('Signed in as')`)
		e.shot("impersonation")
		_, claims := e.sessionToken()
		var act map[string]any
		if json.Unmarshal(claims.Actor, &act); act["sub"] != "user_support" {
			t.Fatalf("act claim: %s", claims.Actor)
		}
	})
}
