package backendapi

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/respond"
)

// instanceObject is Clerk's instance: its id (the one webhook events
// carry), its environment type and the allowed origins.
func (a *API) instanceObject(live instance.Live) map[string]any {
	env := "development"
	if a.Production {
		env = "production"
	}
	origins := live.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return map[string]any{"object": "instance", "id": a.Webhooks.InstanceID, "environment_type": env, "allowed_origins": origins}
}

func (a *API) getInstance(w http.ResponseWriter, r *http.Request) error {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.instanceObject(live))
	return nil
}

// instanceParams are PATCH /v1/instance's fields. Those Concierge has no
// behaviour for are checked for their type (and form) and then ignored:
// test_mode (test addresses and numbers are not special here),
// enhanced_email_deliverability (mail goes through the operator's SMTP),
// clerk_js_version (the hosted pages are server-rendered, without
// clerk-js), development_origin, url_based_session_syncing and
// cookieless_dev (development instances always sync through the URL's
// development-browser token), hibp (passwords are always checked against
// the shipped list of breached passwords; no outside service is asked)
// and preferred_sign_in_strategy_when_password_required.
type instanceParams struct {
	TestMode                    *bool     `json:"test_mode"`
	HIBP                        *bool     `json:"hibp"`
	EnhancedEmailDeliverability *bool     `json:"enhanced_email_deliverability"`
	SupportEmail                *string   `json:"support_email"`
	ClerkJSVersion              *string   `json:"clerk_js_version"`
	DevelopmentOrigin           *string   `json:"development_origin"`
	AllowedOrigins              *[]string `json:"allowed_origins"`
	URLBasedSessionSyncing      *bool     `json:"url_based_session_syncing"`
	CookielessDev               *bool     `json:"cookieless_dev"`
	PreferredStrategy           *string   `json:"preferred_sign_in_strategy_when_password_required"`
}

// clerkJSVersion is an npm version or range clerk-js could be asked at.
var clerkJSVersion = regexp.MustCompile(`^[0-9A-Za-z.^~<>=*+-]{1,50}$`)

func (a *API) updateInstance(w http.ResponseWriter, r *http.Request) error {
	var p instanceParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	set := map[string]string{}
	if p.SupportEmail != nil {
		set[instance.SupportEmail] = strings.TrimSpace(*p.SupportEmail)
	}
	if p.AllowedOrigins != nil {
		for _, o := range *p.AllowedOrigins {
			// A comma would split one origin into two in the stored list.
			if strings.Contains(o, ",") || strings.TrimSpace(o) == "" {
				return errs.ParamFormat("allowed_origins", "allowed_origins must be origins such as https://app.example.com.")
			}
		}
		origins, err := instance.ParseOrigins(strings.Join(*p.AllowedOrigins, ","))
		if err != nil {
			return err // 422 form_param_format_invalid naming allowed_origins
		}
		set[instance.AllowedOrigins] = strings.Join(origins, ",")
	}
	if p.DevelopmentOrigin != nil && *p.DevelopmentOrigin != "" {
		if o, err := instance.ParseOrigins(*p.DevelopmentOrigin); err != nil || len(o) != 1 {
			return errs.ParamFormat("development_origin", "development_origin must be an origin such as http://localhost:3000.")
		}
	}
	if p.ClerkJSVersion != nil && *p.ClerkJSVersion != "" && !clerkJSVersion.MatchString(*p.ClerkJSVersion) {
		return errs.ParamFormat("clerk_js_version", "clerk_js_version must be a version of @clerk/clerk-js, such as 5.")
	}
	if s := p.PreferredStrategy; s != nil && *s != "" && *s != "password" && *s != "otp" {
		return errs.ParamValue("preferred_sign_in_strategy_when_password_required", *s)
	}
	if err := a.Settings.SetAll(r.Context(), set); err != nil {
		return renamed(err, instance.SupportEmail, "support_email")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// renamed gives a setting's validation error the request parameter's
// name and message (the setting and the parameter may be spelt alike).
func renamed(err error, key, param string) error {
	if e, ok := errs.As(err); ok && e.Meta["param_name"] == key {
		return errs.New(e.Kind, e.Code, e.Message, strings.ReplaceAll(e.LongMessage, key, param)).WithParam(param)
	}
	return err
}

// restrictionsObject is Clerk's instance_restrictions. The allowlist is
// on while the sign-up mode is restricted (allowlisted identifiers and
// invited addresses only).
func restrictionsObject(live instance.Live) map[string]any {
	return map[string]any{"object": "instance_restrictions", "allowlist": live.SignUpMode == instance.ModeRestricted,
		"blocklist": live.Restrictions.Blocklist, "block_email_subaddresses": live.Restrictions.BlockEmailSubaddresses,
		"block_disposable_email_domains": live.Restrictions.BlockDisposableEmailDomains, "ignore_dots_for_gmail_addresses": false}
}

type restrictionsParams struct {
	Allowlist                   *bool `json:"allowlist"`
	Blocklist                   *bool `json:"blocklist"`
	BlockEmailSubaddresses      *bool `json:"block_email_subaddresses"`
	BlockDisposableEmailDomains *bool `json:"block_disposable_email_domains"`
	IgnoreDotsForGmailAddresses *bool `json:"ignore_dots_for_gmail_addresses"`
}

func (a *API) updateRestrictions(w http.ResponseWriter, r *http.Request) error {
	var p restrictionsParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	// Concierge keeps Gmail addresses as given: a.b@gmail.com and
	// ab@gmail.com are two identifiers. Saying yes would be a lie.
	if p.IgnoreDotsForGmailAddresses != nil && *p.IgnoreDotsForGmailAddresses {
		return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
			"ignore_dots_for_gmail_addresses is not supported by Concierge: Gmail addresses are compared as given.").
			WithParam("ignore_dots_for_gmail_addresses")
	}
	ctx := r.Context()
	live, err := a.Settings.Live(ctx)
	if err != nil {
		return err
	}
	set := map[string]string{}
	if p.Allowlist != nil {
		// The allowlist restricts sign-up to its identifiers (and invited
		// addresses): the restricted mode. Turning it on leaves public or
		// invitation_only for restricted; turning it off leaves restricted
		// for public and keeps invitation_only, which never read it.
		switch {
		case *p.Allowlist:
			set[instance.SignUpMode] = instance.ModeRestricted
		case live.SignUpMode == instance.ModeRestricted:
			set[instance.SignUpMode] = instance.ModePublic
		}
	}
	for key, v := range map[string]*bool{instance.Blocklist: p.Blocklist, instance.BlockEmailSubaddresses: p.BlockEmailSubaddresses,
		instance.BlockDisposableEmailDomains: p.BlockDisposableEmailDomains} {
		if v != nil {
			set[key] = boolString(*v)
		}
	}
	if err := a.Settings.SetAll(ctx, set); err != nil {
		return err
	}
	if live, err = a.Settings.Live(ctx); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, restrictionsObject(live))
	return nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
