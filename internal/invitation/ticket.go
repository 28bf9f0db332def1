package invitation

import (
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/errs"
)

// A ticket is an HS256 JWT naming one invitation: {iss, sub: invitation
// ID, st: its kind ("invitation", or "organization_invitation"), iat,
// exp}. It is signed with an instance secret,
// so it cannot be forged; it is single-use and revocable because
// accepting or revoking changes the invitation it names, which is checked
// on every use. HMAC is deterministic, so an invitation's ticket (and its
// link) is the same each time it is shown.

const ticketIssuer = "concierge"

// Ticket kinds: an invitation to sign up, and one to join an
// organization (which the organization package issues with the same key).
const (
	KindInvitation             = "invitation"
	KindOrganizationInvitation = "organization_invitation"
)

type ticketClaims struct {
	jwt.Claims
	Kind string `json:"st"`
}

func signTicket(key []byte, inv *Invitation) (string, error) {
	return SignTicket(key, KindInvitation, inv.ID, inv.CreatedAt, inv.ExpiresAt)
}

// SignTicket signs a ticket of kind naming subject, issued at iat and
// valid until exp (Unix ms; nil: no expiry).
func SignTicket(key []byte, kind, subject string, iat int64, exp *int64) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	c := ticketClaims{Kind: kind, Claims: jwt.Claims{
		Issuer: ticketIssuer, Subject: subject, IssuedAt: jwt.NewNumericDate(time.UnixMilli(iat)),
	}}
	if exp != nil {
		c.Expiry = jwt.NewNumericDate(time.UnixMilli(*exp))
	}
	return jwt.Signed(signer).Claims(c).Serialize()
}

// TicketInvalid is FAPI's error for a ticket that is not one of ours.
func TicketInvalid() error {
	return errs.New(errs.BadRequest, "ticket_invalid_code", "is invalid",
		"The invitation link is invalid. Ask for a new invitation.").WithParam("ticket")
}

// TicketExpired is FAPI's error for a ticket past its expiry.
func TicketExpired() error {
	return errs.New(errs.BadRequest, "ticket_expired_code", "is expired",
		"The invitation link has expired. Ask for a new invitation.").WithParam("ticket")
}

// RevokedTicket is FAPI's error for a ticket of a revoked invitation.
func RevokedTicket() error {
	return errs.New(errs.BadRequest, "revoked_invitation", "invitation revoked",
		"This invitation was revoked. Ask for a new invitation.").WithParam("ticket")
}

func parseTicket(key []byte, raw string, now time.Time) (string, error) {
	return ParseTicket(key, KindInvitation, raw, now)
}

// ParseTicket checks a ticket's signature and claims and returns the
// ID it names; a ticket of another kind is invalid here.
func ParseTicket(key []byte, kind, raw string, now time.Time) (string, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return "", TicketInvalid()
	}
	var c ticketClaims
	if err := tok.Claims(key, &c); err != nil || c.Kind != kind || c.Subject == "" {
		return "", TicketInvalid()
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: ticketIssuer, Time: now}, 0)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return "", TicketExpired()
	case err != nil:
		return "", TicketInvalid()
	}
	return c.Subject, nil
}

// TicketKind reads a ticket's kind without checking it, to route it to
// the service that checks it; "" for what is not a ticket.
func TicketKind(raw string) string {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return ""
	}
	var c ticketClaims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return ""
	}
	return c.Kind
}
