package instance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/jwttemplate"
)

// More setting keys: sign-up requirements, session policy, origins and
// the delivery transports.
const (
	RequiredIdentifiers = "required_identifiers" // email_address, phone_number, or both (comma-separated)
	SessionLifetime     = "session_lifetime"
	SessionInactivity   = "session_inactivity"
	SessionTokenTTL     = "session_token_ttl"
	AllowedOrigins      = "allowed_origins" // comma-separated
	SMTPURL             = "smtp_url"
	SMSWebhookURL       = "sms_webhook_url"
	SMSWebhookSecret    = "sms_webhook_secret"
	SMSFrom             = "sms_from"
	TwilioAccountSID    = "twilio_account_sid"
	TwilioAuthToken     = "twilio_auth_token"
	TwilioFrom          = "twilio_from"
	// StrictEnumerationProtection makes a sign-in for an identifier that
	// has no account continue as if it had one ("true"), instead of
	// Clerk's default answer, form_identifier_not_found ("false").
	StrictEnumerationProtection = "strict_enumeration_protection"
	// DeleteSelf lets users delete their own account ("true", Clerk's
	// default) from the Frontend API.
	DeleteSelf = "delete_self"
	// SessionClaims is a claims template (JSON with shortcodes) merged
	// into every session token.
	SessionClaims = "session_claims"
	// WebhookAllowPrivate accepts webhook endpoints on loopback and
	// private networks ("true"; for development).
	WebhookAllowPrivate = "webhook_allow_private"
	// Organizations offers organizations to the Frontend API's users
	// ("true"); off by default, as Clerk's.
	Organizations = "organizations"
	// OrganizationDomains lets organization admins add and verify email
	// domains that enrol users ("true"); off by default, as Clerk's.
	OrganizationDomains = "organization_domains"
	// OrganizationCreate lets users create organizations from the
	// Frontend API ("true", the default; each user's
	// create_organization_enabled and create_organizations_limit apply
	// too).
	OrganizationCreate = "organization_create"
	// OrganizationMaxMemberships is a new organization's
	// max_allowed_memberships ("0": no bound).
	OrganizationMaxMemberships = "organization_max_memberships"
	// OrganizationCreatorRole is the role an organization's creator gets
	// (org:admin); it must hold org:sys_memberships:manage.
	OrganizationCreatorRole = "organization_creator_role"
	// OrganizationAdminDelete is a new organization's
	// admin_delete_enabled ("true").
	OrganizationAdminDelete = "organization_admin_delete"
	// SecondFactors are the second factors users may enrol from their
	// profile, comma-separated: totp, phone_code, backup_code (all by
	// default), or none. A factor a user already has, enrolled or
	// imported, is asked for at sign-in whatever this says.
	SecondFactors = "second_factors"
	// ClientTrust asks a user without a second factor who signs in with
	// a password on a client never used for them before for a code sent
	// to their email address or phone ("true", the default for new
	// instances, as Clerk's "Client Trust"; an instance from an older
	// version keeps "false").
	ClientTrust = "client_trust"
	// MFARequired makes every user have a second factor ("true"): a
	// session of a user without one is pending, with Clerk's setup-mfa
	// task, until they add one. Off by default.
	MFARequired = "mfa_required"
	// EmailLink offers email links ("magic links"): a first factor for
	// sign-in, and the way sign-ups and added addresses are verified
	// ("true"). Off by default; email codes are offered either way.
	EmailLink = "email_link"
	// EmailLinkSameClient refuses an email link opened in another
	// browser than the one that asked for it (client_mismatch), Clerk's
	// "require the same device and browser" ("true"). Off by default,
	// as Clerk's: a link opened elsewhere completes the sign-in on the
	// browser that asked for it.
	EmailLinkSameClient = "email_link_require_same_client"
)

// The second factors SecondFactors may list.
var secondFactorNames = []string{"totp", "phone_code", "backup_code"}

// orgRoleKey is the form of a role key.
var orgRoleKey = regexp.MustCompile(`^org:[a-z0-9_]{1,60}$`)

// MaxSessionClaimsBytes bounds the custom session claims: the token
// rides in the __session cookie, which browsers cap at about 4 KB.
const MaxSessionClaimsBytes = 1200

// Keys lists the settings in the order the dashboard shows them.
var Keys = []string{SignUpMode, RequiredIdentifiers, StrictEnumerationProtection, DeleteSelf, Organizations, OrganizationDomains,
	OrganizationCreate, OrganizationMaxMemberships, OrganizationCreatorRole, OrganizationAdminDelete, SecondFactors, ClientTrust, MFARequired,
	EmailLink, EmailLinkSameClient, Blocklist, BlockEmailSubaddresses, BlockDisposableEmailDomains, SessionClaims, WebhookAllowPrivate, ApplicationName, SupportEmail,
	SessionLifetime, SessionInactivity, SessionTokenTTL, AllowedOrigins, SMTPURL, SMSWebhookURL, SMSWebhookSecret, SMSFrom, TwilioAccountSID, TwilioAuthToken, TwilioFrom}

var defaults = map[string]string{
	SignUpMode: ModePublic, ApplicationName: "Concierge", RequiredIdentifiers: "email_address",
	SessionLifetime: "168h", SessionInactivity: "168h", SessionTokenTTL: "60s",
	AllowedOrigins: "", SMTPURL: "", SMSWebhookURL: "", SMSWebhookSecret: "", SMSFrom: "",
	TwilioAccountSID: "", TwilioAuthToken: "", TwilioFrom: "",
	StrictEnumerationProtection: "false", DeleteSelf: "true", SessionClaims: "", WebhookAllowPrivate: "false",
	Organizations: "false", OrganizationDomains: "false", OrganizationCreate: "true", OrganizationMaxMemberships: "0",
	OrganizationCreatorRole: "org:admin", OrganizationAdminDelete: "true",
	SecondFactors: "totp,phone_code,backup_code", ClientTrust: "true", MFARequired: "false",
	EmailLink: "false", EmailLinkSameClient: "false",
	Blocklist: "true", BlockEmailSubaddresses: "false", BlockDisposableEmailDomains: "false", SupportEmail: "",
}

// secretKeys hold credentials: never logged, never shown back in full.
var secretKeys = map[string]bool{SMTPURL: true, SMSWebhookURL: true, SMSWebhookSecret: true, TwilioAuthToken: true}

// Secret reports whether a setting holds a credential.
func Secret(key string) bool { return secretKeys[key] }

// Validate checks a setting's value.
func Validate(key, value string) error {
	switch key {
	case SignUpMode:
		if value != ModePublic && value != ModeRestricted && value != ModeInvitationOnly && value != ModeWaitlist {
			return errs.ParamValue(key, value)
		}
	case ApplicationName:
		if strings.TrimSpace(value) == "" || len(value) > 100 || strings.IndexFunc(value, unicode.IsControl) >= 0 {
			return errs.ParamFormat(key, "application_name must be 1 to 100 characters without control characters.")
		}
	case RequiredIdentifiers:
		if value != "email_address" && value != "phone_number" && value != "email_address,phone_number" {
			return errs.ParamFormat(key, "required_identifiers must be email_address, phone_number or email_address,phone_number.")
		}
	case SessionClaims:
		if len(value) > MaxSessionClaimsBytes {
			return errs.ParamFormat(key, fmt.Sprintf("session_claims must be at most %d bytes: session tokens ride in a cookie.", MaxSessionClaimsBytes))
		}
		if strings.TrimSpace(value) != "" {
			if _, err := jwttemplate.Parse(key, json.RawMessage(value)); err != nil {
				return err
			}
		}
	case OrganizationMaxMemberships:
		if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 1_000_000 {
			return errs.ParamFormat(key, "organization_max_memberships must be a whole number from 0 (no bound) to 1000000.")
		}
	case SecondFactors:
		if _, err := ParseSecondFactors(value); err != nil {
			return err
		}
	case OrganizationCreatorRole:
		if !orgRoleKey.MatchString(value) {
			return errs.ParamFormat(key, "organization_creator_role must be a role key, org:<name>.")
		}
	case StrictEnumerationProtection, DeleteSelf, WebhookAllowPrivate, Organizations, OrganizationDomains,
		OrganizationCreate, OrganizationAdminDelete, ClientTrust, MFARequired, EmailLink, EmailLinkSameClient,
		Blocklist, BlockEmailSubaddresses, BlockDisposableEmailDomains:
		if value != "true" && value != "false" {
			return errs.ParamFormat(key, key+" must be true or false.")
		}
	case SessionLifetime, SessionInactivity:
		if d, err := time.ParseDuration(value); err != nil || d < 5*time.Minute || d > 10*365*24*time.Hour {
			return errs.ParamFormat(key, key+" must be a duration between 5m and 87600h, such as 168h.")
		}
	case SessionTokenTTL:
		if d, err := time.ParseDuration(value); err != nil || d < 30*time.Second || d > 24*time.Hour {
			return errs.ParamFormat(key, "session_token_ttl must be a duration between 30s and 24h, such as 60s.")
		}
	case SupportEmail:
		if !validSupportEmail(value) {
			return errs.ParamFormat(key, "support_email must be an email address, or empty for none.")
		}
	case AllowedOrigins:
		if _, err := ParseOrigins(value); err != nil {
			return err
		}
	case SMTPURL:
		if value != "" {
			u, err := url.Parse(value)
			if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
				return errs.ParamFormat(key, "smtp_url must be smtp://[user:pass@]host[:port] or smtps://….")
			}
		}
	case SMSWebhookURL:
		if value != "" {
			u, err := url.Parse(value)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errs.ParamFormat(key, "sms_webhook_url must be an absolute http(s) URL.")
			}
		}
	case SMSWebhookSecret, SMSFrom, TwilioAccountSID, TwilioAuthToken, TwilioFrom:
		if len(value) > 500 || strings.IndexFunc(value, unicode.IsControl) >= 0 {
			return errs.ParamFormat(key, key+" must be one line of at most 500 characters.")
		}
	default:
		return errs.ParamUnknown(key, "")
	}
	return nil
}

// ParseOrigins reads a comma-separated list of origins.
func ParseOrigins(value string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(value, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, errs.ParamFormat(AllowedOrigins, o+" is not an origin such as https://app.example.com.")
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

// ParseSecondFactors reads a comma-separated list of second factors.
func ParseSecondFactors(value string) ([]string, error) {
	out := []string{}
	if strings.TrimSpace(value) == "none" {
		return out, nil
	}
	for _, f := range strings.Split(value, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !slices.Contains(secondFactorNames, f) {
			return nil, errs.ParamFormat(SecondFactors, "second_factors must list some of totp, phone_code and backup_code, comma-separated, or be none.")
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Live is the settings the running services read, parsed.
type Live struct {
	SignUpMode          string
	AppName             string
	RequiredIdentifiers []string
	SessionLifetime     time.Duration
	SessionInactivity   time.Duration
	SessionTokenTTL     time.Duration
	AllowedOrigins      []string
	SMTPURL             string
	SMSWebhookURL       string
	SMSWebhookSecret    string
	SMSFrom             string
	TwilioAccountSID    string
	TwilioAuthToken     string
	TwilioFrom          string
	// StrictEnumeration hides whether an account exists at sign-in.
	StrictEnumeration bool
	// DeleteSelf lets users delete their own account.
	DeleteSelf bool
	// WebhookAllowPrivate accepts private webhook endpoints.
	WebhookAllowPrivate bool
	// Organizations offers organizations in the Frontend API.
	Organizations bool
	// OrganizationDomains offers verified domains to organizations.
	OrganizationDomains bool
	// OrganizationCreate lets users create organizations.
	OrganizationCreate bool
	// OrganizationMaxMemberships, OrganizationCreatorRole and
	// OrganizationAdminDelete are what a new organization starts with.
	OrganizationMaxMemberships int
	OrganizationCreatorRole    string
	OrganizationAdminDelete    bool
	// SecondFactors are the second factors users may enrol.
	SecondFactors []string
	// ClientTrust checks password sign-ins from new clients.
	ClientTrust bool
	// MFARequired makes sessions of users without a second factor
	// pending.
	MFARequired bool
	// EmailLink offers email links; EmailLinkSameClient refuses one
	// opened on another client than the one that asked for it.
	EmailLink, EmailLinkSameClient bool
	// SessionClaims are merged into session tokens (nil: none).
	SessionClaims *jwttemplate.Claims
	// Restrictions are the sign-up restrictions besides the mode.
	Restrictions Restrictions
	// SupportEmail is shown to users who need help ("" for none).
	SupportEmail string
}

// SecondFactor reports whether users may enrol second factor f.
func (l Live) SecondFactor(f string) bool { return slices.Contains(l.SecondFactors, f) }

// Live returns the current settings, parsed once per refresh of the
// cache: it is read on hot paths (every token minted).
func (s *Service) Live(ctx context.Context) (Live, error) {
	all, err := s.all(ctx)
	if err != nil {
		return Live{}, err
	}
	s.mu.Lock()
	gen := s.gen
	if s.live != nil && s.liveGen == gen {
		l := *s.live
		s.mu.Unlock()
		return l, nil
	}
	s.mu.Unlock()
	get := func(k string) string {
		if v, ok := all[k]; ok {
			return v.Value
		}
		return defaults[k]
	}
	dur := func(k string) time.Duration {
		d, err := time.ParseDuration(get(k))
		if err != nil {
			d, _ = time.ParseDuration(defaults[k])
		}
		return d
	}
	origins, _ := ParseOrigins(get(AllowedOrigins))
	l := Live{SignUpMode: get(SignUpMode), AppName: get(ApplicationName),
		RequiredIdentifiers: strings.Split(get(RequiredIdentifiers), ","),
		SessionLifetime:     dur(SessionLifetime), SessionInactivity: dur(SessionInactivity), SessionTokenTTL: dur(SessionTokenTTL),
		AllowedOrigins: origins, SMTPURL: get(SMTPURL), SMSWebhookURL: get(SMSWebhookURL), SMSWebhookSecret: get(SMSWebhookSecret),
		SMSFrom: get(SMSFrom), TwilioAccountSID: get(TwilioAccountSID), TwilioAuthToken: get(TwilioAuthToken), TwilioFrom: get(TwilioFrom),
		StrictEnumeration: get(StrictEnumerationProtection) == "true", DeleteSelf: get(DeleteSelf) != "false",
		WebhookAllowPrivate: get(WebhookAllowPrivate) == "true", Organizations: get(Organizations) == "true",
		OrganizationDomains: get(OrganizationDomains) == "true", OrganizationCreate: get(OrganizationCreate) != "false",
		OrganizationCreatorRole: get(OrganizationCreatorRole), OrganizationAdminDelete: get(OrganizationAdminDelete) != "false"}
	l.OrganizationMaxMemberships, _ = strconv.Atoi(get(OrganizationMaxMemberships))
	l.SecondFactors, _ = ParseSecondFactors(get(SecondFactors))
	l.ClientTrust, l.MFARequired = get(ClientTrust) == "true", get(MFARequired) == "true"
	l.EmailLink, l.EmailLinkSameClient = get(EmailLink) == "true", get(EmailLinkSameClient) == "true"
	l.Restrictions = Restrictions{Blocklist: get(Blocklist) != "false", BlockEmailSubaddresses: get(BlockEmailSubaddresses) == "true",
		BlockDisposableEmailDomains: get(BlockDisposableEmailDomains) == "true"}
	l.SupportEmail = get(SupportEmail)
	if v := strings.TrimSpace(get(SessionClaims)); v != "" {
		l.SessionClaims, _ = jwttemplate.Parse(SessionClaims, json.RawMessage(v))
	}
	s.mu.Lock()
	s.live, s.liveGen = &l, gen
	s.mu.Unlock()
	return l, nil
}

// SMSSender is the sender given to SMS: Twilio's number when Twilio
// sends, else sms_from.
func (l Live) SMSSender() string {
	if l.TwilioAccountSID != "" && l.TwilioFrom != "" {
		return l.TwilioFrom
	}
	return l.SMSFrom
}
