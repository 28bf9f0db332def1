package frontendapi

import (
	"context"
	"embed"
	"github.com/conciergehq/concierge/internal/signintoken"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// The hosted pages (/sign-in, /sign-up, /user) are server-rendered forms
// over the same flows as the Frontend API, sharing its client cookie: an
// application that cannot run clerk-js sends its users here.

//go:embed templates
var pageFS embed.FS

var pageTemplates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"sign_in", "sign_up", "user"} {
		out[name] = template.Must(template.ParseFS(pageFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

// page is what every page template gets.
type page struct {
	Title, AppName, Error, Notice string
	Wide                          bool
	RedirectURL                   string
	Step                          bool // the code step of a flow
	// SecondFactor is the sign-in's second step; BackupCodes says the
	// field also takes a backup code.
	SecondFactor, BackupCodes bool
	// NewDevice is the new-browser check's step (a code by email or SMS).
	NewDevice bool
	// Passkeys shows the "Sign in with a passkey" button.
	Passkeys                   bool
	Identifier                 string
	SignInID, SignUpID, Ticket string
	// SignInLink marks a ticket that is a sign-in or actor token.
	SignInLink          bool
	FirstName, LastName string
	Phone, Strategy     string
	AskEmail, AskPhone  bool
	Closed              bool
	Identifiers         []identifierRow
	Sessions            []sessionRow
	// Providers are the social sign-in buttons.
	Providers []providerButton
}

type providerButton struct{ Strategy, Name string }

type identifierRow struct {
	ID, Value         string
	Primary, Verified bool
}

type sessionRow struct {
	ID, Since string
	Current   bool
}

// Pages returns the hosted pages' handler.
func (a *API) Pages() http.Handler {
	mux := http.NewServeMux()
	p := func(pattern string, fn handler) { mux.Handle(pattern, a.pageTransport(fn)) }
	p("GET /sign-in", a.signInPage)
	p("POST /sign-in", a.signInSubmit)
	p("POST /sign-in/code", a.signInCode)
	p("POST /sign-in/second-factor", a.signInSecondFactor)
	p("GET /sign-in/passkey.js", a.passkeyJS)
	p("POST /sign-in/passkey/options", a.passkeyOptions)
	p("POST /sign-in/passkey", a.signInPasskey)
	p("GET /sign-in/oauth", a.pageOAuth)
	p("GET /sign-in/sso-callback", a.pageSSOCallback)
	p("GET /sign-up", a.signUpPage)
	p("POST /sign-up", a.signUpSubmit)
	p("POST /sign-up/verify", a.signUpVerify)
	p("GET /user", a.userPage)
	p("POST /user/profile", a.userProfile)
	p("POST /user/emails", a.userAddEmail)
	p("POST /user/identifiers/{id}/prepare", a.userPrepare)
	p("POST /user/identifiers/{id}/verify", a.userVerify)
	p("POST /user/identifiers/{id}/delete", a.userDeleteIdentifier)
	p("POST /user/password", a.userPassword)
	p("POST /user/sessions/{id}/end", a.userEndSession)
	p("POST /sign-out", a.signOutPage)
	return mux
}

// pageTransport finds the client, refuses cross-origin form posts, and
// sets the pages' security headers.
func (a *API) pageTransport(next handler) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		h := w.Header()
		formAction := "'self'"
		for _, o := range a.Origins(r.Context()) {
			formAction += " " + o
		}
		// Scripts: only the pages' own (the passkey button's), which
		// calls back to this origin alone.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: with no-referrer browsers send
		// Origin: null on the pages' own form posts, which the check
		// below must then refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost && !httpcheck.SameOrigin(a.PublicURL, r) {
			http.Error(w, "Forbidden: the form was not sent from this site.", http.StatusForbidden)
			return nil
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil || !httpcheck.CleanValues(r.PostForm) {
				http.Error(w, "Bad request", http.StatusBadRequest)
				return nil
			}
		}
		c, err := a.findClient(r)
		if err != nil {
			return err
		}
		return next(w, r.WithContext(signedOut(contextWithClient(r, c), r)))
	})
}

func (a *API) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) error {
	app, err := a.Settings.AppName(r.Context())
	if err != nil {
		return err
	}
	p.AppName = app
	if (name == "sign_in" || name == "sign_up") && !p.Step {
		if p.Providers, err = a.providerButtons(r.Context()); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplates[name].ExecuteTemplate(w, "layout", p); err != nil && !respond.Gone(w, r) {
		respond.Logger(r.Context()).Error("page render failed", "page", name, "err", err)
	}
	return nil
}

// pageError turns a flow's error into the message shown on the form;
// anything else is the server's fault.
func (a *API) pageError(w http.ResponseWriter, r *http.Request, name string, p page, err error) error {
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.Internal {
		if respond.Gone(w, r) {
			return nil
		}
		respond.Logger(r.Context()).Error("page failed", "page", name, "err", err)
		p.Error = "Something went wrong on our side. Please try again."
		return a.render(w, r, name, http.StatusInternalServerError, p)
	}
	p.Error = e.LongMessage
	status := http.StatusUnprocessableEntity
	if e.Kind == errs.TooManyRequests {
		status = http.StatusTooManyRequests
	} else if e.Kind == errs.Forbidden {
		status = http.StatusForbidden
	}
	return a.render(w, r, name, status, p)
}

// redirectTarget is where a finished flow goes: an allowed redirect_url,
// else the profile page.
func (a *API) redirectTarget(ctx context.Context, raw string) string {
	if raw != "" && a.RedirectAllowed(ctx, raw) {
		return raw
	}
	return "/user"
}

// finish sends the browser on after a sign-in or sign-up. An application
// on another origin cannot read Concierge's cookie, so it receives a
// fresh session token as the __session query parameter, to verify
// networklessly (it lives TokenTTL).
//
// In development the client's token also goes along as __clerk_db_jwt
// (tok: the one just issued, else the browser's cookie), as Clerk's
// Account Portal does: a server-rendered application's SDK then syncs
// the development browser through the handshake instead of taking the
// visitor for signed out.
func (a *API) finish(w http.ResponseWriter, r *http.Request, c *session.Client, sessionID, redirectURL, tok string) error {
	dest := a.redirectTarget(r.Context(), redirectURL)
	if !strings.HasPrefix(dest, "/") {
		jwt, err := a.Sessions.Token(r.Context(), c, sessionID, "")
		if err != nil {
			return err
		}
		u, _ := url.Parse(dest)
		q := u.Query()
		q.Set("__session", jwt)
		if !a.Production {
			if ck, err := r.Cookie(ClientCookie); tok == "" && err == nil {
				tok = ck.Value
			}
			if tok != "" {
				q.Set(DevBrowserParam, tok)
			}
		}
		u.RawQuery = q.Encode()
		dest = u.String()
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// pageClient ensures a client for a page flow, setting its cookie.
func (a *API) pageClient(w http.ResponseWriter, r *http.Request) (*session.Client, error) {
	if c := clientOf(r); c != nil {
		return c, nil
	}
	c, tok, err := a.Sessions.NewClient(r.Context())
	if err != nil {
		return nil, err
	}
	a.setCookie(w, tok)
	return c, nil
}

// setCookie hands a browser its client token as the __client cookie on
// Concierge's host. A call that made a client and then rotated its token
// (a sign-in that completes at once) sends only the newer one.
func (a *API) setCookie(w http.ResponseWriter, tok string) {
	if tok == "" {
		return
	}
	h := w.Header()
	kept := h["Set-Cookie"][:0]
	for _, c := range h["Set-Cookie"] {
		if !strings.HasPrefix(c, ClientCookie+"=") {
			kept = append(kept, c)
		}
	}
	h["Set-Cookie"] = kept
	http.SetCookie(w, &http.Cookie{Name: ClientCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: strings.HasPrefix(a.PublicURL, "https://"), SameSite: http.SameSiteLaxMode, MaxAge: cookieLife / 1000})
}

func (a *API) signInPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := page{Title: "Sign in", RedirectURL: q.Get("redirect_url"), Passkeys: a.Passkeys != nil && a.Passkeys.Available(r.Context())}
	if t := q.Get("__clerk_ticket"); t != "" {
		// An organization invitation to an address with an account, or a
		// sign-in link: one button signs in (and joins).
		email, err := a.ticketEmail(r.Context(), t)
		if err != nil {
			return a.pageError(w, r, "sign_in", p, err)
		}
		p.Ticket, p.Identifier, p.SignInLink = t, email, signintoken.IsTicket(t)
	}
	return a.render(w, r, "sign_in", http.StatusOK, p)
}

// ticketEmail checks a ticket of either kind and returns the invited
// address.
func (a *API) ticketEmail(ctx context.Context, ticket string) (string, error) {
	if a.Sessions.Tickets != nil && signintoken.IsTicket(ticket) {
		t, err := a.Sessions.Tickets.Verify(ctx, ticket)
		if err != nil {
			return "", err
		}
		u, err := a.Sessions.Users.User(ctx, t.UserID)
		if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
			return "", signintoken.TicketInvalid()
		} else if err != nil {
			return "", err
		}
		return u.DisplayIdentifier(), nil
	}
	if invitation.TicketKind(ticket) == invitation.KindOrganizationInvitation && a.Organizations != nil {
		inv, err := a.Organizations.VerifyTicket(ctx, ticket)
		if err != nil {
			return "", err
		}
		return inv.EmailAddress, nil
	}
	inv, err := a.Invitations.Verify(ctx, ticket)
	if err != nil {
		return "", err
	}
	return inv.EmailAddress, nil
}

func (a *API) signInSubmit(w http.ResponseWriter, r *http.Request) error {
	p := page{Title: "Sign in", RedirectURL: r.PostForm.Get("redirect_url"), Identifier: r.PostForm.Get("identifier")}
	if err := limit(a.SignInLimit, r); err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	c, err := a.pageClient(w, r)
	if err != nil {
		return err
	}
	strategy := r.PostForm.Get("strategy")
	if strategy != "email_code" && strategy != "ticket" {
		strategy = "password"
	}
	si, tok, err := a.Sessions.CreateSignIn(r.Context(), c, session.SignInParams{Identifier: p.Identifier,
		Strategy: strategy, Password: r.PostForm.Get("password"), Ticket: r.PostForm.Get("ticket")})
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == "form_param_missing" && strategy == "password" {
			err = errs.New(errs.Invalid, "form_param_missing", "Password missing", "Enter your password, or ask for a code.")
		}
		return a.pageError(w, r, "sign_in", p, err)
	}
	if si.Status == session.Complete || si.Status == session.NeedsSecondFactor || si.Status == session.NeedsClientTrust {
		return a.afterFirstFactor(w, r, c, si, tok, p)
	}
	p.Step, p.SignInID = true, si.ID
	return a.render(w, r, "sign_in", http.StatusOK, p)
}

func (a *API) signInCode(w http.ResponseWriter, r *http.Request) error {
	p := page{Title: "Sign in", RedirectURL: r.PostForm.Get("redirect_url"), Step: true, SignInID: r.PostForm.Get("sign_in_id")}
	c := clientOf(r)
	if c == nil {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	}
	if err := limit(a.AttemptLimit, r); err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	if si, err := a.Sessions.SignIn(r.Context(), c, p.SignInID); err == nil {
		p.Identifier = si.Identifier
	}
	si, tok, err := a.Sessions.AttemptFirstFactor(r.Context(), c, p.SignInID, session.SignInParams{Strategy: "email_code", Code: r.PostForm.Get("code")})
	if err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	p.Step = false
	return a.afterFirstFactor(w, r, c, si, tok, p)
}

func (a *API) signUpPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := page{Title: "Sign up", RedirectURL: q.Get("redirect_url"), Ticket: q.Get("__clerk_ticket")}
	if p.Ticket != "" {
		email, err := a.ticketEmail(r.Context(), p.Ticket)
		if err != nil {
			p.Ticket = ""
			return a.pageError(w, r, "sign_up", p, err)
		}
		p.Identifier = email
	} else if code := q.Get("__clerk_error"); code != "" {
		p.Error = ticketMessages[code]
		if p.Error == "" {
			p.Error = ticketMessages["ticket_invalid_code"]
		}
	}
	if mode, err := a.Settings.Mode(r.Context()); err == nil && (mode == instance.ModeInvitationOnly || mode == instance.ModeWaitlist) && p.Ticket == "" {
		p.Closed = true
	}
	a.fields(r, &p)
	return a.render(w, r, "sign_up", http.StatusOK, p)
}

var ticketMessages = map[string]string{
	"ticket_invalid_code":         "The invitation link is invalid. Ask for a new invitation.",
	"ticket_expired_code":         "The invitation link has expired. Ask for a new invitation.",
	"revoked_invitation":          "This invitation was revoked. Ask for a new invitation.",
	"invitation_already_accepted": "This invitation was already used. Sign in instead.",
}

func (a *API) signUpSubmit(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	p := page{Title: "Sign up", RedirectURL: f.Get("redirect_url"), Identifier: f.Get("email_address"), Phone: f.Get("phone_number"),
		Ticket: f.Get("ticket"), FirstName: f.Get("first_name"), LastName: f.Get("last_name")}
	a.fields(r, &p)
	if err := limit(a.SignUpLimit, r); err != nil {
		return a.pageError(w, r, "sign_up", p, err)
	}
	c, err := a.pageClient(w, r)
	if err != nil {
		return err
	}
	params := session.SignUpParams{FirstName: &p.FirstName, LastName: &p.LastName, Password: ptr(f.Get("password")), Ticket: p.Ticket}
	if p.Identifier != "" {
		params.EmailAddress = &p.Identifier
	}
	if p.Phone != "" {
		params.PhoneNumber = &p.Phone
	}
	su, tok, err := a.Sessions.CreateSignUp(r.Context(), c, params)
	if err != nil {
		return a.pageError(w, r, "sign_up", p, err)
	}
	return a.nextSignUpStep(w, r, c, su, tok, p)
}

// nextSignUpStep finishes a complete sign-up, or sends a code to the
// next unverified identifier and asks for it.
func (a *API) nextSignUpStep(w http.ResponseWriter, r *http.Request, c *session.Client, su *session.SignUp, tok string, p page) error {
	if su.Status == session.Complete {
		a.setCookie(w, tok)
		return a.finish(w, r, c, su.CreatedSessionID, p.RedirectURL, tok)
	}
	if missing := su.MissingFields(); len(missing) > 0 {
		return a.pageError(w, r, "sign_up", p, errs.ParamMissing(missing[0]))
	}
	p.Step, p.SignUpID, p.Error = true, su.ID, ""
	p.Strategy, p.Identifier = "email_code", su.EmailAddress
	if unverified := su.UnverifiedFields(); len(unverified) > 0 && unverified[0] == "phone_number" {
		p.Strategy, p.Identifier = "phone_code", su.PhoneNumber
	}
	if _, err := a.Sessions.PrepareSignUp(r.Context(), c, su.ID, p.Strategy, ""); err != nil {
		if e, ok := errs.As(err); !ok || e.Kind != errs.TooManyRequests {
			return a.pageError(w, r, "sign_up", p, err)
		}
	}
	return a.render(w, r, "sign_up", http.StatusOK, p)
}

// fields says which identifiers the sign-up form asks for.
func (a *API) fields(r *http.Request, p *page) {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return
	}
	p.AskEmail = slices.Contains(live.RequiredIdentifiers, "email_address") || p.Ticket != ""
	p.AskPhone = slices.Contains(live.RequiredIdentifiers, "phone_number")
}

func (a *API) signUpVerify(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	p := page{Title: "Sign up", RedirectURL: f.Get("redirect_url"), Step: true, SignUpID: f.Get("sign_up_id"), Strategy: f.Get("strategy")}
	if p.Strategy != "phone_code" {
		p.Strategy = "email_code"
	}
	c := clientOf(r)
	if c == nil {
		http.Redirect(w, r, "/sign-up", http.StatusSeeOther)
		return nil
	}
	if su, err := a.Sessions.SignUp(r.Context(), c, p.SignUpID); err == nil {
		p.Identifier = su.EmailAddress
		if p.Strategy == "phone_code" {
			p.Identifier = su.PhoneNumber
		}
	}
	if err := limit(a.AttemptLimit, r); err != nil {
		return a.pageError(w, r, "sign_up", p, err)
	}
	su, tok, err := a.Sessions.AttemptSignUp(r.Context(), c, p.SignUpID, p.Strategy, f.Get("code"))
	if err != nil {
		return a.pageError(w, r, "sign_up", p, err)
	}
	return a.nextSignUpStep(w, r, c, su, tok, p)
}

// signedIn returns the acting session and user of a profile page, or
// sends the browser to sign in.
func (a *API) signedIn(w http.ResponseWriter, r *http.Request) (*session.Session, *user.User, bool) {
	s, u, err := a.Sessions.Acting(r.Context(), clientOf(r), "")
	if err != nil {
		http.Redirect(w, r, "/sign-in?redirect_url=%2Fuser", http.StatusSeeOther)
		return nil, nil, false
	}
	return s, u, true
}

func (a *API) userPage(w http.ResponseWriter, r *http.Request) error {
	s, u, ok := a.signedIn(w, r)
	if !ok {
		return nil
	}
	return a.renderUser(w, r, s, u, http.StatusOK, "", r.URL.Query().Get("notice"))
}

func (a *API) renderUser(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, status int, errMsg, notice string) error {
	p := page{Title: "Your account", Wide: true, Error: errMsg, Notice: notices[notice]}
	if u.FirstName != nil {
		p.FirstName = *u.FirstName
	}
	if u.LastName != nil {
		p.LastName = *u.LastName
	}
	for _, idn := range u.Identifiers {
		if idn.Kind == user.Web3Wallet {
			continue
		}
		primary := (u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == idn.ID) ||
			(u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == idn.ID)
		p.Identifiers = append(p.Identifiers, identifierRow{ID: idn.ID, Value: idn.Value, Primary: primary,
			Verified: idn.VerificationStatus == user.StatusVerified})
	}
	list, _, err := a.Sessions.Sessions(r.Context(), session.Filter{UserID: u.ID, Status: session.Active, Limit: 100})
	if err != nil {
		return err
	}
	for _, x := range list {
		p.Sessions = append(p.Sessions, sessionRow{ID: x.ID, Current: x.ID == s.ID,
			Since: time.UnixMilli(x.CreatedAt).UTC().Format("Jan 2, 2006 15:04 UTC")})
	}
	return a.render(w, r, "user", status, p)
}

var notices = map[string]string{
	"saved": "Saved.", "added": "Email address added: send yourself a code to verify it.", "sent": "Code sent.",
	"verified": "Verified.", "removed": "Removed.", "password": "Password changed.", "ended": "Signed out of that session.",
}

// userAction runs a profile change and shows the page again: with a
// notice on success, with the error otherwise.
func (a *API) userAction(w http.ResponseWriter, r *http.Request, notice string, fn func(*session.Session, *user.User) error) error {
	s, u, ok := a.signedIn(w, r)
	if !ok {
		return nil
	}
	if err := fn(s, u); err != nil {
		e, isClient := errs.As(err)
		if !isClient || e.Kind == errs.Internal {
			return err
		}
		// Reload: the failed action may have counted an attempt.
		if fresh, err := a.Sessions.Users.User(r.Context(), u.ID); err == nil {
			u = fresh
		}
		return a.renderUser(w, r, s, u, http.StatusUnprocessableEntity, e.LongMessage, "")
	}
	http.Redirect(w, r, "/user?notice="+notice, http.StatusSeeOther)
	return nil
}

func (a *API) userProfile(w http.ResponseWriter, r *http.Request) error {
	return a.userAction(w, r, "saved", func(_ *session.Session, u *user.User) error {
		_, err := a.UserRules.Update(r.Context(), u.ID, user.UpdateParams{
			FirstName: user.Field[string]{Set: true, Value: r.PostForm.Get("first_name")},
			LastName:  user.Field[string]{Set: true, Value: r.PostForm.Get("last_name")}})
		return err
	})
}

func (a *API) userAddEmail(w http.ResponseWriter, r *http.Request) error {
	return a.userAction(w, r, "added", func(_ *session.Session, u *user.User) error {
		_, err := a.Sessions.AddEmail(r.Context(), a.Profile, u, r.PostForm.Get("email_address"))
		return err
	})
}

func (a *API) userPrepare(w http.ResponseWriter, r *http.Request) error {
	return a.userAction(w, r, "sent", func(_ *session.Session, u *user.User) error {
		_, err := a.Sessions.PrepareEmail(r.Context(), a.Profile, clientOf(r), u, r.PathValue("id"))
		return err
	})
}

func (a *API) userVerify(w http.ResponseWriter, r *http.Request) error {
	if err := limit(a.AttemptLimit, r); err != nil {
		return err
	}
	return a.userAction(w, r, "verified", func(_ *session.Session, u *user.User) error {
		return a.Sessions.AttemptEmail(r.Context(), a.Profile, clientOf(r), u, r.PathValue("id"), r.PostForm.Get("code"))
	})
}

func (a *API) userDeleteIdentifier(w http.ResponseWriter, r *http.Request) error {
	return a.userAction(w, r, "removed", func(_ *session.Session, u *user.User) error {
		return a.Profile.DeleteIdentifier(r.Context(), u.ID, r.PathValue("id"))
	})
}

func (a *API) userPassword(w http.ResponseWriter, r *http.Request) error {
	if err := limit(a.AttemptLimit, r); err != nil {
		return err
	}
	return a.userAction(w, r, "password", func(s *session.Session, u *user.User) error {
		_, err := a.Sessions.ChangePassword(r.Context(), s, u, r.PostForm.Get("current_password"),
			r.PostForm.Get("new_password"), r.PostForm.Get("sign_out_of_other_sessions") == "true")
		return err
	})
}

func (a *API) userEndSession(w http.ResponseWriter, r *http.Request) error {
	return a.userAction(w, r, "ended", func(_ *session.Session, u *user.User) error {
		target, err := a.Sessions.Session(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if target.UserID != u.ID {
			return session.NotFound("session", r.PathValue("id"))
		}
		_, err = a.Sessions.End(r.Context(), nil, target.ID, session.Ended)
		return err
	})
}

func (a *API) signOutPage(w http.ResponseWriter, r *http.Request) error {
	if c := clientOf(r); c != nil {
		if err := a.Sessions.SignOut(r.Context(), c); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

func ptr[T any](v T) *T { return &v }
