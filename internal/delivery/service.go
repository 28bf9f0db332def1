package delivery

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/errs"
)

// Queue stores a message addressed to a user's identifier.
type Queue interface {
	// QueueToIdentifier fills in m's recipient from identifierID (an
	// identifier of kind email_address or phone_number) and stores m; an
	// unknown ID is a 404, an unverified identifier a 422 on param.
	QueueToIdentifier(ctx context.Context, m *Message, kind, identifierID, param string) error
	Message(ctx context.Context, channel, id string) (*Message, error)
}

// Service is the Backend API's emails and SMS messages.
type Service struct {
	Queue       Queue
	EmailDomain string
	// SMSFrom returns the sender of SMS.
	SMSFrom func(context.Context) string
	// Wake is called after a message was queued.
	Wake func()
	Now  func() time.Time
}

// EmailParams is POST /v1/emails's body.
type EmailParams struct {
	FromEmailName  *string `json:"from_email_name"`
	Subject        *string `json:"subject"`
	Body           *string `json:"body"`
	EmailAddressID *string `json:"email_address_id"`
}

// SMSParams is POST /v1/sms_messages's body.
type SMSParams struct {
	Message       *string `json:"message"`
	PhoneNumberID *string `json:"phone_number_id"`
}

// Limits on what the API accepts.
const (
	maxSubject = 998 // one header line (RFC 5322)
	maxSMS     = 1600
)

var localPart = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)

func required(param string, v *string) (string, error) {
	if v == nil || strings.TrimSpace(*v) == "" {
		return "", errs.ParamMissing(param)
	}
	return *v, nil
}

// CreateEmail queues an email from <from_email_name>@<domain> to a user's
// email address: the HTML body with a plain-text alternative.
func (s *Service) CreateEmail(ctx context.Context, p EmailParams) (*Message, error) {
	from, err := required("from_email_name", p.FromEmailName)
	if err != nil {
		return nil, err
	}
	if len(from) > 64 || !localPart.MatchString(from) {
		return nil, errs.ParamFormat("from_email_name", "from_email_name must be the part of an email address before the @, such as support.")
	}
	subject, err := required("subject", p.Subject)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(subject) > maxSubject || strings.IndexFunc(subject, unicode.IsControl) >= 0 {
		return nil, errs.ParamFormat("subject", "subject must be one line of at most 998 characters.")
	}
	body, err := required("body", p.Body)
	if err != nil {
		return nil, err
	}
	idnID, err := required("email_address_id", p.EmailAddressID)
	if err != nil {
		return nil, err
	}
	m := NewEmail(s.Now(), from, s.EmailDomain, "", subject, body, PlainText(body))
	if err := s.Queue.QueueToIdentifier(ctx, m, "email_address", idnID, "email_address_id"); err != nil {
		return nil, err
	}
	s.wake()
	return m, nil
}

// CreateSMS queues an SMS to a user's phone number.
func (s *Service) CreateSMS(ctx context.Context, p SMSParams) (*Message, error) {
	text, err := required("message", p.Message)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(text) > maxSMS {
		return nil, errs.ParamFormat("message", "message must be at most 1600 characters.")
	}
	idnID, err := required("phone_number_id", p.PhoneNumberID)
	if err != nil {
		return nil, err
	}
	m := NewSMS(s.Now(), s.SMSFrom(ctx), "", text)
	if err := s.Queue.QueueToIdentifier(ctx, m, "phone_number", idnID, "phone_number_id"); err != nil {
		return nil, err
	}
	s.wake()
	return m, nil
}

// Get returns a message of channel by ID.
func (s *Service) Get(ctx context.Context, channel, id string) (*Message, error) {
	return s.Queue.Message(ctx, channel, id)
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}
