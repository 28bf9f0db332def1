// Package config reads Concierge's configuration: defaults, then CONCIERGE_*
// environment variables, then command-line flags; secrets may also come
// from a file named by the variable with a _FILE suffix. It is validated
// once, at start.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Config is the whole configuration.
type Config struct {
	Addr     string
	Database string
	// SQLiteSynchronous ("full" or "normal") and SQLiteCache (bytes, all
	// connections together) tune the SQLite engine.
	SQLiteSynchronous string
	SQLiteCache       int64
	// SQLiteMmap is how much of the file SQLite's readers map (bytes; 0:
	// none).
	SQLiteMmap int64
	// UserCache bounds the rendered users the Backend API keeps (bytes;
	// 0: none).
	UserCache int64
	SecretKey string
	// MetricsToken, if set, is the bearer token /metrics asks for.
	MetricsToken string
	// AuditRetention is how long audit events are kept (0: for ever).
	AuditRetention  time.Duration
	PublicURL       string
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration

	// Instance settings: initial values for what the dashboard edits.
	SignUpMode string // "" = not set (public)
	AppName    string // "" = not set (Concierge)
	// StrictEnumerationProtection and DeleteSelf are "true", "false" or
	// "" (not set: false and true).
	StrictEnumerationProtection string
	DeleteSelf                  string
	// Organizations is "true", "false" or "" (the instance setting's).
	Organizations string
	// OrganizationDomains, OrganizationCreate and OrganizationAdminDelete
	// likewise; OrganizationMaxMemberships and OrganizationCreatorRole are
	// a number and a role key, or "".
	OrganizationDomains        string
	OrganizationCreate         string
	OrganizationAdminDelete    string
	OrganizationMaxMemberships string
	OrganizationCreatorRole    string
	// SecondFactors lists the second factors users may enrol
	// (totp,phone_code,backup_code), "none", or "" (the setting's).
	SecondFactors string
	// ClientTrust and MFARequired are "true", "false" or "" (the
	// settings').
	ClientTrust, MFARequired string
	// EmailLink and EmailLinkSameClient are "true", "false" or "" (the
	// instance setting's: off).
	EmailLink, EmailLinkSameClient string
	// Blocklist, BlockEmailSubaddresses and BlockDisposableEmailDomains
	// are the sign-up restrictions: "true", "false" or "" (the
	// settings'). SupportEmail is an address or "".
	Blocklist, BlockEmailSubaddresses, BlockDisposableEmailDomains string
	SupportEmail                                                   string
	// DisposableDomainsFile extends (or, with !domain lines, trims) the
	// shipped list of disposable-mail domains.
	DisposableDomainsFile string

	// Delivery.
	SMTPURL          string
	EmailDomain      string
	SMSWebhookURL    string
	SMSWebhookSecret string
	SMSFrom          string
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFrom       string
	TwilioAPIURL     string

	// Production makes a production instance (CONCIERGE_INSTANCE_TYPE):
	// live keys, __client_uat from the Frontend API, handshake cookies.
	Production bool
	// CookieDomain is the applications' registrable domain ("" = that of
	// the public URL).
	CookieDomain string
	// BundleDir holds Clerk's browser bundles served at /npm/….
	BundleDir string
	// TLSCert and TLSKey, when set, make Concierge serve HTTPS itself.
	TLSCert, TLSKey string

	// Sessions and the Frontend API.
	AllowedOrigins    []string
	SessionTokenTTL   time.Duration
	SessionLifetime   time.Duration
	SessionInactivity time.Duration
}

// setting describes one option: its flag, its variable and its help text.
type setting struct {
	flag, env, def, help string
	secret               bool
}

var settings = []setting{
	{"addr", "CONCIERGE_ADDR", "127.0.0.1:8080", "address to listen on (host:port)", false},
	{"database", "CONCIERGE_DATABASE", "concierge.db", "SQLite file path, or a postgres:// URL for PostgreSQL", false},
	{"sqlite-synchronous", "CONCIERGE_SQLITE_SYNCHRONOUS", "full", "SQLite: full (a commit is on disk before it is answered: survives power loss) or normal (survives a crash of the process; the last commits may be lost with power)", false},
	{"sqlite-cache", "CONCIERGE_SQLITE_CACHE", "32MiB", "SQLite: page cache of all connections together (e.g. 16MiB, 1GiB)", false},
	{"sqlite-mmap", "CONCIERGE_SQLITE_MMAP", "1GiB", "SQLite: how much of the database file readers map into memory instead of reading page by page (faster reads of a large file; the mapped pages are the OS's page cache, counted in RSS as touched); 0 maps none", false},
	{"user-cache", "CONCIERGE_USER_CACHE", "32MiB", "rendered users the Backend API keeps for reads, each checked against the user's revision in the database on every read (never stale, with any number of processes); 0 keeps none", false},
	{"secret-key", "CONCIERGE_SECRET_KEY", "", "a secret key (sk_test_… or sk_live_…) the Backend API accepts in addition to stored keys; also CONCIERGE_SECRET_KEY_FILE", true},
	{"public-url", "CONCIERGE_PUBLIC_URL", "", "external base URL of this server (default http://<addr>)", false},
	{"log-level", "CONCIERGE_LOG_LEVEL", "info", "debug, info, warn or error", false},
	{"log-format", "CONCIERGE_LOG_FORMAT", "text", "text or json", false},
	{"shutdown-timeout", "CONCIERGE_SHUTDOWN_TIMEOUT", "15s", "how long SIGTERM waits for in-flight requests", false},
	{"audit-retention", "CONCIERGE_AUDIT_RETENTION", "365d", "how long the audit log keeps an event before the janitor purges it: days (365d) or a duration (720h); 0 keeps events for ever", false},
	{"metrics-token", "CONCIERGE_METRICS_TOKEN", "", "if set, /metrics (Prometheus) answers only requests with Authorization: Bearer <token>; also CONCIERGE_METRICS_TOKEN_FILE", true},
	{"sign-up-mode", "CONCIERGE_SIGN_UP_MODE", "", "who may sign up: public (the default), restricted (allowlisted or invited), invitation_only or waitlist (invited; others join the waitlist); the initial value of an instance setting the dashboard can change", false},
	{"app-name", "CONCIERGE_APP_NAME", "", "application name shown in emails and pages (default Concierge); an instance setting like sign-up-mode", false},
	{"strict-enumeration-protection", "CONCIERGE_STRICT_ENUMERATION_PROTECTION", "", "true: a sign-in for an identifier with no account continues to the password or code step, so that it cannot tell which accounts exist; false (the default, as Clerk's): it is answered form_identifier_not_found. An instance setting like sign-up-mode", false},
	{"organizations", "CONCIERGE_ORGANIZATIONS", "", "true: the Frontend API offers organizations (create, switch, manage members; Clerk's organization components); false (the default, as Clerk's): it refuses them, while the Backend API serves them either way. An instance setting like sign-up-mode", false},
	{"organization-domains", "CONCIERGE_ORGANIZATION_DOMAINS", "", "true: organization admins may add and verify email domains that invite or suggest the organization to users with addresses there; false (the default, as Clerk's): they may not, while the Backend API manages domains either way. An instance setting like sign-up-mode", false},
	{"organization-create", "CONCIERGE_ORGANIZATION_CREATE", "", "true (the default): users may create organizations from the Frontend API (each user's create_organization_enabled and create_organizations_limit apply too); false: only the Backend API and the dashboard create them. An instance setting like sign-up-mode", false},
	{"organization-max-memberships", "CONCIERGE_ORGANIZATION_MAX_MEMBERSHIPS", "", "a new organization's max_allowed_memberships: 0 (the default) is no bound. An instance setting like sign-up-mode", false},
	{"organization-creator-role", "CONCIERGE_ORGANIZATION_CREATOR_ROLE", "", "the role an organization's creator gets (default org:admin); a role without org:sys_memberships:manage falls back to org:admin. An instance setting like sign-up-mode", false},
	{"organization-admin-delete", "CONCIERGE_ORGANIZATION_ADMIN_DELETE", "", "true (the default): a new organization's admins may delete it (its admin_delete_enabled); false: they may not. An instance setting like sign-up-mode", false},
	{"second-factors", "CONCIERGE_SECOND_FACTORS", "", "the second factors users may enrol in their profile, comma-separated: totp, phone_code, backup_code (all, the default), or none. A second factor a user has (enrolled or imported) is asked for at sign-in either way. An instance setting like sign-up-mode", false},
	{"client-trust", "CONCIERGE_CLIENT_TRUST", "", "true (the default for a new instance): a user without a second factor signing in with a password on a browser never used for them gets a code by email (or SMS) to confirm it; false: not asked (an instance from before this setting keeps false). An instance setting like sign-up-mode", false},
	{"mfa-required", "CONCIERGE_MFA_REQUIRED", "", "true: every user must have a second factor; a user without one signs in to a pending session (Clerk's setup-mfa task, which clerk-js's SignIn shows) until they add one; false (the default): optional. An instance setting like sign-up-mode", false},
	{"email-link", "CONCIERGE_EMAIL_LINK", "", "true: users may sign in, sign up and verify an added address with a link by email (Clerk's email_link strategy) as well as a code; false (the default): codes only. An instance setting like sign-up-mode", false},
	{"email-link-require-same-client", "CONCIERGE_EMAIL_LINK_REQUIRE_SAME_CLIENT", "", "true: an email link opened in another browser than the one that asked for it is refused (client_mismatch); false (the default, as Clerk's): it completes the sign-in in the asking browser. An instance setting like sign-up-mode", false},
	{"blocklist", "CONCIERGE_BLOCKLIST", "", "true (the default): identifiers on the blocklist cannot sign up or sign in; false: the blocklist is kept but not applied (Clerk's Blocklist restriction). An instance setting like sign-up-mode", false},
	{"block-email-subaddresses", "CONCIERGE_BLOCK_EMAIL_SUBADDRESSES", "", "true: sign-ups with an email address whose local part holds +, = or # are refused; false (the default): allowed. An instance setting like sign-up-mode", false},
	{"block-disposable-email-domains", "CONCIERGE_BLOCK_DISPOSABLE_EMAIL_DOMAINS", "", "true: sign-ups from disposable-mail domains (a shipped list, see -disposable-domains-file) are refused; false (the default): allowed. An instance setting like sign-up-mode", false},
	{"disposable-domains-file", "CONCIERGE_DISPOSABLE_DOMAINS_FILE", "", "file of disposable-mail domains, one a line (# comments), added to the shipped list; a line !domain takes a shipped domain off", false},
	{"support-email", "CONCIERGE_SUPPORT_EMAIL", "", "contact address clerk-js shows users who need help (the environment's display_config.support_email); unset: none. An instance setting like sign-up-mode", false},
	{"delete-self", "CONCIERGE_DELETE_SELF", "", "true (the default, as Clerk's): users may delete their own account (DELETE /v1/me); false: refused. An instance setting like sign-up-mode", false},
	{"smtp-url", "CONCIERGE_SMTP_URL", "", "SMTP relay for email: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465; optional ?auth=<mechanism>, ?tls=required. Unset: emails go to the development outbox (the log); also CONCIERGE_SMTP_URL_FILE", true},
	{"email-domain", "CONCIERGE_EMAIL_DOMAIN", "", "domain emails are sent from, as <from_email_name>@<domain> (default: the public URL's host)", false},
	{"sms-webhook-url", "CONCIERGE_SMS_WEBHOOK_URL", "", "SMS gateway: each SMS is POSTed there as JSON {id, to, from, message}; also CONCIERGE_SMS_WEBHOOK_URL_FILE", true},
	{"sms-webhook-secret", "CONCIERGE_SMS_WEBHOOK_SECRET", "", "if set, webhook requests carry Concierge-Signature: t=<unix>,v1=<hex HMAC-SHA256 of \"t.body\">; also CONCIERGE_SMS_WEBHOOK_SECRET_FILE", true},
	{"sms-from", "CONCIERGE_SMS_FROM", "", "sender phone number or name of SMS sent through the webhook", false},
	{"twilio-account-sid", "CONCIERGE_TWILIO_ACCOUNT_SID", "", "send SMS through Twilio's Messages API with this account (with the two below)", false},
	{"twilio-auth-token", "CONCIERGE_TWILIO_AUTH_TOKEN", "", "Twilio auth token; also CONCIERGE_TWILIO_AUTH_TOKEN_FILE", true},
	{"twilio-from", "CONCIERGE_TWILIO_FROM", "", "Twilio sender number (E.164) or messaging service SID", false},
	{"twilio-api-url", "CONCIERGE_TWILIO_API_URL", "https://api.twilio.com", "Twilio API base URL (tests point it at a local server)", false},
	{"instance-type", "CONCIERGE_INSTANCE_TYPE", "development", "development or production: production instances use pk_live_/sk_live_ keys, set __client_uat on the applications' domain and hand server-rendered apps their handshake in a cookie (serve them over https); development ones use pk_test_/sk_test_ keys and the development browser", false},
	{"cookie-domain", "CONCIERGE_COOKIE_DOMAIN", "", "registrable domain your applications and Concierge share, where production cookies (__client_uat, the handshake) are set (default: that of the public URL's host, e.g. example.com for https://clerk.example.com)", false},
	{"bundle-dir", "CONCIERGE_BUNDLE_DIR", "", "folder of Clerk's browser bundles served at /npm/@clerk/clerk-js@…, installed by 'concierge bundles install' (default: clerk-bundles beside the SQLite file, or in the working directory)", false},
	{"tls-cert", "CONCIERGE_TLS_CERT", "", "PEM certificate (chain) file: serve HTTPS on -addr with it and -tls-key (else plain HTTP, e.g. behind a TLS-terminating proxy)", false},
	{"tls-key", "CONCIERGE_TLS_KEY", "", "PEM private key file for -tls-cert", false},
	{"allowed-origins", "CONCIERGE_ALLOWED_ORIGINS", "", "comma-separated origins of your applications (https://app.example.com): they may call the Frontend API from a browser, and redirect_url may lead back to them", false},
	{"session-token-ttl", "CONCIERGE_SESSION_TOKEN_TTL", "60s", "lifetime of a session token (JWT)", false},
	{"session-lifetime", "CONCIERGE_SESSION_LIFETIME", "168h", "how long a session lasts after sign-in (expire_at)", false},
	{"session-inactivity", "CONCIERGE_SESSION_INACTIVITY", "168h", "a session not touched for this long is abandoned (abandon_at)", false},
}

// InstanceType names the instance's type.
func (c Config) InstanceType() string {
	if c.Production {
		return "production"
	}
	return "development"
}

// ErrHelp is returned when --help was asked for; the usage was printed.
var ErrHelp = flag.ErrHelp

// Usage writes the help text listing every flag and variable.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: concierge [flags]")
	fmt.Fprintln(w, "\nConcierge is a self-hosted user-management and authentication server")
	fmt.Fprintln(w, "that speaks Clerk's Backend API.")
	fmt.Fprintln(w, "\nSubcommands: concierge keys list|rotate|retire <kid> manages the session-token signing keys;")
	fmt.Fprintln(w, "concierge operators create -email <address> makes a dashboard operator (password from")
	fmt.Fprintln(w, "CONCIERGE_OPERATOR_PASSWORD or standard input). The dashboard is at <public URL>/dashboard.")
	fmt.Fprintln(w, "concierge bundles install fetches Clerk's browser bundles (with npm) into -bundle-dir;")
	fmt.Fprintln(w, "concierge import [FILE ...] [-from-api URL -key sk_…] imports users (Clerk's CSV, JSON Lines,")
	fmt.Fprintln(w, "Supabase, Auth0, a Backend API) and concierge export writes them all out (see their -help).")
	fmt.Fprintln(w, "\nEach setting is read from its flag, else its environment variable, else the default:")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "\n  -%s, %s\n      %s\n      default: %s\n", s.flag, s.env, s.help, def)
	}
}

// Load builds the configuration from args (without the program name) and
// the environment.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	vals := map[string]*string{}
	fs := flag.NewFlagSet("concierge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, s := range settings {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		} else if s.secret {
			if file := getenv(s.env + "_FILE"); file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return Config{}, fmt.Errorf("%s_FILE: %w", s.env, err)
				}
				v = strings.TrimSpace(string(b))
			}
		}
		vals[s.flag] = fs.String(s.flag, v, s.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			Usage(stderr)
			return Config{}, ErrHelp
		}
		return Config{}, fmt.Errorf("%v (run with --help for the list of settings)", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (run with --help for the list of settings)", fs.Arg(0))
	}
	c := Config{
		Addr:     *vals["addr"],
		Database: *vals["database"],

		SQLiteSynchronous: strings.ToLower(strings.TrimSpace(*vals["sqlite-synchronous"])),
		SecretKey:         strings.TrimSpace(*vals["secret-key"]),
		MetricsToken:      strings.TrimSpace(*vals["metrics-token"]),
		PublicURL:         strings.TrimRight(*vals["public-url"], "/"),
		LogFormat:         *vals["log-format"],

		SignUpMode:                  strings.TrimSpace(*vals["sign-up-mode"]),
		AppName:                     strings.TrimSpace(*vals["app-name"]),
		StrictEnumerationProtection: strings.ToLower(strings.TrimSpace(*vals["strict-enumeration-protection"])),
		DeleteSelf:                  strings.ToLower(strings.TrimSpace(*vals["delete-self"])),
		Organizations:               strings.ToLower(strings.TrimSpace(*vals["organizations"])),
		OrganizationDomains:         strings.ToLower(strings.TrimSpace(*vals["organization-domains"])),
		OrganizationCreate:          strings.ToLower(strings.TrimSpace(*vals["organization-create"])),
		OrganizationAdminDelete:     strings.ToLower(strings.TrimSpace(*vals["organization-admin-delete"])),
		OrganizationMaxMemberships:  strings.TrimSpace(*vals["organization-max-memberships"]),
		OrganizationCreatorRole:     strings.TrimSpace(*vals["organization-creator-role"]),
		SecondFactors:               strings.ToLower(strings.TrimSpace(*vals["second-factors"])),
		ClientTrust:                 strings.ToLower(strings.TrimSpace(*vals["client-trust"])),
		MFARequired:                 strings.ToLower(strings.TrimSpace(*vals["mfa-required"])),
		EmailLink:                   strings.ToLower(strings.TrimSpace(*vals["email-link"])),
		EmailLinkSameClient:         strings.ToLower(strings.TrimSpace(*vals["email-link-require-same-client"])),
		Blocklist:                   strings.ToLower(strings.TrimSpace(*vals["blocklist"])),
		BlockEmailSubaddresses:      strings.ToLower(strings.TrimSpace(*vals["block-email-subaddresses"])),
		BlockDisposableEmailDomains: strings.ToLower(strings.TrimSpace(*vals["block-disposable-email-domains"])),
		DisposableDomainsFile:       strings.TrimSpace(*vals["disposable-domains-file"]),
		SupportEmail:                strings.TrimSpace(*vals["support-email"]),
		SMTPURL:                     strings.TrimSpace(*vals["smtp-url"]),
		EmailDomain:                 strings.ToLower(strings.TrimSpace(*vals["email-domain"])),
		SMSWebhookURL:               strings.TrimSpace(*vals["sms-webhook-url"]),
		SMSWebhookSecret:            *vals["sms-webhook-secret"],
		SMSFrom:                     strings.TrimSpace(*vals["sms-from"]),
		TwilioAccountSID:            strings.TrimSpace(*vals["twilio-account-sid"]),
		TwilioAuthToken:             strings.TrimSpace(*vals["twilio-auth-token"]),
		TwilioFrom:                  strings.TrimSpace(*vals["twilio-from"]),
		TwilioAPIURL:                strings.TrimRight(strings.TrimSpace(*vals["twilio-api-url"]), "/"),
		CookieDomain:                strings.TrimPrefix(strings.ToLower(strings.TrimSpace(*vals["cookie-domain"])), "."),
		BundleDir:                   strings.TrimSpace(*vals["bundle-dir"]),
		TLSCert:                     strings.TrimSpace(*vals["tls-cert"]),
		TLSKey:                      strings.TrimSpace(*vals["tls-key"]),
	}
	if c.SQLiteSynchronous != "full" && c.SQLiteSynchronous != "normal" {
		return Config{}, fmt.Errorf("CONCIERGE_SQLITE_SYNCHRONOUS %q: must be full or normal", c.SQLiteSynchronous)
	}
	cache, err := parseBytes(*vals["sqlite-cache"])
	if err != nil || cache < 1<<20 {
		return Config{}, fmt.Errorf("CONCIERGE_SQLITE_CACHE %q: must be a size of at least 1MiB, e.g. 32MiB", *vals["sqlite-cache"])
	}
	c.SQLiteCache = cache
	if c.SQLiteMmap, err = parseBytes(*vals["sqlite-mmap"]); err != nil {
		return Config{}, fmt.Errorf("CONCIERGE_SQLITE_MMAP %q: must be a size such as 1GiB, or 0 for none", *vals["sqlite-mmap"])
	}
	if c.UserCache, err = parseBytes(*vals["user-cache"]); err != nil || c.UserCache < 0 {
		return Config{}, fmt.Errorf("CONCIERGE_USER_CACHE %q: must be a size such as 32MiB, or 0 for none", *vals["user-cache"])
	}
	if c.AuditRetention, err = parseRetention(*vals["audit-retention"]); err != nil {
		return Config{}, fmt.Errorf("CONCIERGE_AUDIT_RETENTION %q: must be 0 (for ever), a number of days such as 365d, or a duration of at least 1h such as 720h", *vals["audit-retention"])
	}
	switch t := strings.TrimSpace(*vals["instance-type"]); t {
	case "development":
	case "production":
		c.Production = true
	default:
		return Config{}, fmt.Errorf("CONCIERGE_INSTANCE_TYPE %q: must be development or production", t)
	}
	return c, c.validate(*vals["log-level"], *vals["shutdown-timeout"], *vals["allowed-origins"],
		*vals["session-token-ttl"], *vals["session-lifetime"], *vals["session-inactivity"])
}

func (c *Config) validate(level, shutdown, origins, ttl, lifetime, inactivity string) error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		return fmt.Errorf("CONCIERGE_ADDR %q: must be host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if c.Database == "" {
		return errors.New("CONCIERGE_DATABASE: must be a SQLite file path or a postgres:// URL")
	}
	if strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://") {
		if u, err := url.Parse(c.Database); err != nil || u.Host == "" {
			return fmt.Errorf("CONCIERGE_DATABASE: not a valid postgres:// URL")
		}
	} else if strings.Contains(c.Database, "://") {
		return fmt.Errorf("CONCIERGE_DATABASE: unsupported URL scheme; use a file path for SQLite or postgres:// for PostgreSQL")
	}
	if c.SecretKey != "" && !(strings.HasPrefix(c.SecretKey, "sk_test_") || strings.HasPrefix(c.SecretKey, "sk_live_")) {
		return errors.New("CONCIERGE_SECRET_KEY: must start with sk_test_ or sk_live_")
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		return errors.New("CONCIERGE_SECRET_KEY: too short; use at least 24 random characters after the prefix")
	}
	if c.PublicURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("CONCIERGE_PUBLIC_URL %q: must be an absolute http(s) URL", c.PublicURL)
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("CONCIERGE_LOG_LEVEL %q: must be debug, info, warn or error", level)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("CONCIERGE_LOG_FORMAT %q: must be text or json", c.LogFormat)
	}
	if c.ShutdownTimeout, err = time.ParseDuration(shutdown); err != nil || c.ShutdownTimeout < 0 {
		return fmt.Errorf("CONCIERGE_SHUTDOWN_TIMEOUT %q: must be a duration such as 15s", shutdown)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("CONCIERGE_TLS_CERT and CONCIERGE_TLS_KEY must be set together")
	}
	if c.CookieDomain != "" && !strings.HasSuffix("."+strings.ToLower(u.Hostname()), "."+c.CookieDomain) {
		return fmt.Errorf("CONCIERGE_COOKIE_DOMAIN %q: must be the public URL's host or a parent domain of it", c.CookieDomain)
	}
	if c.BundleDir == "" {
		c.BundleDir = "clerk-bundles"
		if !strings.Contains(c.Database, "://") {
			c.BundleDir = filepath.Join(filepath.Dir(c.Database), "clerk-bundles")
		}
	}
	if err := c.validateDelivery(u.Hostname()); err != nil {
		return err
	}
	return c.validateSessions(origins, ttl, lifetime, inactivity)
}

func (c *Config) validateSessions(origins, ttl, lifetime, inactivity string) error {
	for _, o := range strings.Split(origins, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("CONCIERGE_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.com", o)
		}
		c.AllowedOrigins = append(c.AllowedOrigins, u.Scheme+"://"+u.Host)
	}
	for _, d := range []struct {
		env, v   string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"CONCIERGE_SESSION_TOKEN_TTL", ttl, &c.SessionTokenTTL, 30 * time.Second, 24 * time.Hour},
		{"CONCIERGE_SESSION_LIFETIME", lifetime, &c.SessionLifetime, 5 * time.Minute, 10 * 365 * 24 * time.Hour},
		{"CONCIERGE_SESSION_INACTIVITY", inactivity, &c.SessionInactivity, 5 * time.Minute, 10 * 365 * 24 * time.Hour},
	} {
		v, err := time.ParseDuration(d.v)
		if err != nil || v < d.min || v > d.max {
			return fmt.Errorf("%s %q: must be a duration between %s and %s", d.env, d.v, d.min, d.max)
		}
		*d.dst = v
	}
	return nil
}

func (c *Config) validateDelivery(publicHost string) error {
	switch c.SignUpMode {
	case "", "public", "restricted", "invitation_only", "waitlist":
	default:
		return fmt.Errorf("CONCIERGE_SIGN_UP_MODE %q: must be public, restricted, invitation_only or waitlist", c.SignUpMode)
	}
	for _, b := range []struct{ env, v string }{
		{"CONCIERGE_STRICT_ENUMERATION_PROTECTION", c.StrictEnumerationProtection}, {"CONCIERGE_DELETE_SELF", c.DeleteSelf},
		{"CONCIERGE_ORGANIZATIONS", c.Organizations}, {"CONCIERGE_ORGANIZATION_DOMAINS", c.OrganizationDomains},
		{"CONCIERGE_ORGANIZATION_CREATE", c.OrganizationCreate}, {"CONCIERGE_ORGANIZATION_ADMIN_DELETE", c.OrganizationAdminDelete},
		{"CONCIERGE_CLIENT_TRUST", c.ClientTrust}, {"CONCIERGE_MFA_REQUIRED", c.MFARequired},
		{"CONCIERGE_EMAIL_LINK", c.EmailLink}, {"CONCIERGE_EMAIL_LINK_REQUIRE_SAME_CLIENT", c.EmailLinkSameClient},
		{"CONCIERGE_BLOCKLIST", c.Blocklist}, {"CONCIERGE_BLOCK_EMAIL_SUBADDRESSES", c.BlockEmailSubaddresses},
		{"CONCIERGE_BLOCK_DISPOSABLE_EMAIL_DOMAINS", c.BlockDisposableEmailDomains},
	} {
		if b.v != "" && b.v != "true" && b.v != "false" {
			return fmt.Errorf("%s %q: must be true or false", b.env, b.v)
		}
	}
	if len(c.AppName) > 100 || strings.IndexFunc(c.AppName, unicode.IsControl) >= 0 {
		return errors.New("CONCIERGE_APP_NAME: must be at most 100 characters without control characters")
	}
	if c.EmailDomain == "" {
		c.EmailDomain = strings.ToLower(publicHost)
	}
	if strings.ContainsAny(c.EmailDomain, "@ /:") {
		return fmt.Errorf("CONCIERGE_EMAIL_DOMAIN %q: must be a domain name such as example.com", c.EmailDomain)
	}
	if c.SMTPURL != "" {
		// The value may hold a password: the message never repeats it.
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			return errors.New("CONCIERGE_SMTP_URL: must be smtp://[user:pass@]host[:port] or smtps://…")
		}
	}
	if c.SMSWebhookURL != "" {
		if u, err := url.Parse(c.SMSWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("CONCIERGE_SMS_WEBHOOK_URL: must be an absolute http(s) URL")
		}
	}
	twilio := c.TwilioAccountSID != "" || c.TwilioAuthToken != "" || c.TwilioFrom != ""
	if twilio && (c.TwilioAccountSID == "" || c.TwilioAuthToken == "" || c.TwilioFrom == "") {
		return errors.New("CONCIERGE_TWILIO_ACCOUNT_SID, CONCIERGE_TWILIO_AUTH_TOKEN and CONCIERGE_TWILIO_FROM must be set together")
	}
	if twilio && c.SMSWebhookURL != "" {
		return errors.New("set either CONCIERGE_SMS_WEBHOOK_URL or the CONCIERGE_TWILIO_* settings, not both")
	}
	if u, err := url.Parse(c.TwilioAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("CONCIERGE_TWILIO_API_URL %q: must be an absolute http(s) URL", c.TwilioAPIURL)
	}
	return nil
}

// parseRetention reads a retention: "0" (for ever), days ("365d") or a
// Go duration of at least an hour (the janitor runs hourly).
func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 100*365 {
			return 0, fmt.Errorf("not a number of days: %q", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("not a retention: %q", s)
	}
	return d, nil
}

// parseBytes reads a size: a number of bytes, or one with a KiB, MiB or
// GiB suffix.
// Option turns a size whose configured 0 means none (UserCache,
// SQLiteMmap) into the options' convention, where 0 is the default and
// a negative size is none.
func Option(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = strings.TrimSpace(n), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return n * mult, nil
}
