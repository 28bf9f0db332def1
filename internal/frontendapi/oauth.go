package frontendapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Social sign-in, as clerk-js's authenticateWithRedirect drives it: the
// sign-in or sign-up answers an external verification whose URL leads to
// the provider, the provider comes back to /v1/oauth_callback, and
// Concierge sends the browser on to the application's redirect_url,
// where handleRedirectCallback reads the outcome from the client.

// oauthStart reads and checks where a social flow goes back to.
func (a *API) oauthStart(r *http.Request, v url.Values) (session.OAuthStart, error) {
	st := session.OAuthStart{Strategy: v.Get("strategy"), RedirectURL: v.Get("redirect_url"),
		CompleteURL: v.Get("action_complete_redirect_url"), DevBrowser: devBrowser(r)}
	if st.RedirectURL == "" {
		return st, errs.ParamMissing("redirect_url")
	}
	for _, u := range []string{st.RedirectURL, st.CompleteURL} {
		if u != "" && !a.RedirectAllowed(r.Context(), u) {
			return st, errs.New(errs.Invalid, "redirect_url_domain_mismatch", "Redirect URL not allowed",
				"The redirect URL must belong to your application: add its origin to the allowed origins, or register it as a redirect URL.").WithParam("redirect_url")
		}
	}
	return st, nil
}

func (a *API) oauthSignIn(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	st, err := a.oauthStart(r, v)
	if err != nil {
		return err
	}
	si, err := a.Sessions.StartOAuthSignIn(r.Context(), c, st)
	return a.signInResponse(w, r, c, si, "", err)
}

func (a *API) oauthSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	st, err := a.oauthStart(r, v)
	if err != nil {
		return err
	}
	su, err := a.Sessions.StartOAuthSignUp(r.Context(), c, st)
	return a.signUpResponse(w, r, c, su, "", err)
}

func (a *API) transferSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	full, err := a.Sessions.Client(r.Context(), c.ID)
	if err != nil {
		return err
	}
	su, tok, err := a.Sessions.TransferSignUp(r.Context(), full, signUpParams(v))
	return a.signUpResponse(w, r, c, su, tok, err)
}

// oauthCallback is where providers send the browser back (GET, or POST
// for form_post providers such as Apple). The outcome is kept on the
// client's sign-in or sign-up; the browser goes on to the application.
func (a *API) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	r = r.WithContext(signedOut(r.Context(), r)) // the provider's redirect: no transport here
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errMalformed
	}
	res, err := a.Sessions.OAuthCallback(r.Context(), r.Form.Get("state"), r.Form.Get("code"), r.Form.Get("error"))
	if err != nil {
		return err
	}
	target := res.Target
	if res.ClientToken != "" {
		if res.DevBrowser {
			// A development browser keeps its (rotated) token from the URL.
			target = session.WithDevBrowser(target, res.ClientToken)
		} else {
			a.setCookie(w, res.ClientToken)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// connectAccount is POST /v1/me/external_accounts: UserProfile connects
// another provider; the answer's verification leads to it.
func (a *API) connectAccount(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	st, err := a.oauthStart(r, v)
	if err != nil {
		return err
	}
	if !session.IsOAuth(st.Strategy) {
		return errs.ParamValue("strategy", st.Strategy)
	}
	st.Scopes = strings.FieldsFunc(v.Get("additional_scope"), func(r rune) bool { return r == ' ' || r == ',' })
	to, err := a.Sessions.StartConnect(r.Context(), clientOf(r), u, st)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "external_account", "id": "",
		"provider": st.Strategy[len("oauth_"):], "approved_scopes": "", "email_address": "",
		"verification": map[string]any{"object": "verification_oauth", "status": "unverified", "strategy": st.Strategy,
			"external_verification_redirect_url": to, "attempts": nil, "expire_at": nil}})
}

// reauthorizeAccount is PATCH /v1/me/external_accounts/{id}/reauthorize:
// the same provider again, with additional_scope, to renew its grant.
func (a *API) reauthorizeAccount(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, v url.Values) error {
	id := r.PathValue("id")
	for _, idn := range u.Identifiers {
		if idn.ID == id && session.IsOAuth(string(idn.Kind)) {
			v.Set("strategy", string(idn.Kind))
			return a.connectAccount(w, r, s, u, v)
		}
	}
	return session.NotFound("external account", id)
}

func (a *API) deleteAccount(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	id := r.PathValue("id")
	found := false
	for _, idn := range u.Identifiers {
		found = found || (idn.ID == id && session.IsOAuth(string(idn.Kind)))
	}
	if !found {
		return session.NotFound("external account", id)
	}
	if err := a.Profile.DeleteIdentifier(r.Context(), u.ID, id); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "external_account", "id": id, "deleted": true})
}

// social is the environment's user_settings.social: each enabled
// provider, as the components render its button.
func (a *API) social(ctx context.Context) (map[string]any, error) {
	out := map[string]any{}
	if a.OAuth == nil {
		return out, nil
	}
	enabled, err := a.OAuth.Enabled(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range enabled {
		p, err := c.Provider()
		if err != nil {
			continue
		}
		out[c.Strategy] = map[string]any{"enabled": true, "required": false, "authenticatable": true,
			"block_email_subaddresses": false, "strategy": c.Strategy, "not_selectable": false, "deprecated": false,
			"name": p.Name, "logo_url": nil}
	}
	return out, nil
}

// providerButtons lists the enabled providers for the hosted pages.
func (a *API) providerButtons(ctx context.Context) ([]providerButton, error) {
	if a.OAuth == nil {
		return nil, nil
	}
	enabled, err := a.OAuth.Enabled(ctx)
	if err != nil {
		return nil, err
	}
	var out []providerButton
	for _, c := range enabled {
		if p, err := c.Provider(); err == nil {
			out = append(out, providerButton{Strategy: c.Strategy, Name: p.Name})
		}
	}
	return out, nil
}

// pageOAuth starts a hosted sign-in through a provider. It is a link,
// not a form: the pages' form-action policy would stop a form's redirect
// to the provider, and starting a flow changes nothing until the user
// comes back from their own provider account.
func (a *API) pageOAuth(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := page{Title: "Sign in", RedirectURL: q.Get("redirect_url")}
	c, err := a.pageClient(w, r)
	if err != nil {
		return err
	}
	back := a.PublicURL + "/sign-in/sso-callback"
	if p.RedirectURL != "" {
		back += "?redirect_url=" + url.QueryEscape(p.RedirectURL)
	}
	si, err := a.Sessions.StartOAuthSignIn(r.Context(), c, session.OAuthStart{Strategy: q.Get("strategy"), RedirectURL: back})
	if err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	http.Redirect(w, r, si.FirstFactor.ExternalURL, http.StatusSeeOther)
	return nil
}

// pageSSOCallback is where a hosted sign-in comes back to: signed in, or
// a new account made from the provider's profile (the transfer clerk-js
// would do), or the flow's error on the form.
func (a *API) pageSSOCallback(w http.ResponseWriter, r *http.Request) error {
	p := page{Title: "Sign in", RedirectURL: r.URL.Query().Get("redirect_url")}
	c := clientOf(r)
	if c == nil {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	}
	full, err := a.Sessions.Client(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if si := full.SignIn; si != nil && si.FirstFactor != nil && session.IsOAuth(si.FirstFactor.Strategy) {
		switch si.FirstFactor.Status {
		case "transferable":
			su, tok, err := a.Sessions.TransferSignUp(r.Context(), full, session.SignUpParams{})
			if err != nil {
				return a.pageError(w, r, "sign_in", p, err)
			}
			if su.Status != session.Complete {
				p.Error = "Your account needs more details: sign up with your email address instead."
				return a.render(w, r, "sign_in", http.StatusUnprocessableEntity, p)
			}
			a.setCookie(w, tok)
			return a.finish(w, r, c, su.CreatedSessionID, p.RedirectURL, tok)
		case "failed":
			p.Error = oauthError(si.FirstFactor.Error)["long_message"].(string)
			return a.render(w, r, "sign_in", http.StatusUnprocessableEntity, p)
		}
		if si.Status == session.NeedsSecondFactor {
			return a.secondFactorStep(w, r, full, si, p)
		}
	}
	if full.LastActiveSessionID != nil {
		return a.finish(w, r, full, *full.LastActiveSessionID, p.RedirectURL, "")
	}
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}
