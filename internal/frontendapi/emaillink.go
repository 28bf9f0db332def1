package frontendapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// linkRedirect checks the redirect_url of a call asking for an email
// link: where the link will send whoever opens it, so it must be one of
// the application's (RedirectAllowed), or absent.
func (a *API) linkRedirect(ctx context.Context, v url.Values) error {
	if v.Get("strategy") != emaillink.Strategy {
		return nil
	}
	if raw := v.Get("redirect_url"); raw != "" && !a.RedirectAllowed(ctx, raw) {
		return errRedirectDomain
	}
	return nil
}

// prepareEmailLink emails a link verifying one of the user's addresses
// (UserProfile's "verify with a link").
func (a *API) prepareEmailLink(w http.ResponseWriter, r *http.Request, u *user.User, v url.Values) error {
	if err := a.linkRedirect(r.Context(), v); err != nil {
		return err
	}
	var idn *user.Identifier
	for i := range u.Identifiers {
		if x := &u.Identifiers[i]; x.ID == r.PathValue("id") && x.Kind == user.EmailAddress {
			idn = x
		}
	}
	if idn == nil {
		return session.NotFound("email address", r.PathValue("id"))
	}
	if err := a.Sessions.PrepareEmailLink(r.Context(), a.Profile, clientOf(r), u.ID, idn.ID, idn.Value, v.Get("redirect_url")); err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, idn.ID, a.emailObject)
}

// verifyEmailLink is the email link's landing, GET /v1/verify?token=…:
// it verifies what the link was sent for, once, then sends the browser
// to the link's redirect_url with Clerk's __clerk_status (verified,
// expired, failed, client_mismatch) and, when a session was created
// for this browser, __clerk_created_session. A token that is not one of
// ours has nowhere to go and is a 400.
func (a *API) verifyEmailLink(w http.ResponseWriter, r *http.Request) error {
	out, err := a.Sessions.OpenEmailLink(r.Context(), a.Profile, clientOf(r), r.URL.Query().Get("token"),
		audit.Actor{IP: httpcheck.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	a.setToken(w, r, out.Token)
	// Checked when the link was asked for, and again now: the allowed
	// origins may have changed since. Without one, the hosted page.
	u, err := url.Parse(out.RedirectURL)
	if out.RedirectURL == "" || err != nil || !a.RedirectAllowed(r.Context(), out.RedirectURL) {
		u, _ = url.Parse(a.PublicURL + "/sign-in")
	}
	q := u.Query()
	q.Set("__clerk_status", out.Status)
	if out.CreatedSessionID != "" {
		q.Set("__clerk_created_session", out.CreatedSessionID)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return nil
}
