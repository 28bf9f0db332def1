package frontendapi

import (
	"context"
	"encoding/json"
	"github.com/conciergehq/concierge/internal/signintoken"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

var errNoClient = errs.New(errs.Unauthenticated, "signed_out", "Signed out", "There is no client: sign in first.")

func (a *API) environment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	live, err := a.Settings.Live(ctx)
	if err != nil {
		return err
	}
	app, mode := live.AppName, live.SignUpMode
	required := func(f string) bool { return slices.Contains(live.RequiredIdentifiers, f) }
	// clerk-js knows public, restricted and waitlist; an invitation-only
	// instance is restricted to it (tickets only).
	if mode == instance.ModeInvitationOnly {
		mode = instance.ModeRestricted
	}
	off := map[string]any{"enabled": false, "required": false, "used_for_first_factor": false, "first_factors": []string{},
		"used_for_second_factor": false, "second_factors": []string{}, "verifications": []string{}, "verify_at_sign_up": false}
	attr := func(enabled, required, firstFactor bool, factors, verifications []string) map[string]any {
		return map[string]any{"enabled": enabled, "required": required, "used_for_first_factor": firstFactor,
			"first_factors": factors, "used_for_second_factor": false, "second_factors": []string{},
			"verifications": verifications, "verify_at_sign_up": len(verifications) > 0}
	}
	emailFactors := []string{"email_code"}
	if live.EmailLink && a.Sessions.EmailLinks != nil {
		emailFactors = []string{"email_code", emaillink.Strategy}
	}
	// A second factor users may enrol: an attribute of its own (the
	// authenticator app, backup codes) or a use of the phone number.
	second := func(f string) map[string]any {
		on := live.SecondFactor(f)
		factors := []string{}
		if on {
			factors = []string{f}
		}
		return map[string]any{"enabled": on, "required": false, "used_for_first_factor": false, "first_factors": []string{},
			"used_for_second_factor": on, "second_factors": factors, "verifications": []string{}, "verify_at_sign_up": false}
	}
	phone := attr(true, required("phone_number"), true, []string{"phone_code"}, []string{"phone_code"})
	if live.SecondFactor("phone_code") {
		phone["used_for_second_factor"], phone["second_factors"] = true, []string{"phone_code"}
	}
	social, err := a.social(ctx)
	if err != nil {
		return err
	}
	// Passkeys, when the applications are on a domain browsers accept.
	passkeys := a.Passkeys != nil && a.Passkeys.Available(ctx)
	passkeyAttr := off
	if passkeys {
		passkeyAttr = attr(true, false, true, []string{"passkey"}, []string{"passkey"})
		passkeyAttr["verify_at_sign_up"] = false
	}
	env := map[string]any{
		"object":         "environment",
		"auth_config":    map[string]any{"object": "auth_config", "single_session_mode": false},
		"display_config": displayConfig(a.PublicURL, app, live.SupportEmail, r.Method == http.MethodPatch),
		"user_settings": map[string]any{
			"attributes": map[string]any{
				"email_address":     attr(true, required("email_address"), true, emailFactors, emailFactors),
				"phone_number":      phone,
				"username":          attr(true, false, true, []string{}, []string{}),
				"first_name":        attr(true, false, false, []string{}, []string{}),
				"last_name":         attr(true, false, false, []string{}, []string{}),
				"password":          attr(true, true, false, []string{}, []string{}),
				"web3_wallet":       off,
				"authenticator_app": second("totp"), "ticket": attr(true, false, false, []string{}, []string{}),
				"backup_code": second("backup_code"), "passkey": passkeyAttr,
			},
			"sign_up": map[string]any{"mode": mode, "progressive": true, "legal_consent_enabled": false, "captcha_enabled": false,
				"custom_action_required": false, "mfa": map[string]any{"required": live.MFARequired}},
			"sign_in":          map[string]any{"second_factor": map[string]any{"required": live.MFARequired}},
			"social":           social,
			"enterprise_sso":   map[string]any{"enabled": false, "self_serve_sso": false},
			"passkey_settings": map[string]any{"allow_autofill": false, "show_sign_in_button": passkeys},
			"actions":          map[string]any{"delete_self": live.DeleteSelf, "create_organization": live.Organizations && live.OrganizationCreate},
			"password_settings": map[string]any{"min_length": 8, "max_length": 72, "require_special_char": false,
				"require_numbers": false, "require_uppercase": false, "require_lowercase": false, "show_zxcvbn": false,
				"min_zxcvbn_strength": 0, "allowed_special_characters": "", "disable_hibp": true, "enforce_hibp_on_sign_in": false},
			"username_settings": map[string]any{"min_length": 4, "max_length": 64},
			"attack_protection": map[string]any{
				"enumeration_protection": map[string]any{"enabled": live.StrictEnumeration},
				"user_lockout":           map[string]any{"enabled": true, "max_attempts": user.MaxAttempts, "duration_in_minutes": user.LockoutDuration / 60000},
				"email_link":             map[string]any{"require_same_client": live.EmailLinkSameClient},
			},
		},
		"organization_settings": organizationSettings(live),
		"maintenance_mode":      false,
		"partitioned_cookies":   false,
		"client_debug_mode":     false,
	}
	respond.JSON(w, http.StatusOK, env)
	return nil
}

// displayConfig points clerk-js at the hosted pages. A development key
// (clerk-js fetches the environment with PATCH then) makes clerk-js add a
// development-browser token to every URL of another origin, and throw
// without one (frontend-api.md §3.2): it gets no URLs, and uses its
// defaults and the application's own props.
func displayConfig(publicURL, app, supportEmail string, devKey bool) map[string]any {
	env := "production"
	signIn, signUp, profile := publicURL+"/sign-in", publicURL+"/sign-up", publicURL+"/user"
	if devKey {
		env, signIn, signUp, profile = "development", "", "", ""
	}
	return map[string]any{
		"object": "display_config", "instance_environment_type": env, "application_name": app,
		"preferred_sign_in_strategy": "password", "branded": false, "show_devmode_warning": false,
		"sign_in_url": signIn, "sign_up_url": signUp, "user_profile_url": profile, "home_url": "",
		"after_sign_in_url": "", "after_sign_up_url": "", "after_sign_out_one_url": "", "after_sign_out_all_url": "",
		"captcha_public_key": nil, "support_email": nullable(supportEmail),
	}
}

// nullable is s, or JSON null when empty (Clerk's "not set").
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request) error {
	c := clientOf(r)
	if c == nil {
		a.clientUAT(w, nil)
		respond.JSON(w, http.StatusOK, map[string]any{"response": nil, "client": nil})
		return nil
	}
	c, err := a.Sessions.Client(r.Context(), c.ID)
	if err != nil {
		return err
	}
	// An email link opened elsewhere while this browser was away
	// completes its sign-in or sign-up here.
	if tok, done, err := a.Sessions.SettleClient(r.Context(), c); err != nil {
		return err
	} else if done {
		a.setToken(w, r, tok)
		if c, err = a.Sessions.Client(r.Context(), c.ID); err != nil {
			return err
		}
	}
	cj, err := a.clientOut(r.Context(), c)
	if err != nil {
		return err
	}
	a.clientUAT(w, c)
	respond.JSON(w, http.StatusOK, map[string]any{"response": cj, "client": cj})
	return nil
}

func (a *API) createClient(w http.ResponseWriter, r *http.Request) error {
	c, tok, err := a.Sessions.NewClient(r.Context())
	if err != nil {
		return err
	}
	a.setToken(w, r, tok)
	cj, err := a.clientOut(r.Context(), c)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"response": cj, "client": cj})
	return nil
}

// createDevBrowser starts a development browser: a new client whose token
// clerk-js then sends as __clerk_db_jwt (it keeps the answer's id).
func (a *API) createDevBrowser(w http.ResponseWriter, r *http.Request) error {
	c, tok, err := a.Sessions.NewClient(r.Context())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "dev_browser", "id": tok, "token": tok, "client_id": c.ID,
		"home_origin": nil, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt})
	return nil
}

// deleteClient ends every session and forgets the client on this browser.
func (a *API) deleteClient(w http.ResponseWriter, r *http.Request) error {
	c := clientOf(r)
	if c == nil {
		return errNoClient
	}
	if err := a.Sessions.SignOut(r.Context(), c); err != nil {
		return err
	}
	if !native(r) {
		http.SetCookie(w, &http.Cookie{Name: ClientCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	return a.envelopeResponseClient(w, r, c.ID, true)
}

// signOutAll is clerk-js's default signOut(): end every session, keep
// the client.
func (a *API) signOutAll(w http.ResponseWriter, r *http.Request) error {
	c := clientOf(r)
	if c == nil {
		return errNoClient
	}
	if err := a.Sessions.SignOut(r.Context(), c); err != nil {
		return err
	}
	return a.envelopeResponseClient(w, r, c.ID, true)
}

// envelopeResponseClient answers {"response": client, "client": null}.
func (a *API) envelopeResponseClient(w http.ResponseWriter, r *http.Request, clientID string, nullClient bool) error {
	c, err := a.Sessions.Client(r.Context(), clientID)
	if err != nil {
		return err
	}
	cj, err := a.clientOut(r.Context(), c)
	if err != nil {
		return err
	}
	a.clientUAT(w, c)
	var piggy any = cj
	if nullClient {
		piggy = nil
	}
	respond.JSON(w, http.StatusOK, map[string]any{"response": cj, "client": piggy})
	return nil
}

func signUpParams(v url.Values) session.SignUpParams {
	p := session.SignUpParams{EmailAddress: opt(v, "email_address"), PhoneNumber: opt(v, "phone_number"),
		Username: opt(v, "username"), Password: opt(v, "password"), FirstName: opt(v, "first_name"),
		LastName: opt(v, "last_name"), Strategy: v.Get("strategy"), Ticket: v.Get("ticket"), RedirectURL: v.Get("redirect_url")}
	if m := v.Get("unsafe_metadata"); m != "" {
		p.UnsafeMetadata = json.RawMessage(m)
	}
	if p.EmailAddress == nil && p.PhoneNumber == nil {
		// The combined field of progressive sign-up forms.
		if e := v.Get("email_address_or_phone_number"); e != "" {
			if e[0] == '+' {
				p.PhoneNumber = &e
			} else {
				p.EmailAddress = &e
			}
		}
	}
	return p
}

func (a *API) createSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	switch {
	case v.Get("transfer") == "true":
		return a.transferSignUp(w, r, c, v)
	case session.IsOAuth(v.Get("strategy")):
		return a.oauthSignUp(w, r, c, v)
	}
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	su, tok, err := a.Sessions.CreateSignUp(r.Context(), c, signUpParams(v))
	return a.signUpResponse(w, r, c, su, tok, err)
}

func (a *API) updateSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	su, tok, err := a.Sessions.UpdateSignUp(r.Context(), c, r.PathValue("id"), signUpParams(v))
	return a.signUpResponse(w, r, c, su, tok, err)
}

func (a *API) getSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, _ url.Values) error {
	su, err := a.Sessions.SignUp(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	// An email link opened in another browser completes here.
	su, tok, err := a.Sessions.SettleSignUp(r.Context(), c, su)
	return a.signUpResponse(w, r, c, su, tok, err)
}

func (a *API) prepareSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	su, err := a.Sessions.PrepareSignUp(r.Context(), c, r.PathValue("id"), v.Get("strategy"), v.Get("redirect_url"))
	return a.signUpResponse(w, r, c, su, "", err)
}

func (a *API) attemptSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	su, tok, err := a.Sessions.AttemptSignUp(r.Context(), c, r.PathValue("id"), v.Get("strategy"), v.Get("code"))
	return a.signUpResponse(w, r, c, su, tok, err)
}

// signUpResponse answers a sign-up call: its error, or the sign-up in the
// envelope, handing over a new client token if the sign-up completed.
func (a *API) signUpResponse(w http.ResponseWriter, r *http.Request, c *session.Client, su *session.SignUp, tok string, err error) error {
	if err != nil {
		return err
	}
	a.setToken(w, r, tok)
	return a.envelope(w, r, c.ID, signUpOut(su))
}

func signInParams(v url.Values) session.SignInParams {
	return session.SignInParams{Identifier: v.Get("identifier"), Strategy: v.Get("strategy"), Password: v.Get("password"),
		Code: v.Get("code"), EmailAddressID: v.Get("email_address_id"), PhoneNumberID: v.Get("phone_number_id"), Ticket: v.Get("ticket"),
		PublicKeyCredential: v.Get("public_key_credential"), RedirectURL: v.Get("redirect_url")}
}

func (a *API) createSignIn(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	if session.IsOAuth(v.Get("strategy")) {
		return a.oauthSignIn(w, r, c, v)
	}
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	si, tok, err := a.Sessions.CreateSignIn(r.Context(), c, signInParams(v))
	return a.signInResponse(w, r, c, si, tok, err)
}

func (a *API) updateSignIn(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	si, tok, err := a.Sessions.UpdateSignIn(r.Context(), c, r.PathValue("id"), signInParams(v))
	return a.signInResponse(w, r, c, si, tok, err)
}

func (a *API) getSignIn(w http.ResponseWriter, r *http.Request, c *session.Client, _ url.Values) error {
	si, err := a.Sessions.SignIn(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	// An email link opened in another browser completes here.
	si, tok, err := a.Sessions.SettleSignIn(r.Context(), c, si)
	return a.signInResponse(w, r, c, si, tok, err)
}

func (a *API) prepareFirstFactor(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	si, err := a.Sessions.PrepareFirstFactor(r.Context(), c, r.PathValue("id"), signInParams(v))
	return a.signInResponse(w, r, c, si, "", err)
}

func (a *API) attemptFirstFactor(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	si, tok, err := a.Sessions.AttemptFirstFactor(r.Context(), c, r.PathValue("id"), signInParams(v))
	return a.signInResponse(w, r, c, si, tok, err)
}

func (a *API) resetPassword(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	si, tok, err := a.Sessions.ResetPassword(r.Context(), c, r.PathValue("id"), v.Get("password"), v.Get("sign_out_of_other_sessions") == "true")
	return a.signInResponse(w, r, c, si, tok, err)
}

func (a *API) signInResponse(w http.ResponseWriter, r *http.Request, c *session.Client, si *session.SignIn, tok string, err error) error {
	if err != nil {
		return err
	}
	a.setToken(w, r, tok)
	out, err := a.signInOut(r.Context(), si)
	if err != nil {
		return err
	}
	return a.envelope(w, r, c.ID, out)
}

// sessionResponse answers a session call with the session in the
// envelope.
func (a *API) sessionResponse(w http.ResponseWriter, r *http.Request, c *session.Client, s *session.Session, err error) error {
	if err != nil {
		return err
	}
	out, err := a.sessionOut(r.Context(), s, a.Sessions.Now().UnixMilli())
	if err != nil {
		return err
	}
	return a.envelope(w, r, c.ID, out)
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request, c *session.Client, _ url.Values) error {
	s, err := a.Sessions.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if s.ClientID != c.ID {
		return session.NotFound("session", r.PathValue("id"))
	}
	return a.sessionResponse(w, r, c, s, nil)
}

func (a *API) touchSession(w http.ResponseWriter, r *http.Request, c *session.Client, form url.Values) error {
	// active_organization_id switches the session's organization; empty
	// (or "null", as some clients send) goes back to the personal account.
	var org *string
	if vs, ok := form["active_organization_id"]; ok {
		v := ""
		if len(vs) > 0 && vs[0] != "null" {
			v = vs[0]
		}
		org = &v
	}
	s, err := a.Sessions.Touch(r.Context(), c, r.PathValue("id"), org)
	return a.sessionResponse(w, r, c, s, err)
}

// mintToken answers the bare {"object":"token","jwt":…} clerk-js reads.
func (a *API) mintToken(w http.ResponseWriter, r *http.Request, c *session.Client, _ url.Values) error {
	var jwt string
	var err error
	if t := r.PathValue("template"); t != "" {
		jwt, err = a.Sessions.TemplateToken(r.Context(), c, r.PathValue("id"), t, r.Header.Get("Origin"))
	} else {
		jwt, err = a.Sessions.Token(r.Context(), c, r.PathValue("id"), r.Header.Get("Origin"))
	}
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]string{"object": "token", "jwt": jwt})
	return nil
}

func (a *API) endSession(status string) clientHandler {
	return func(w http.ResponseWriter, r *http.Request, c *session.Client, _ url.Values) error {
		s, err := a.Sessions.End(r.Context(), c, r.PathValue("id"), status)
		return a.sessionResponse(w, r, c, s, err)
	}
}

func (a *API) jwks(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	respond.JSON(w, http.StatusOK, a.Sessions.Keys.JWKS())
	return nil
}

// acceptTicket is the invitation link's landing: a valid ticket goes on
// to the invitation's redirect_url (if set) or the hosted page, with
// __clerk_ticket and __clerk_status, as Clerk's does: sign_up for an
// address without an account, sign_in (organization invitations) for one
// with an account.
func (a *API) acceptTicket(w http.ResponseWriter, r *http.Request) error {
	ticket := r.URL.Query().Get("ticket")
	status, redirect, err := a.ticketTarget(r.Context(), ticket)
	if err != nil {
		// A person clicked a link: show the hosted page with the reason.
		e, _ := errs.As(err)
		code := "ticket_invalid_code"
		if e != nil {
			code = e.Code
		}
		http.Redirect(w, r, a.PublicURL+"/sign-up?__clerk_error="+url.QueryEscape(code), http.StatusSeeOther)
		return nil
	}
	dest := a.PublicURL + "/" + strings.ReplaceAll(status, "_", "-")
	if redirect != nil && *redirect != "" {
		dest = *redirect
	}
	u, err := url.Parse(dest)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("__clerk_ticket", ticket)
	q.Set("__clerk_status", status)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return nil
}

// ticketTarget checks a ticket of either kind and says where it leads:
// the __clerk_status (sign_up or sign_in) and the invitation's
// redirect_url.
func (a *API) ticketTarget(ctx context.Context, ticket string) (string, *string, error) {
	if a.Sessions.Tickets != nil && signintoken.IsTicket(ticket) {
		// A sign-in or actor token: the hosted sign-in page (or the
		// application's, through the redirect_url it was shown with)
		// consumes it with the ticket strategy.
		if _, err := a.Sessions.Tickets.Verify(ctx, ticket); err != nil {
			return "", nil, err
		}
		return "sign_in", nil, nil
	}
	if invitation.TicketKind(ticket) != invitation.KindOrganizationInvitation || a.Organizations == nil {
		inv, err := a.Invitations.Verify(ctx, ticket)
		if err != nil {
			return "", nil, err
		}
		return "sign_up", inv.RedirectURL, nil
	}
	inv, err := a.Organizations.VerifyTicket(ctx, ticket)
	if err != nil {
		return "", nil, err
	}
	_, _, err = a.Sessions.Users.UserByIdentifier(ctx, inv.EmailAddress)
	if e, ok := errs.As(err); ok && e.Kind == errs.NotFound {
		return "sign_up", inv.RedirectURL, nil
	} else if err != nil {
		return "", nil, err
	}
	return "sign_in", inv.RedirectURL, nil
}
