package frontendapi

import (
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/session"
)

// The hosted sign-in's second step, for a user with a second factor: the
// authenticator app's code (or a backup code in the same field), or an
// SMS code sent when the step opens.

// secondFactorStep renders the second step of sign-in si, sending the
// SMS code first when a phone number is the user's only app-less factor.
func (a *API) secondFactorStep(w http.ResponseWriter, r *http.Request, c *session.Client, si *session.SignIn, p page) error {
	u, err := a.Sessions.Users.User(r.Context(), si.UserID)
	if err != nil {
		return err
	}
	p.SecondFactor, p.SignInID, p.Identifier, p.Strategy = true, si.ID, si.Identifier, session.StrategyBackupCode
	if si.ClientTrust {
		// A new browser: a code to the primary address (or number). The
		// user may have removed it since the password was checked.
		trust := session.TrustFactors(u)
		if len(trust) == 0 {
			return a.pageError(w, r, "sign_in", p, errs.New(errs.BadRequest, "strategy_for_user_invalid", "No address",
				"This account has no verified email address or phone number to send a code to."))
		}
		f := trust[0]
		p.Strategy, p.Phone, p.NewDevice = f.Strategy, f.SafeIdentifier, true
		if _, err := a.Sessions.PrepareSecondFactor(r.Context(), c, si.ID, session.SignInParams{
			Strategy: f.Strategy, EmailAddressID: f.EmailAddressID, PhoneNumberID: f.PhoneNumberID}); err != nil {
			return a.pageError(w, r, "sign_in", p, err)
		}
		return a.render(w, r, "sign_in", http.StatusOK, p)
	}
	for _, f := range session.SecondFactors(u) {
		if f.Strategy == session.StrategyTOTP {
			p.Strategy = f.Strategy
			break
		}
		if f.Strategy == session.StrategyPhoneCode && p.Strategy != session.StrategyPhoneCode {
			p.Strategy, p.Phone = f.Strategy, f.SafeIdentifier
			if _, err := a.Sessions.PrepareSecondFactor(r.Context(), c, si.ID, session.SignInParams{
				Strategy: f.Strategy, PhoneNumberID: f.PhoneNumberID}); err != nil {
				return a.pageError(w, r, "sign_in", p, err)
			}
		}
	}
	p.BackupCodes = u.BackupCodeEnabled()
	return a.render(w, r, "sign_in", http.StatusOK, p)
}

// afterFirstFactor continues a hosted sign-in whose first factor was
// proved: signed in, or on to the second step.
func (a *API) afterFirstFactor(w http.ResponseWriter, r *http.Request, c *session.Client, si *session.SignIn, tok string, p page) error {
	if si.Status == session.NeedsSecondFactor || si.Status == session.NeedsClientTrust {
		return a.secondFactorStep(w, r, c, si, p)
	}
	a.setCookie(w, tok)
	return a.finish(w, r, c, si.CreatedSessionID, p.RedirectURL, tok)
}

// signInSecondFactor checks the second step's code. A code that is not
// six digits is taken as a backup code.
func (a *API) signInSecondFactor(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	p := page{Title: "Sign in", RedirectURL: f.Get("redirect_url"), SecondFactor: true, SignInID: f.Get("sign_in_id"),
		Strategy: f.Get("strategy"), Phone: f.Get("phone")}
	c := clientOf(r)
	if c == nil {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	}
	if err := limit(a.AttemptLimit, r); err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	code := strings.TrimSpace(f.Get("code"))
	strategy := p.Strategy
	switch {
	case strategy == "email_code":
		p.NewDevice = true // only a new browser's check sends an email
	case strategy != session.StrategyTOTP && strategy != session.StrategyPhoneCode,
		len(code) != 6 || strings.Trim(code, "0123456789") != "":
		strategy = session.StrategyBackupCode
	}
	if si, err := a.Sessions.SignIn(r.Context(), c, p.SignInID); err == nil {
		p.Identifier = si.Identifier
		if u, err := a.Sessions.Users.User(r.Context(), si.UserID); err == nil {
			p.BackupCodes = u.BackupCodeEnabled()
		}
	}
	si, tok, err := a.Sessions.AttemptSecondFactor(r.Context(), c, p.SignInID, session.SignInParams{Strategy: strategy, Code: code})
	if err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	a.setCookie(w, tok)
	return a.finish(w, r, c, si.CreatedSessionID, p.RedirectURL, tok)
}
