package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTP sends email through one SMTP server. Messages are built by go-mail:
// multipart/alternative with the plain text first and the HTML second, a
// Message-ID derived from the message's ID so that a receiver can spot
// the duplicate a retry after a lost reply may cause.
type SMTP struct {
	opts []mail.Option
	host string
	// domain is the right-hand side of Message-IDs.
	domain string
}

// ParseSMTPURL builds an SMTP transport from CONCIERGE_SMTP_URL:
//
//	smtp://user:pass@host:port   STARTTLS when the server offers it (port 587 by default)
//	smtps://user:pass@host:port  TLS from the first byte (port 465 by default)
//
// Query parameters: auth= a mechanism (plain, login, cram-md5,
// scram-sha-256, ...; default: the best the server offers over TLS), and
// tls=required to refuse servers without STARTTLS. Passwords are not sent
// in clear text unless the host is a loopback address or auth=plain-noenc
// or login-noenc asks for it.
func ParseSMTPURL(raw, messageIDDomain string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("must be smtp://[user:pass@]host[:port] or smtps://…")
	}
	opts := []mail.Option{mail.WithTimeout(20 * time.Second)}
	port := 587
	switch u.Scheme {
	case "smtp":
		policy := mail.TLSOpportunistic
		if u.Query().Get("tls") == "required" {
			policy = mail.TLSMandatory
		}
		opts = append(opts, mail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("unsupported scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("invalid port %q", p)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		auth := mail.SMTPAuthAutoDiscover
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			// Nothing leaves the machine: a local relay may take PLAIN without TLS.
			auth = mail.SMTPAuthPlainNoEnc
		}
		if a := u.Query().Get("auth"); a != "" {
			if err := auth.UnmarshalString(a); err != nil {
				return nil, fmt.Errorf("auth=%s: %v", a, err)
			}
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	if _, err := mail.NewClient(u.Hostname(), opts...); err != nil {
		return nil, err
	}
	return &SMTP{opts: opts, host: u.Hostname(), domain: messageIDDomain}, nil
}

// Name implements Transport.
func (s *SMTP) Name() string { return "smtp" }

// Send implements Transport; it opens one connection per message.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return Permanent(fmt.Errorf("from %q: %w", m.From, err))
	}
	if err := msg.To(m.To); err != nil {
		return Permanent(fmt.Errorf("to %q: %w", m.To, err))
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + s.domain)
	msg.SetDateWithValue(time.UnixMilli(m.CreatedAt))
	text := ""
	if m.BodyPlain != nil {
		text = *m.BodyPlain
	}
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.Body)

	client, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if isRejected(err) {
		return Permanent(err)
	}
	return err
}

// isRejected reports whether the server refused the message itself with a
// 5xx reply (unknown recipient, refused content): sending it again would
// get the same answer. Connection and authentication failures are retried,
// since fixing the relay's configuration makes them pass.
func isRejected(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) || se.ErrorCode() < 500 || se.ErrorCode() > 599 {
		return false
	}
	for _, r := range []mail.SendErrReason{mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose} {
		if se.Reason == r {
			return true
		}
	}
	return false
}
