package delivery

import (
	"context"
	"log/slog"
)

// DevOutbox is the transport used when none is configured: the message
// stays in the database (as every message does), is written to the log
// once at info level with its text, links included, so that a developer
// can follow an invitation, and counts as sent.
type DevOutbox struct {
	Log *slog.Logger
}

// Name implements Transport.
func (o *DevOutbox) Name() string { return "outbox" }

// Send implements Transport.
func (o *DevOutbox) Send(_ context.Context, m *Message) error {
	text := m.Body
	if m.Channel == Email && m.BodyPlain != nil {
		text = *m.BodyPlain
	}
	if m.Channel == Email {
		o.Log.Info("development outbox: email (no CONCIERGE_SMTP_URL set)",
			"message_id", m.ID, "from", m.From, "to", m.To, "subject", m.Subject, "text", text)
	} else {
		o.Log.Info("development outbox: SMS (no SMS transport set)",
			"message_id", m.ID, "from", m.From, "to", m.To, "text", text)
	}
	return nil
}
