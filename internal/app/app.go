// Package app wires Concierge's services, HTTP handler and outbox
// dispatcher on an open database, once, for the command and for the tests
// that run the whole server.
package app

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"github.com/conciergehq/concierge/internal/blocklist"
	"github.com/conciergehq/concierge/internal/domain"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/redirecturl"
	"github.com/conciergehq/concierge/internal/revcache"
	"github.com/conciergehq/concierge/internal/signintoken"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/bundles"
	"github.com/conciergehq/concierge/internal/config"
	"github.com/conciergehq/concierge/internal/dashboard"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/disposable"
	"github.com/conciergehq/concierge/internal/frontendapi"
	"github.com/conciergehq/concierge/internal/handshake"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/janitor"
	"github.com/conciergehq/concierge/internal/jwttemplate"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/operator"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/ratelimit"
	"github.com/conciergehq/concierge/internal/server"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/token"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/waitlist"
	"github.com/conciergehq/concierge/internal/webhook"
	"github.com/conciergehq/concierge/sdk"
)

// Options is what App is built from.
type Options struct {
	PublicURL string
	SecretKey string // accepted in addition to stored keys; may be empty
	// MetricsToken, if set, is what /metrics asks for (as a bearer token).
	MetricsToken string
	EmailDomain  string
	// Email and SMS, when set, replace the transports the settings
	// describe (tests use them).
	Email, SMS delivery.Transport
	// TwilioAPIURL is Twilio's base URL (tests point it elsewhere).
	TwilioAPIURL string
	// Settings are the environment's values of instance settings by key
	// ("" = not set); the fields below are shorthands for some of them.
	Settings map[string]string
	Log      *slog.Logger

	SMSFrom        string
	AllowedOrigins []string
	// Production makes this a production instance (pk_live_ keys,
	// __client_uat set by the Frontend API, handshake payload in a
	// cookie); else development.
	Production bool
	// CookieDomain is the applications' registrable domain, where
	// __client_uat and the handshake cookie go ("" = the public URL's).
	CookieDomain string
	// BundleDir holds Clerk's browser bundles served at /npm/… ("" =
	// none installed).
	BundleDir string
	// DisposableDomainsFile changes the shipped disposable-mail domain
	// list ("" = the shipped list as it is).
	DisposableDomainsFile string
	// Session policy; zero values take Clerk's defaults.
	TokenTTL, SessionLifetime, SessionInactivity time.Duration
	// AuditRetention is how long the janitor keeps audit events (0: for
	// ever; the configuration's default is a year).
	AuditRetention time.Duration
	// UserCache bounds the bytes of rendered users the Backend API keeps
	// (0: DefaultUserCache; negative: none kept).
	UserCache int64
}

// DefaultUserCache is the configuration's default for Options.UserCache:
// 32 MiB holds about 19,000 users of one email address each.
const DefaultUserCache = 32 << 20

// App is a wired Concierge.
type App struct {
	Handler    http.Handler
	Dispatcher *delivery.Dispatcher
	Settings   *instance.Service
	API        *backendapi.API
	Frontend   *frontendapi.API
	Keys       *token.Keyring
	OAuth      *oauth.Service
	// Webhooks delivers webhook events; run it like Dispatcher.
	Webhooks  *webhook.Dispatcher
	Dashboard *dashboard.Dashboard
	Operators *operator.Service
	// Janitor purges what has outlived its use; run it like Dispatcher.
	Janitor *janitor.Janitor
}

// envSettings merges the shorthand fields into the settings map.
func (o Options) envSettings() map[string]string {
	env := map[string]string{}
	for k, v := range o.Settings {
		env[k] = v
	}
	set := func(k, v string) {
		if v != "" && env[k] == "" {
			env[k] = v
		}
	}
	set(instance.SMSFrom, o.SMSFrom)
	set(instance.AllowedOrigins, strings.Join(o.AllowedOrigins, ","))
	for k, d := range map[string]time.Duration{instance.SessionTokenTTL: o.TokenTTL,
		instance.SessionLifetime: o.SessionLifetime, instance.SessionInactivity: o.SessionInactivity} {
		if d != 0 {
			set(k, d.String())
		}
	}
	return env
}

// New wires an App on db.
func New(ctx context.Context, db *sqlstore.DB, o Options) (*App, error) {
	settings := instance.NewService(db)
	if err := settings.Init(ctx, o.envSettings(), o.Log); err != nil {
		return nil, fmt.Errorf("instance settings: %w", err)
	}
	ticketKey, err := settings.Secret(ctx, "invitation_ticket")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	tr := &transports{settings: settings, emailDomain: o.EmailDomain, twilioURL: o.TwilioAPIURL,
		outbox: &delivery.DevOutbox{Log: o.Log}, log: o.Log}
	var email, sms delivery.Transport = &delivery.Switch{Current: tr.email}, &delivery.Switch{Current: tr.sms}
	if o.Email != nil {
		email = o.Email
	}
	if o.SMS != nil {
		sms = o.SMS
	}
	disp := delivery.NewDispatcher(db, email, sms, o.Log)
	smsFrom := func(ctx context.Context) string {
		live, _ := settings.Live(ctx)
		return live.SMSSender()
	}

	invitations := &invitation.Service{Store: db, Key: ticketKey, PublicURL: o.PublicURL,
		EmailDomain: o.EmailDomain, SMSFrom: smsFrom, AppName: settings.AppName, Wake: disp.Wake, Now: time.Now}
	waiting := &waitlist.Service{Store: db, Invitations: invitations, EmailDomain: o.EmailDomain,
		AppName: settings.AppName, Wake: disp.Wake, Now: time.Now}
	list := allowlist.NewService(db, invitations)
	list.Wake = disp.Wake

	keys, err := token.Open(ctx, db, time.Now)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	testingKey, err := settings.Secret(ctx, "testing_token")
	if err != nil {
		return nil, err
	}
	clientKey, err := settings.Secret(ctx, "client_token")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	codeKey, err := settings.Secret(ctx, "verification_code")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	oauthKey, err := settings.Secret(ctx, "oauth")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	social := &oauth.Service{Store: db, Flow: oauth.NewFlow(), Key: oauthKey, CallbackURL: o.PublicURL + "/v1/oauth_callback", Now: time.Now}
	templateKey, err := settings.Secret(ctx, "jwt_templates")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	templates := &jwttemplate.Service{Store: db, Key: templateKey, Now: time.Now}
	webhookKey, err := settings.Secret(ctx, "webhooks")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	instanceID, err := settings.Secret(ctx, "instance_id")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	hooks := &webhook.Service{Store: db, Key: webhookKey, InstanceID: "ins_" + hex.EncodeToString(instanceID)[:27], Now: time.Now,
		AllowPrivate: func(ctx context.Context) bool {
			live, _ := settings.Live(ctx)
			return live.WebhookAllowPrivate
		}}
	hookDispatcher := webhook.NewDispatcher(hooks, o.Log)
	hooks.Wake = hookDispatcher.Wake
	// The organization roles, seeded with Clerk's defaults at start; kept
	// for a short while so other processes' changes are seen soon.
	roles := &organization.Catalog{Store: db, TTL: 2 * time.Second, Now: time.Now}
	if _, err := roles.Set(ctx); err != nil {
		return nil, fmt.Errorf("organization roles: %w", err)
	}
	db.Events = sqlstore.Events{Wake: hookDispatcher.Wake, Render: EventRenderer(o.PublicURL, hooks.InstanceID, roles)}
	// TOTP secrets are sealed with the key concierge import and export
	// use, and the dashboard's import and export too.
	mfaKey, err := settings.Secret(ctx, "mfa")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	disposables, err := disposableList(o.DisposableDomainsFile)
	if err != nil {
		return nil, err
	}
	users := user.NewService(db)
	users.Identifiers, users.Images, users.PublicURL = db, db, o.PublicURL
	users.MFAKey = mfaKey
	sessions := &session.Service{Store: db, Users: db, UserRules: users, Keys: keys, Invitations: invitations,
		Lists: db, Disposable: disposables, Live: settings.Live, ClientKey: clientKey, CodeKey: codeKey,
		Config: session.Config{Issuer: o.PublicURL, EmailDomain: o.EmailDomain},
		OAuth:  social, External: db, Templates: templates, Orgs: db, Wake: disp.Wake, Now: time.Now}
	fapi := frontendapi.New()
	fapi.Sessions, fapi.UserRules, fapi.Settings, fapi.Invitations, fapi.Profile = sessions, users, settings, invitations, db
	fapi.Waitlist = waiting
	fapi.PublicURL = o.PublicURL
	orgs := &organization.Service{Store: db, Users: db, Roles: roles, Images: db, Key: ticketKey, CodeKey: codeKey, PublicURL: o.PublicURL, EmailDomain: o.EmailDomain,
		AppName: settings.AppName, Wake: disp.Wake, Now: time.Now,
		Defaults: func(ctx context.Context) (organization.Defaults, error) {
			live, err := settings.Live(ctx)
			return organization.Defaults{MaxMemberships: live.OrganizationMaxMemberships, CreatorRole: live.OrganizationCreatorRole,
				AdminDelete: live.OrganizationAdminDelete}, err
		}}
	sessions.OrgInvitations = orgs
	tickets := &signintoken.Service{Store: db, Users: db, Key: ticketKey, PublicURL: o.PublicURL, Now: time.Now}
	sessions.Tickets = tickets
	// Links keep the sessions' time (a test's clock replaces it).
	sessions.EmailLinks = &emaillink.Service{Store: db, BaseURL: o.PublicURL, Now: func() time.Time { return sessions.Now() }}
	fapi.Organizations = orgs
	passkeys := &passkey.Service{Store: db, Now: time.Now, RP: func(ctx context.Context) (passkey.RP, error) {
		live, err := settings.Live(ctx)
		return relyingParty(o, live), err
	}}
	sessions.Passkeys, fapi.Passkeys, fapi.PasskeyCeremonies = passkeys, passkeys, db
	fapi.TestingKey = testingKey
	fapi.Production, fapi.CookieDomain, fapi.PublishableKey = o.Production, cookieDomain(o), sdk.PublishableKeyFor(o.PublicURL, o.Production)
	nonces := &handshake.Nonces{Store: db, Now: time.Now}
	fapi.Nonces, fapi.OAuth = nonces, social
	fapi.Origins = func(ctx context.Context) []string {
		live, _ := settings.Live(ctx)
		return live.AllowedOrigins
	}

	blocked := &blocklist.Service{Store: db, Now: time.Now}
	// Redirect checks run on every sign-in: they read the registered
	// URLs from memory, cleared on each change here and refreshed after
	// a few seconds for changes made by another process.
	redirects := &redirecturl.Service{Store: db, Now: time.Now, TTL: 5 * time.Second}
	fapi.RedirectURLs = redirects
	// Proxy checks call an address the caller chose: the webhook
	// endpoints' rule and client (no private addresses unless the
	// instance allows them, a time-out).
	allowPrivate := func(ctx context.Context) bool {
		live, _ := settings.Live(ctx)
		return live.WebhookAllowPrivate
	}
	domains := &domain.Service{PublicURL: o.PublicURL, Client: webhook.SafeClient(10*time.Second, allowPrivate), Now: time.Now,
		CheckURL: func(ctx context.Context, raw string) error { return webhook.CheckURL(ctx, raw, allowPrivate(ctx)) }}
	api := &backendapi.API{
		Sessions:      sessions,
		Users:         users,
		Organizations: orgs,
		Allowlist:     list,
		Blocklist:     blocked,
		RedirectURLs:  redirects,
		Domains:       domains,
		Invitations:   invitations,
		Waitlist:      waiting,
		Messages: &delivery.Service{Queue: db, EmailDomain: o.EmailDomain, SMSFrom: smsFrom,
			Wake: disp.Wake, Now: time.Now},
		Keys:       apikey.NewKeyring(db, o.SecretKey),
		PublicURL:  o.PublicURL,
		Nonces:     nonces,
		Tickets:    tickets,
		Production: o.Production,
		TestingKey: testingKey,
		Profile:    db,
		Templates:  templates,
		Webhooks:   hooks,
		SignUpJSON: frontendapi.SignUpJSON,
		Settings:   settings,
		UserJSON:   revcache.New(cmp.Or(o.UserCache, DefaultUserCache)),
	}
	operators := &operator.Service{Store: db, Now: time.Now}
	dash := &dashboard.Dashboard{Tickets: tickets, Log: o.Log, Blocklist: blocked, Waitlist: waiting, RedirectURLs: redirects, Store: db, Operators: operators, Users: users, Sessions: sessions, Invitations: invitations,
		Allowlist: list, Settings: settings, Keys: api.Keys, Wake: disp.Wake, PublicURL: o.PublicURL, PublishableKey: fapi.PublishableKey, OAuth: social, Webhooks: hooks, EmailDomain: o.EmailDomain,
		SignInLimit: ratelimit.New(5, 10*time.Second), Now: time.Now, Transfer: db, MFAKey: mfaKey, Organizations: orgs,
		Audit: db}
	// What another process changes (or this one: the same path), every
	// cache here forgets at once; the caches' lifetimes remain the
	// fallback should a notification be missed.
	db.OnChange(o.Log, func(topic string) {
		all := topic == sqlstore.ChangedAll
		if all || topic == sqlstore.ChangedSettings {
			settings.Forget()
		}
		if all || topic == sqlstore.ChangedSecretKeys {
			api.Keys.Forget()
		}
		if all || topic == sqlstore.ChangedRedirectURLs {
			redirects.Invalidate()
		}
		if all || topic == sqlstore.ChangedSigningKeys {
			// A reload reads the database: not on the notifying goroutine.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := keys.Refresh(ctx); err != nil {
					o.Log.Error("reloading signing keys failed", "err", err)
				}
			}()
		}
	})
	// On PostgreSQL several processes may serve one instance: their
	// per-address limits count together in the database. SQLite has one
	// process, which counts in memory.
	limits := map[string]*ratelimit.Limiter{"fapi_sign_in": fapi.SignInLimit, "fapi_sign_up": fapi.SignUpLimit,
		"fapi_attempt": fapi.AttemptLimit, "dashboard_sign_in": dash.SignInLimit}
	if db.Engine() == sqlstore.Postgres {
		for name, l := range limits {
			l.Name, l.Shared = name, db
		}
	}
	mets := newMetrics(db, disp, limits, api.UserJSON, time.Now)
	policy := janitor.DefaultPolicy
	policy.Audit = o.AuditRetention
	return &App{
		Handler: server.Handler(server.Config{Backend: api, Frontend: fapi, Pages: fapi.Pages(), Dashboard: dash.Handler(),
			Bundles: &bundles.Server{Dir: o.BundleDir, Log: o.Log}, DB: db, Images: db, Log: o.Log,
			Metrics: mets, MetricsToken: o.MetricsToken}),
		Dashboard:  dash,
		Operators:  operators,
		Dispatcher: disp,
		Janitor: &janitor.Janitor{Store: db, Policy: policy, Interval: time.Hour, Holder: id.Random(16), Log: o.Log,
			// The sessions' clock, which tests move.
			Now: func() time.Time { return sessions.Now() }},
		Settings: settings,
		API:      api,
		Frontend: fapi,
		Keys:     keys,
		OAuth:    social,
		Webhooks: hookDispatcher,
	}, nil
}

// relyingParty is the WebAuthn relying party: the applications'
// registrable domain (a production instance's cookie domain; in
// development, that of the first allowed origin, localhost say) and the
// allowed origins and the public URL as the ceremonies' origins.
func relyingParty(o Options, live instance.Live) passkey.RP {
	// The hosted pages (on the public URL) sign in with passkeys too.
	origins := append(append([]string{}, live.AllowedOrigins...), strings.TrimRight(o.PublicURL, "/"))
	rp := passkey.RP{ID: cookieDomain(o), Name: live.AppName, Origins: origins}
	if !o.Production && len(live.AllowedOrigins) > 0 {
		if u, err := url.Parse(live.AllowedOrigins[0]); err == nil {
			rp.ID = registrable(u.Hostname())
		}
	}
	return rp
}

// cookieDomain is where the applications' cookies go: the configured
// domain, else the registrable domain (eTLD+1) of the public URL's host,
// which an application at app.example.com shares with Concierge at
// clerk.example.com. An IP address or a single label stays as it is.
func cookieDomain(o Options) string {
	if o.CookieDomain != "" {
		return o.CookieDomain
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil {
		return ""
	}
	return registrable(u.Hostname())
}

// registrable is a host's registrable domain (eTLD+1); an IP address or
// a single label stays as it is.
func registrable(host string) string {
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// disposableList is the shipped disposable-mail domain list, changed by
// the operator's file when there is one.
func disposableList(path string) (*disposable.List, error) {
	if path == "" {
		return disposable.Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("CONCIERGE_DISPOSABLE_DOMAINS_FILE: %w", err)
	}
	defer f.Close()
	l, err := disposable.Load(f)
	if err != nil {
		return nil, fmt.Errorf("CONCIERGE_DISPOSABLE_DOMAINS_FILE %s: %w", path, err)
	}
	return l, nil
}

// OptionsFrom maps the configuration to Options: the environment's values
// become the initial instance settings.
func OptionsFrom(cfg config.Config, log *slog.Logger) (Options, error) {
	env := map[string]string{
		instance.SignUpMode: cfg.SignUpMode, instance.ApplicationName: cfg.AppName,
		instance.SMTPURL: cfg.SMTPURL, instance.SMSWebhookURL: cfg.SMSWebhookURL,
		instance.SMSWebhookSecret: cfg.SMSWebhookSecret, instance.SMSFrom: cfg.SMSFrom,
		instance.TwilioAccountSID: cfg.TwilioAccountSID, instance.TwilioAuthToken: cfg.TwilioAuthToken,
		instance.TwilioFrom: cfg.TwilioFrom, instance.AllowedOrigins: strings.Join(cfg.AllowedOrigins, ","),
		instance.StrictEnumerationProtection: cfg.StrictEnumerationProtection, instance.DeleteSelf: cfg.DeleteSelf,
		instance.Organizations: cfg.Organizations, instance.OrganizationDomains: cfg.OrganizationDomains,
		instance.OrganizationCreate: cfg.OrganizationCreate, instance.OrganizationAdminDelete: cfg.OrganizationAdminDelete,
		instance.OrganizationMaxMemberships: cfg.OrganizationMaxMemberships, instance.OrganizationCreatorRole: cfg.OrganizationCreatorRole,
		instance.SecondFactors: cfg.SecondFactors, instance.ClientTrust: cfg.ClientTrust,
		instance.MFARequired: cfg.MFARequired, instance.Blocklist: cfg.Blocklist,
		instance.EmailLink: cfg.EmailLink, instance.EmailLinkSameClient: cfg.EmailLinkSameClient,
		instance.BlockEmailSubaddresses: cfg.BlockEmailSubaddresses, instance.BlockDisposableEmailDomains: cfg.BlockDisposableEmailDomains,
		instance.SupportEmail: cfg.SupportEmail,
	}
	for k, d := range map[string]time.Duration{instance.SessionTokenTTL: cfg.SessionTokenTTL,
		instance.SessionLifetime: cfg.SessionLifetime, instance.SessionInactivity: cfg.SessionInactivity} {
		if d != 0 {
			env[k] = d.String()
		}
	}
	if cfg.SMTPURL != "" {
		if _, err := delivery.ParseSMTPURL(cfg.SMTPURL, cfg.EmailDomain); err != nil {
			return Options{}, fmt.Errorf("CONCIERGE_SMTP_URL: %v", err)
		}
	}
	return Options{PublicURL: cfg.PublicURL, SecretKey: cfg.SecretKey, EmailDomain: cfg.EmailDomain,
		TwilioAPIURL: cfg.TwilioAPIURL, Settings: env, Log: log, Production: cfg.Production,
		CookieDomain: cfg.CookieDomain, BundleDir: cfg.BundleDir, DisposableDomainsFile: cfg.DisposableDomainsFile,
		MetricsToken: cfg.MetricsToken, AuditRetention: cfg.AuditRetention, UserCache: config.Option(cfg.UserCache)}, nil
}

// EventRenderer renders webhook event payloads the way the Backend API
// renders its objects; the server and the import command (whose imported
// users may raise user.created) both use it.
func EventRenderer(publicURL, instanceID string, roles *organization.Catalog) func(typ string, obj any) ([]byte, error) {
	return func(typ string, obj any) ([]byte, error) {
		now := time.Now()
		// Rendered inside the change's transaction: the roles as last
		// read, never a read (or the seeding write) of its own.
		set := roles.Cached()
		var data any
		switch v := obj.(type) {
		case *user.User:
			data = backendapi.UserObject(publicURL, v, now.UnixMilli(), true)
		case *session.Session:
			data = backendapi.SessionObject(v, now.UnixMilli())
		case *delivery.Message:
			data = backendapi.MessageObject(v)
		case *invitation.Invitation:
			data = backendapi.InvitationObject(v, now.UnixMilli())
		case *organization.Organization:
			data = backendapi.OrganizationObject(publicURL, v, true)
			if typ == webhook.OrganizationDeleted {
				data = map[string]any{"object": "organization", "id": v.ID, "deleted": true}
			}
		case *organization.MembershipEvent:
			data = backendapi.MembershipObject(publicURL, set, v.Membership, v.Organization, v.User)
		case *organization.Domain:
			data = backendapi.DomainObject(v)
			if typ == webhook.OrgDomainDeleted {
				data = map[string]any{"object": "organization_domain", "id": v.ID, "deleted": true}
			}
		case *organization.Role:
			data = backendapi.RoleObject(set, v)
			if typ == webhook.RoleDeleted {
				data = map[string]any{"object": "role", "id": v.ID, "deleted": true}
			}
		case *organization.Permission:
			data = backendapi.PermissionObject(*v)
			if typ == webhook.PermissionDeleted {
				data = map[string]any{"object": "permission", "id": v.ID, "deleted": true}
			}
		case *organization.Invitation:
			data = backendapi.OrgInvitationObject(set, v, nil, publicURL, "", now.UnixMilli())
		default:
			return nil, fmt.Errorf("webhook event %s: no rendering for %T", typ, obj)
		}
		if typ == webhook.UserDeleted {
			data = map[string]any{"object": "user", "id": obj.(*user.User).ID, "deleted": true}
		}
		return webhook.NewPayload(typ, instanceID, data, now)
	}
}
