package backendapi

import (
	"encoding/json"
	"net/http"

	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/respond"
)

// emailJSON is Clerk's email object. attempts, last_error and sent_at are
// Concierge's additions, so that a caller can follow the delivery.
type emailJSON struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Slug             *string         `json:"slug"`
	FromEmailName    string          `json:"from_email_name"`
	ReplyToEmailName *string         `json:"reply_to_email_name"`
	ToEmailAddress   string          `json:"to_email_address"`
	EmailAddressID   *string         `json:"email_address_id"`
	UserID           *string         `json:"user_id"`
	Subject          string          `json:"subject"`
	Body             string          `json:"body"`
	BodyPlain        *string         `json:"body_plain"`
	Status           string          `json:"status"`
	Data             json.RawMessage `json:"data"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
	deliveryJSON
}

// smsJSON is Clerk's sms_message object, with the same additions.
type smsJSON struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Slug             *string         `json:"slug"`
	FromPhoneNumber  string          `json:"from_phone_number"`
	ToPhoneNumber    string          `json:"to_phone_number"`
	PhoneNumberID    *string         `json:"phone_number_id"`
	UserID           *string         `json:"user_id"`
	Message          string          `json:"message"`
	Status           string          `json:"status"`
	Data             json.RawMessage `json:"data"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
	deliveryJSON
}

type deliveryJSON struct {
	Attempts  int     `json:"attempts"`
	LastError *string `json:"last_error"`
	SentAt    *int64  `json:"sent_at"`
	CreatedAt int64   `json:"created_at"`
	UpdatedAt int64   `json:"updated_at"`
}

func slugOf(m *delivery.Message) *string {
	if m.Slug == "" {
		return nil
	}
	return &m.Slug
}

func deliveryOf(m *delivery.Message) deliveryJSON {
	return deliveryJSON{Attempts: m.Attempts, LastError: m.LastError, SentAt: m.SentAt,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// MessageObject is an email or SMS as the Backend API renders it.
func MessageObject(m *delivery.Message) any {
	if m.Channel == delivery.SMS {
		return toSMSJSON(m)
	}
	return toEmailJSON(m)
}

func toEmailJSON(m *delivery.Message) emailJSON {
	return emailJSON{Object: "email", ID: m.ID, Slug: slugOf(m), FromEmailName: m.FromName,
		ToEmailAddress: m.To, EmailAddressID: m.IdentifierID, UserID: m.UserID, Subject: m.Subject,
		Body: m.Body, BodyPlain: m.BodyPlain, Status: m.Status, Data: m.Data, deliveryJSON: deliveryOf(m)}
}

func toSMSJSON(m *delivery.Message) smsJSON {
	return smsJSON{Object: "sms_message", ID: m.ID, Slug: slugOf(m), FromPhoneNumber: m.From,
		ToPhoneNumber: m.To, PhoneNumberID: m.IdentifierID, UserID: m.UserID, Message: m.Body,
		Status: m.Status, Data: m.Data, deliveryJSON: deliveryOf(m)}
}

func (a *API) createEmail(w http.ResponseWriter, r *http.Request) error {
	var p delivery.EmailParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	m, err := a.Messages.CreateEmail(r.Context(), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toEmailJSON(m))
	return nil
}

func (a *API) getEmail(w http.ResponseWriter, r *http.Request) error {
	m, err := a.Messages.Get(r.Context(), delivery.Email, r.PathValue("email_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toEmailJSON(m))
	return nil
}

func (a *API) createSMS(w http.ResponseWriter, r *http.Request) error {
	var p delivery.SMSParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	m, err := a.Messages.CreateSMS(r.Context(), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toSMSJSON(m))
	return nil
}

func (a *API) getSMS(w http.ResponseWriter, r *http.Request) error {
	m, err := a.Messages.Get(r.Context(), delivery.SMS, r.PathValue("sms_message_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toSMSJSON(m))
	return nil
}
