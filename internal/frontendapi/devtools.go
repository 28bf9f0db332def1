package frontendapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
)

// Calls clerk-js 6.40 makes that Concierge answers without a challenge
// to run: it issues no captcha and no protect check, so the captcha
// token, the proof token and the touch have nothing to verify but must
// not fail (clerk-js treats a 404 there as an error).

// clientTouch is GET /v1/client/touch?redirect_url=…, a top-level
// navigation clerk-js makes when the __client cookie nears its expiry:
// the cookie is set again for its full life, then the browser goes on
// to redirect_url, which must be the application's (no open redirect).
func (a *API) clientTouch(w http.ResponseWriter, r *http.Request) error {
	target := r.URL.Query().Get("redirect_url")
	if target == "" {
		return errs.ParamMissing("redirect_url")
	}
	if !a.RedirectAllowed(r.Context(), target) {
		return errRedirectDomain
	}
	if tok, fromHeader := clientToken(r); tok != "" && !fromHeader && clientOf(r) != nil && !devBrowser(r) {
		a.setCookie(w, tok)
	}
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// clientVerify is POST /v1/client/verify, where clerk-js sends a captcha
// token: with no captcha to pass, it answers the client as it is.
func (a *API) clientVerify(w http.ResponseWriter, r *http.Request, c *session.Client, _ url.Values) error {
	c, err := a.Sessions.Client(r.Context(), c.ID)
	if err != nil {
		return err
	}
	cj, err := a.clientOut(r.Context(), c)
	if err != nil {
		return err
	}
	a.clientUAT(w, c)
	respond.JSON(w, http.StatusOK, map[string]any{"response": cj, "client": cj})
	return nil
}

// protectCheckSignIn and protectCheckSignUp are PATCH
// …/{id}/protect_check with a proof_token: no check was asked for (the
// attempt's protect_check is null), so the attempt is answered as it is,
// once the caller shows it is theirs.
func (a *API) protectCheckSignIn(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	return a.getSignIn(w, r, c, v)
}

func (a *API) protectCheckSignUp(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	return a.getSignUp(w, r, c, v)
}

var errDevToolsProduction = errs.New(errs.Forbidden, "development_instance_only", "Development instances only",
	"The development tools change instance settings from the browser, which only a development instance allows: change them in the dashboard.")

// enableEnvironmentSetting is PATCH /v1/dev_tools/enable_environment_setting,
// from clerk-js's "enable organizations" prompt in development: it turns
// the matching instance setting on. clerk-js adds its own parameters to
// the query, all beginning with "_"; any other unknown field is refused.
func (a *API) enableEnvironmentSetting(w http.ResponseWriter, r *http.Request) error {
	if a.Production {
		return errDevToolsProduction
	}
	v, err := params(r)
	if err != nil {
		return err
	}
	var keys []string
	for k := range v {
		if !strings.HasPrefix(k, "_") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return errs.ParamMissing("enable_organizations")
	}
	sort.Strings(keys) // the first unknown field named is the same each time
	var enableOrgs *bool
	for _, k := range keys {
		on, ok := parseBool(v.Get(k))
		switch {
		case k != "enable_organizations" && k != "organization_allow_personal_accounts":
			return errs.ParamUnknown(k, k+" is not a setting the development tools can change.")
		case !ok:
			return errs.ParamFormat(k, k+" must be true or false.")
		case k == "enable_organizations":
			enableOrgs = &on
		case !on:
			// Concierge always offers the personal account beside the
			// organizations (force_organization_selection is false).
			return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"Concierge always allows personal accounts beside organizations.").WithParam(k)
		}
	}
	if enableOrgs != nil {
		val := "false"
		if *enableOrgs {
			val = "true"
		}
		if err := a.Settings.Set(r.Context(), instance.Organizations, val); err != nil {
			return err
		}
	}
	return a.environment(w, r)
}

func parseBool(s string) (on, ok bool) {
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
