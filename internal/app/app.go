// Package app wires Concierge's services, HTTP handler and outbox
// dispatcher on an open database, once, for the command and for the tests
// that run the whole server.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/config"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/frontendapi"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/server"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/sqlstore"
	"github.com/conciergehq/concierge/internal/token"
	"github.com/conciergehq/concierge/internal/user"
)

// Options is what App is built from.
type Options struct {
	PublicURL   string
	SecretKey   string // accepted in addition to stored keys; may be empty
	EmailDomain string
	// Email and SMS are the transports; nil means the development outbox.
	Email, SMS delivery.Transport
	SMSFrom    string
	// Settings are the environment's values of instance settings by key
	// ("" = not set).
	Settings map[string]string
	Log      *slog.Logger

	AllowedOrigins []string
	// Session policy; zero values take Clerk's defaults.
	TokenTTL, SessionLifetime, SessionInactivity time.Duration
}

// App is a wired Concierge.
type App struct {
	Handler    http.Handler
	Dispatcher *delivery.Dispatcher
	Settings   *instance.Service
	API        *backendapi.API
	Frontend   *frontendapi.API
	Keys       *token.Keyring
}

// New wires an App on db.
func New(ctx context.Context, db *sqlstore.DB, o Options) (*App, error) {
	settings := instance.NewService(db)
	if err := settings.Init(ctx, o.Settings, o.Log); err != nil {
		return nil, fmt.Errorf("instance settings: %w", err)
	}
	ticketKey, err := settings.Secret(ctx, "invitation_ticket")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	outbox := &delivery.DevOutbox{Log: o.Log}
	email, sms := o.Email, o.SMS
	if email == nil {
		email = outbox
	}
	if sms == nil {
		sms = outbox
	}
	disp := delivery.NewDispatcher(db, email, sms, o.Log)

	invitations := &invitation.Service{Store: db, Key: ticketKey, PublicURL: o.PublicURL,
		EmailDomain: o.EmailDomain, SMSFrom: o.SMSFrom, AppName: settings.AppName, Wake: disp.Wake, Now: time.Now}
	list := allowlist.NewService(db, invitations)
	list.Wake = disp.Wake

	keys, err := token.Open(ctx, db, time.Now)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	clientKey, err := settings.Secret(ctx, "client_token")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	codeKey, err := settings.Secret(ctx, "verification_code")
	if err != nil {
		return nil, fmt.Errorf("instance secrets: %w", err)
	}
	users := user.NewService(db)
	sessions := &session.Service{Store: db, Users: db, UserRules: users, Keys: keys, Invitations: invitations,
		Lists: db, Mode: settings.Mode, AppName: settings.AppName, ClientKey: clientKey, CodeKey: codeKey,
		Config: session.Config{Issuer: o.PublicURL, TokenTTL: orDefault(o.TokenTTL, 60*time.Second),
			Lifetime: orDefault(o.SessionLifetime, 7*24*time.Hour), Inactivity: orDefault(o.SessionInactivity, 7*24*time.Hour),
			EmailDomain: o.EmailDomain, SMSFrom: o.SMSFrom},
		Wake: disp.Wake, Now: time.Now}
	fapi := frontendapi.New()
	fapi.Sessions, fapi.UserRules, fapi.Settings, fapi.Invitations, fapi.Profile = sessions, users, settings, invitations, db
	fapi.PublicURL, fapi.AllowedOrigins = o.PublicURL, o.AllowedOrigins

	api := &backendapi.API{
		Sessions:    sessions,
		Users:       users,
		Allowlist:   list,
		Invitations: invitations,
		Messages: &delivery.Service{Queue: db, EmailDomain: o.EmailDomain, SMSFrom: o.SMSFrom,
			Wake: disp.Wake, Now: time.Now},
		Keys:      apikey.NewKeyring(db, o.SecretKey),
		PublicURL: o.PublicURL,
	}
	return &App{
		Handler:    server.Handler(server.Config{Backend: api, Frontend: fapi, Pages: fapi.Pages(), DB: db, Log: o.Log}),
		Dispatcher: disp,
		Settings:   settings,
		API:        api,
		Frontend:   fapi,
		Keys:       keys,
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// OptionsFrom maps the configuration to Options, building the transports
// it names.
func OptionsFrom(cfg config.Config, log *slog.Logger) (Options, error) {
	o := Options{PublicURL: cfg.PublicURL, SecretKey: cfg.SecretKey, EmailDomain: cfg.EmailDomain,
		SMSFrom: cfg.SMSFrom, Log: log, AllowedOrigins: cfg.AllowedOrigins, TokenTTL: cfg.SessionTokenTTL,
		SessionLifetime: cfg.SessionLifetime, SessionInactivity: cfg.SessionInactivity,
		Settings: map[string]string{instance.SignUpMode: cfg.SignUpMode, instance.ApplicationName: cfg.AppName}}
	if cfg.SMTPURL != "" {
		smtp, err := delivery.ParseSMTPURL(cfg.SMTPURL, cfg.EmailDomain)
		if err != nil {
			return o, fmt.Errorf("CONCIERGE_SMTP_URL: %v", err)
		}
		o.Email = smtp
	}
	client := &http.Client{Timeout: 30 * time.Second}
	switch {
	case cfg.TwilioAccountSID != "":
		o.SMS = &delivery.Twilio{BaseURL: cfg.TwilioAPIURL, AccountSID: cfg.TwilioAccountSID,
			AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom, Client: client}
		o.SMSFrom = cfg.TwilioFrom
	case cfg.SMSWebhookURL != "":
		o.SMS = &delivery.Webhook{URL: cfg.SMSWebhookURL, Secret: cfg.SMSWebhookSecret, Client: client}
	}
	return o, nil
}
