package invitation

import (
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/internal/errs"
)

// A ticket is an HS256 JWT naming one invitation: {iss, sub: invitation
// ID, st: "invitation", iat, exp}. It is signed with an instance secret,
// so it cannot be forged; it is single-use and revocable because
// accepting or revoking changes the invitation it names, which is checked
// on every use. HMAC is deterministic, so an invitation's ticket (and its
// link) is the same each time it is shown.

const (
	ticketIssuer = "concierge"
	ticketKind   = "invitation"
)

type ticketClaims struct {
	jwt.Claims
	Kind string `json:"st"`
}

func signTicket(key []byte, inv *Invitation) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	c := ticketClaims{Kind: ticketKind, Claims: jwt.Claims{
		Issuer: ticketIssuer, Subject: inv.ID, IssuedAt: jwt.NewNumericDate(time.UnixMilli(inv.CreatedAt)),
	}}
	if inv.ExpiresAt != nil {
		c.Expiry = jwt.NewNumericDate(time.UnixMilli(*inv.ExpiresAt))
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

// parseTicket checks a ticket's signature and claims and returns the
// invitation ID it names.
func parseTicket(key []byte, raw string, now time.Time) (string, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		return "", TicketInvalid()
	}
	var c ticketClaims
	if err := tok.Claims(key, &c); err != nil || c.Kind != ticketKind || c.Subject == "" {
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
