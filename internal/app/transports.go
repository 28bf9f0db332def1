package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
)

// transports builds the email and SMS transports the instance settings
// describe, again whenever those settings change.
type transports struct {
	settings    *instance.Service
	emailDomain string
	twilioURL   string
	outbox      *delivery.DevOutbox
	log         *slog.Logger

	mu         sync.Mutex
	emailKey   string
	emailT     delivery.Transport
	smsKey     string
	smsT       delivery.Transport
	client     *http.Client
	clientOnce sync.Once
}

func (t *transports) httpClient() *http.Client {
	t.clientOnce.Do(func() { t.client = &http.Client{Timeout: 30 * time.Second} })
	return t.client
}

// email returns the SMTP transport of smtp_url, or the development outbox.
func (t *transports) email(ctx context.Context) delivery.Transport {
	live, err := t.settings.Live(ctx)
	if err != nil {
		return t.outbox
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.emailT != nil && t.emailKey == live.SMTPURL {
		return t.emailT
	}
	t.emailKey, t.emailT = live.SMTPURL, t.outbox
	if live.SMTPURL != "" {
		smtp, err := delivery.ParseSMTPURL(live.SMTPURL, t.emailDomain)
		if err == nil {
			t.emailT = smtp
		} else {
			// Validated when set; a failure here means a bad stored value.
			t.log.Error("smtp_url setting unusable; emails go to the development outbox", "err", err)
		}
	}
	return t.emailT
}

// sms returns Twilio, the webhook, or the development outbox.
func (t *transports) sms(ctx context.Context) delivery.Transport {
	live, err := t.settings.Live(ctx)
	if err != nil {
		return t.outbox
	}
	key := live.TwilioAccountSID + "\x00" + live.TwilioAuthToken + "\x00" + live.TwilioFrom + "\x00" +
		live.SMSWebhookURL + "\x00" + live.SMSWebhookSecret
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.smsT != nil && t.smsKey == key {
		return t.smsT
	}
	t.smsKey = key
	switch {
	case live.TwilioAccountSID != "" && live.TwilioAuthToken != "" && live.TwilioFrom != "":
		base := t.twilioURL
		if base == "" {
			base = "https://api.twilio.com"
		}
		t.smsT = &delivery.Twilio{BaseURL: base, AccountSID: live.TwilioAccountSID, AuthToken: live.TwilioAuthToken,
			From: live.TwilioFrom, Client: t.httpClient()}
	case live.SMSWebhookURL != "":
		t.smsT = &delivery.Webhook{URL: live.SMSWebhookURL, Secret: live.SMSWebhookSecret, Client: t.httpClient()}
	default:
		t.smsT = t.outbox
	}
	return t.smsT
}
