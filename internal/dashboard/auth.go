package dashboard

import (
	"context"
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/httpcheck"
)

type authData struct {
	Email, Next string
}

func (d *Dashboard) setCookie(w http.ResponseWriter, tok string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/dashboard", HttpOnly: true,
		Secure: strings.HasPrefix(d.PublicURL, "https://"), SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

// setupPage creates the first operator; it needs the instance's secret
// key, and closes once an operator exists.
func (d *Dashboard) setupPage(w http.ResponseWriter, r *http.Request) error {
	if any, err := d.Operators.Any(r.Context()); err != nil || any {
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/dashboard/sign-in", http.StatusSeeOther)
		return nil
	}
	return d.render(w, r, "setup", http.StatusOK, view{Title: "Set up", Data: authData{}})
}

func (d *Dashboard) setupSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := signingIn(r) // the first operator is recorded making itself
	if any, err := d.Operators.Any(ctx); err != nil || any {
		if err != nil {
			return err
		}
		http.Error(w, "An operator exists already: sign in.", http.StatusForbidden)
		return nil
	}
	if err := limit(d, r); err != nil {
		return err
	}
	f := r.PostForm
	v := view{Title: "Set up", Data: authData{Email: f.Get("email")}}
	ok, err := d.Keys.Valid(ctx, strings.TrimSpace(f.Get("secret_key")))
	if err != nil {
		return err
	}
	if !ok {
		v.Error = "That is not a secret key of this instance (it was printed when the server first started)."
		return d.render(w, r, "setup", http.StatusUnprocessableEntity, v)
	}
	o, err := d.Operators.Create(ctx, f.Get("email"), f.Get("password"))
	if err != nil {
		if msg, ok := message(err); ok {
			v.Error = msg
			return d.render(w, r, "setup", http.StatusUnprocessableEntity, v)
		}
		return err
	}
	tok, _, err := d.Operators.Open(ctx, o)
	if err != nil {
		return err
	}
	d.setCookie(w, tok, 12*3600)
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	return nil
}

func (d *Dashboard) signInPage(w http.ResponseWriter, r *http.Request) error {
	if any, err := d.Operators.Any(r.Context()); err == nil && !any {
		http.Redirect(w, r, "/dashboard/setup", http.StatusSeeOther)
		return nil
	}
	return d.render(w, r, "sign_in", http.StatusOK, view{Title: "Sign in", Data: authData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// safeNext keeps a post-sign-in destination inside the dashboard.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/dashboard") && !strings.HasPrefix(next, "//") {
		return next
	}
	return "/dashboard"
}

func (d *Dashboard) signInSubmit(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	v := view{Title: "Sign in", Data: authData{Email: f.Get("email"), Next: safeNext(f.Get("next"))}}
	if err := limit(d, r); err != nil {
		v.Error, _ = message(err)
		return d.render(w, r, "sign_in", http.StatusTooManyRequests, v)
	}
	tok, _, err := d.Operators.SignIn(signingIn(r), f.Get("email"), f.Get("password"))
	if err != nil {
		if msg, ok := message(err); ok {
			v.Error = msg
			return d.render(w, r, "sign_in", http.StatusUnprocessableEntity, v)
		}
		return err
	}
	d.setCookie(w, tok, 12*3600)
	http.Redirect(w, r, safeNext(f.Get("next")), http.StatusSeeOther)
	return nil
}

func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request) error {
	if ck, err := r.Cookie(CookieName); err == nil {
		if err := d.Operators.SignOut(r.Context(), ck.Value); err != nil {
			return err
		}
	}
	d.setCookie(w, "", -1)
	http.Redirect(w, r, "/dashboard/sign-in", http.StatusSeeOther)
	return nil
}

// signingIn is r's context with the operator not yet known as its audit
// actor: the store records the operator an event concerns (the one
// signing in, or made at set-up), from r's address (see audit.Actor).
// A failed sign-in records nothing: it writes nothing, and the rate
// limit answers for guessing.
func signingIn(r *http.Request) context.Context {
	return audit.WithActor(r.Context(), audit.Actor{Kind: audit.Operator, IP: httpcheck.ClientIP(r), UserAgent: r.UserAgent()})
}

// limit applies the sign-in rate limit to the caller's address.
func limit(d *Dashboard, r *http.Request) error {
	if d.SignInLimit == nil {
		return nil
	}
	if ok, _ := d.SignInLimit.Allow(r.Context(), httpcheck.ClientIP(r)); !ok {
		return errs.New(errs.TooManyRequests, "too_many_requests", "Too many attempts",
			"Too many attempts. Wait a few seconds and try again.")
	}
	return nil
}
