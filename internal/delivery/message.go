// Package delivery holds Concierge's outbox of emails and SMS messages and
// the dispatcher that sends them: a message is stored in the same
// transaction as the change that caused it, then sent at least once, with
// retries and exponential backoff, over SMTP, an SMS gateway, or (when no
// transport is configured) the development outbox in the log.
package delivery

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
)

// Channels.
const (
	Email = "email"
	SMS   = "sms"
)

// Statuses: queued until a transport accepts the message (sent) or the
// retries are exhausted or the failure is permanent (failed).
const (
	Queued = "queued"
	Sent   = "sent"
	Failed = "failed"
)

// Message is one email or SMS. Times are Unix milliseconds.
type Message struct {
	ID      string
	Channel string
	// Slug names the template that made the message; empty for messages
	// sent through the Backend API.
	Slug string
	// FromName is the sender's local part (email) or empty (SMS).
	FromName string
	// From is the sender's full address or phone number.
	From string
	To   string
	// IdentifierID and UserID link the message to the recipient's email
	// address or phone number, when it belongs to a user.
	IdentifierID *string
	UserID       *string
	Subject      string
	// Body is HTML for an email and the text for an SMS.
	Body      string
	BodyPlain *string
	Data      []byte // a JSON object

	Status        string
	Attempts      int
	LastError     *string
	Transport     *string
	NextAttemptAt int64
	SentAt        *int64
	CreatedAt     int64
	UpdatedAt     int64
}

// NewEmail returns a queued email from fromName@domain.
func NewEmail(now time.Time, fromName, domain, to, subject, html, text string) *Message {
	return newMessage(now, Email, id.Email, func(m *Message) {
		m.FromName, m.From, m.To, m.Subject, m.Body = fromName, fromName+"@"+domain, to, subject, html
		m.BodyPlain = &text
	})
}

// NewSMS returns a queued SMS.
func NewSMS(now time.Time, from, to, text string) *Message {
	return newMessage(now, SMS, id.SMS, func(m *Message) { m.From, m.To, m.Body = from, to, text })
}

func newMessage(now time.Time, channel, prefix string, fill func(*Message)) *Message {
	ms := now.UnixMilli()
	m := &Message{ID: id.NewAt(prefix, now), Channel: channel, Data: []byte("{}"), Status: Queued,
		NextAttemptAt: ms, CreatedAt: ms, UpdatedAt: ms}
	fill(m)
	return m
}

// Store is the outbox's persistence. Messages are inserted by the stores
// of the changes that cause them (in the same transaction); the
// dispatcher only claims and settles them.
type Store interface {
	// ClaimMessages leases up to limit queued messages due at now until
	// leaseUntil, counting an attempt for each, and returns them. A
	// message leased by another dispatcher is skipped.
	ClaimMessages(ctx context.Context, now, leaseUntil int64, limit int) ([]*Message, error)
	// SettleMessage records the outcome of an attempt: m's Status,
	// LastError, Transport, NextAttemptAt and SentAt; it ends the lease.
	SettleMessage(ctx context.Context, m *Message) error
	// Message returns one message of channel by ID.
	Message(ctx context.Context, channel, id string) (*Message, error)
}

// NotFound is the 404 for an unknown message ID.
func NotFound(channel, id string) error {
	what := "email"
	if channel == SMS {
		what = "SMS message"
	}
	return errs.ResourceNotFound("not found", "No "+what+" was found with id "+id)
}

// permanentError marks a failure that retrying cannot fix (a refused
// recipient, a rejected request).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the dispatcher fails the message at once.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// oneLine shortens an error for the last_error column.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}
