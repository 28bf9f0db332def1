package sdk

import (
	"context"
	"iter"
	"net/http"
)

// AllowlistIdentifiers is the allowlist (getAllowlistIdentifierList,
// createAllowlistIdentifier, deleteAllowlistIdentifier).
type AllowlistIdentifiers struct{ c *Client }

// List returns allowlist entries, newest first, limit per page (0 = 10).
func (a *AllowlistIdentifiers) List(ctx context.Context, limit, offset int) (*List[AllowlistIdentifier], error) {
	q := listQuery(limit, offset)
	q.Set("paginated", "true")
	var out List[AllowlistIdentifier]
	return &out, a.c.do(ctx, http.MethodGet, "/allowlist_identifiers", q, nil, &out)
}

// Create adds an identifier: an email address, an E.164 phone number, a
// web3 wallet, or a wildcard domain ("*@example.com"). With notify, an
// email address is sent an invitation and a phone number an SMS.
func (a *AllowlistIdentifiers) Create(ctx context.Context, identifier string, notify bool) (*AllowlistIdentifier, error) {
	var out AllowlistIdentifier
	return &out, a.c.do(ctx, http.MethodPost, "/allowlist_identifiers", nil,
		map[string]any{"identifier": identifier, "notify": notify}, &out)
}

// Delete removes an entry.
func (a *AllowlistIdentifiers) Delete(ctx context.Context, id string) (*DeletedObject, error) {
	var out DeletedObject
	return &out, a.c.do(ctx, http.MethodDelete, "/allowlist_identifiers/"+pathEscape(id), nil, nil, &out)
}

// Clients are browsers and devices (getClientList, getClient,
// verifyClient).
type Clients struct{ c *Client }

// List returns clients, newest first.
func (x *Clients) List(ctx context.Context, limit, offset int) (*List[ClientObject], error) {
	var out List[ClientObject]
	return &out, x.c.do(ctx, http.MethodGet, "/clients", listQuery(limit, offset), nil, &out)
}

// Get returns a client with its sessions.
func (x *Clients) Get(ctx context.Context, id string) (*ClientObject, error) {
	var out ClientObject
	return &out, x.c.do(ctx, http.MethodGet, "/clients/"+pathEscape(id), nil, nil, &out)
}

// Verify returns the client a token stands for: a client token (the
// __client cookie) or a session token of an active session on it.
func (x *Clients) Verify(ctx context.Context, token string) (*ClientObject, error) {
	var out ClientObject
	return &out, x.c.do(ctx, http.MethodPost, "/clients/verify", nil, map[string]string{"token": token}, &out)
}

// Invitations are invitations to sign up (getInvitationList,
// createInvitation, revokeInvitation).
type Invitations struct{ c *Client }

// InvitationListParams filters and orders invitations.
type InvitationListParams struct {
	// Statuses keeps invitations in any of pending, accepted, revoked and
	// expired; none means every status but revoked.
	Statuses []string
	// Query matches part of the email address, or the whole ID.
	Query string
	// OrderBy is created_at, email_address or expires_at, with a + or -
	// prefix; default -created_at.
	OrderBy       string
	Limit, Offset int
}

// List returns a page of invitations.
func (x *Invitations) List(ctx context.Context, p *InvitationListParams) (*List[Invitation], error) {
	if p == nil {
		p = &InvitationListParams{}
	}
	q := listQuery(p.Limit, p.Offset)
	q.Set("paginated", "true")
	for _, s := range p.Statuses {
		q.Add("status", s)
	}
	if p.Query != "" {
		q.Set("query", p.Query)
	}
	if p.OrderBy != "" {
		q.Set("order_by", p.OrderBy)
	}
	var out List[Invitation]
	return &out, x.c.do(ctx, http.MethodGet, "/invitations", q, nil, &out)
}

// All walks every invitation matching p, page by page.
func (x *Invitations) All(ctx context.Context, p InvitationListParams) iter.Seq2[*Invitation, error] {
	return pages(p.Limit, func(offset, limit int) ([]Invitation, error) {
		q := p
		q.Offset, q.Limit = offset, limit
		l, err := x.List(ctx, &q)
		if err != nil {
			return nil, err
		}
		return l.Data, nil
	})
}

// InvitationParams creates an invitation.
type InvitationParams struct {
	EmailAddress string `json:"email_address"`
	// RedirectURL is where the invitation link leads once accepted.
	RedirectURL string `json:"redirect_url,omitempty"`
	// PublicMetadata is copied onto the user who accepts.
	PublicMetadata map[string]any `json:"public_metadata,omitempty"`
	// Notify sends the invitation email; nil means true.
	Notify *bool `json:"notify,omitempty"`
	// IgnoreExisting invites even an address with a pending invitation
	// (which it replaces) or a user.
	IgnoreExisting bool `json:"ignore_existing,omitempty"`
	// ExpiresInDays is 1 to 365; 0 means 30.
	ExpiresInDays int `json:"expires_in_days,omitempty"`
}

// Create makes an invitation and, unless Notify is false, emails it.
func (x *Invitations) Create(ctx context.Context, p InvitationParams) (*Invitation, error) {
	var out Invitation
	return &out, x.c.do(ctx, http.MethodPost, "/invitations", nil, p, &out)
}

// CreateBulk makes several invitations, all or none.
func (x *Invitations) CreateBulk(ctx context.Context, ps []InvitationParams) ([]Invitation, error) {
	var out []Invitation
	return out, x.c.do(ctx, http.MethodPost, "/invitations/bulk", nil, ps, &out)
}

// Revoke revokes an invitation: its link stops working.
func (x *Invitations) Revoke(ctx context.Context, id string) (*Invitation, error) {
	var out Invitation
	return &out, x.c.do(ctx, http.MethodPost, "/invitations/"+pathEscape(id)+"/revoke", nil, nil, &out)
}

// Sessions are signed-in sessions (getSessionList, getSession,
// revokeSession, verifySession).
type Sessions struct{ c *Client }

// SessionListParams filters sessions.
type SessionListParams struct {
	ClientID, UserID string
	// Status is active, ended, revoked, removed, expired or abandoned.
	Status        string
	Limit, Offset int
}

// List returns a page of sessions, newest first.
func (x *Sessions) List(ctx context.Context, p *SessionListParams) (*List[Session], error) {
	if p == nil {
		p = &SessionListParams{}
	}
	q := listQuery(p.Limit, p.Offset)
	q.Set("paginated", "true")
	for k, v := range map[string]string{"client_id": p.ClientID, "user_id": p.UserID, "status": p.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out List[Session]
	return &out, x.c.do(ctx, http.MethodGet, "/sessions", q, nil, &out)
}

// All walks every session matching p, page by page.
func (x *Sessions) All(ctx context.Context, p SessionListParams) iter.Seq2[*Session, error] {
	return pages(p.Limit, func(offset, limit int) ([]Session, error) {
		q := p
		q.Offset, q.Limit = offset, limit
		l, err := x.List(ctx, &q)
		if err != nil {
			return nil, err
		}
		return l.Data, nil
	})
}

// Get returns a session.
func (x *Sessions) Get(ctx context.Context, id string) (*Session, error) {
	var out Session
	return &out, x.c.do(ctx, http.MethodGet, "/sessions/"+pathEscape(id), nil, nil, &out)
}

// Revoke revokes a session: it mints no more tokens.
func (x *Sessions) Revoke(ctx context.Context, id string) (*Session, error) {
	var out Session
	return &out, x.c.do(ctx, http.MethodPost, "/sessions/"+pathEscape(id)+"/revoke", nil, nil, &out)
}

// Verify checks with the server that token is a valid token of the
// session id, and returns the session. VerifyToken does the same check
// without a call.
func (x *Sessions) Verify(ctx context.Context, id, token string) (*Session, error) {
	var out Session
	return &out, x.c.do(ctx, http.MethodPost, "/sessions/"+pathEscape(id)+"/verify", nil, map[string]string{"token": token}, &out)
}

// CreateToken mints a session token for an active session; expiresIn, in
// seconds, overrides the instance's token lifetime when not 0.
func (x *Sessions) CreateToken(ctx context.Context, id string, expiresIn int) (*SessionToken, error) {
	body := map[string]any{}
	if expiresIn > 0 {
		body["expires_in_seconds"] = expiresIn
	}
	var out SessionToken
	return &out, x.c.do(ctx, http.MethodPost, "/sessions/"+pathEscape(id)+"/tokens", nil, body, &out)
}

// Create opens a session for a user on a new client, without a sign-in:
// for tests; it needs an sk_test_ key.
func (x *Sessions) Create(ctx context.Context, userID string) (*Session, error) {
	var out Session
	return &out, x.c.do(ctx, http.MethodPost, "/sessions", nil, map[string]string{"user_id": userID}, &out)
}

// Emails sends emails to users (createEmail).
type Emails struct{ c *Client }

// EmailParams is an email to one of a user's verified addresses.
type EmailParams struct {
	// FromEmailName is the sender's local part: "support" sends from
	// support@<CONCIERGE_EMAIL_DOMAIN>.
	FromEmailName string `json:"from_email_name"`
	Subject       string `json:"subject"`
	// Body is HTML; a plain-text alternative is derived from it.
	Body           string `json:"body"`
	EmailAddressID string `json:"email_address_id"`
}

// Create queues an email; its Status moves from queued to sent or failed.
func (x *Emails) Create(ctx context.Context, p EmailParams) (*Email, error) {
	var out Email
	return &out, x.c.do(ctx, http.MethodPost, "/emails", nil, p, &out)
}

// Get returns an email, to follow its delivery.
func (x *Emails) Get(ctx context.Context, id string) (*Email, error) {
	var out Email
	return &out, x.c.do(ctx, http.MethodGet, "/emails/"+pathEscape(id), nil, nil, &out)
}

// SMSMessages sends SMS to users (createSMSMessage).
type SMSMessages struct{ c *Client }

// Create queues an SMS to one of a user's verified phone numbers.
func (x *SMSMessages) Create(ctx context.Context, message, phoneNumberID string) (*SMSMessage, error) {
	var out SMSMessage
	return &out, x.c.do(ctx, http.MethodPost, "/sms_messages", nil,
		map[string]string{"message": message, "phone_number_id": phoneNumberID}, &out)
}

// Get returns an SMS, to follow its delivery.
func (x *SMSMessages) Get(ctx context.Context, id string) (*SMSMessage, error) {
	var out SMSMessage
	return &out, x.c.do(ctx, http.MethodGet, "/sms_messages/"+pathEscape(id), nil, nil, &out)
}

// pages walks a list page by page until a short page.
func pages[T any](pageSize int, fetch func(offset, limit int) ([]T, error)) iter.Seq2[*T, error] {
	if pageSize <= 0 || pageSize > 500 {
		pageSize = 100
	}
	return func(yield func(*T, error) bool) {
		for offset := 0; ; offset += pageSize {
			items, err := fetch(offset, pageSize)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range items {
				if !yield(&items[i], nil) {
					return
				}
			}
			if len(items) < pageSize {
				return
			}
		}
	}
}
