package backendapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/invitation"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/smtptest"
)

// gateway is an HTTP test server standing in for an SMS gateway: it
// records each request and fails the first failures of them with 503.
type gateway struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []gatewayReq
	failures int
}

type gatewayReq struct {
	path, auth, idempotency, signature string
	form                               url.Values
	body                               []byte
}

func newGateway(t *testing.T, failures int) *gateway {
	g := &gateway{failures: failures}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.failures > 0 {
			g.failures--
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		form, _ := url.ParseQuery(string(body))
		g.reqs = append(g.reqs, gatewayReq{path: r.URL.Path, auth: r.Header.Get("Authorization"),
			idempotency: r.Header.Get("Idempotency-Key"), signature: r.Header.Get("Concierge-Signature"), form: form, body: body})
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"sid":"SM123"}`))
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) wait(t *testing.T, n int) []gatewayReq {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		reqs := append([]gatewayReq(nil), g.reqs...)
		g.mu.Unlock()
		if len(reqs) >= n {
			return reqs
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gateway: fewer than %d requests", n)
	return nil
}

// message is the email or sms_message object with the delivery fields.
type message struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	FromEmailName  string  `json:"from_email_name"`
	ToEmailAddress string  `json:"to_email_address"`
	EmailAddressID *string `json:"email_address_id"`
	ToPhoneNumber  string  `json:"to_phone_number"`
	FromPhone      string  `json:"from_phone_number"`
	PhoneNumberID  *string `json:"phone_number_id"`
	UserID         *string `json:"user_id"`
	Subject        string  `json:"subject"`
	Body           string  `json:"body"`
	BodyPlain      *string `json:"body_plain"`
	Message        string  `json:"message"`
	Attempts       int     `json:"attempts"`
	LastError      *string `json:"last_error"`
	SentAt         *int64  `json:"sent_at"`
}

func (e *env) message(path string) message {
	e.t.Helper()
	st, body := e.do("GET", path, nil)
	var m message
	if st != 200 || json.Unmarshal(body, &m) != nil {
		e.t.Fatalf("GET %s: %d %s", path, st, body)
	}
	return m
}

// waitStatus polls a message until cond holds.
func (e *env) waitMessage(path string, cond func(message) bool) message {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := e.message(path)
		if cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s never reached the expected state: %+v", path, m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) post(path string, body any) message {
	e.t.Helper()
	st, b := e.do("POST", path, body)
	var m message
	if st != 200 || json.Unmarshal(b, &m) != nil {
		e.t.Fatalf("POST %s: %d %s", path, st, b)
	}
	return m
}

// newUserWith creates a user with a verified email address and phone
// number and returns their identifier IDs.
func (e *env) newUserWith(email, phone string) (userID, emailID, phoneID string) {
	e.t.Helper()
	u, err := e.users.Create(context.Background(), &clerkuser.CreateParams{EmailAddresses: &[]string{email},
		PhoneNumbers: &[]string{phone}, SkipPasswordRequirement: ptr(true)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID, u.EmailAddresses[0].ID, u.PhoneNumbers[0].ID
}

// TestInvitationEmailOverSMTP: an invitation's email reaches a real SMTP
// server, from the instance's domain, with the application name and a
// link whose ticket the sign-up accepts.
func TestInvitationEmailOverSMTP(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		mail.User, mail.Password = "relay", "s3cret pass"
		e := newEnv(t, engine, withSMTP(mail), withSettings(map[string]string{instance.ApplicationName: "Acme Books"}))
		inv, err := e.invitations.Create(context.Background(), &invitation.CreateParams{EmailAddress: "ada@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		m := mail.Wait(1, 10*time.Second)[0]
		if m.From != "noreply@concierge.test" || len(m.To) != 1 || m.To[0] != "ada@example.com" {
			t.Fatalf("envelope: from %q to %q", m.From, m.To)
		}
		if s := m.Header.Get("Subject"); s != "You're invited to join Acme Books" {
			t.Fatalf("subject %q", s)
		}
		if id := m.Header.Get("Message-Id"); !strings.HasPrefix(id, "<ema_") || !strings.HasSuffix(id, "@concierge.test>") {
			t.Fatalf("Message-ID %q", id)
		}
		if !strings.Contains(m.Text, inv.URL) || !strings.Contains(m.Text, "Acme Books") {
			t.Fatalf("text part lacks the link or the name:\n%s", m.Text)
		}
		if !strings.Contains(m.HTML, `href="`+inv.URL+`"`) || !strings.Contains(m.HTML, "Acme Books") {
			t.Fatalf("HTML part lacks the link or the name:\n%s", m.HTML)
		}
		if code := e.verifyCode(ticketOf(t, inv.URL)); code != "" {
			t.Fatalf("the emailed ticket is refused: %s", code)
		}
		// notify:false sends nothing.
		if _, err := e.invitations.Create(context.Background(), &invitation.CreateParams{EmailAddress: "quiet@example.com", Notify: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if n := len(mail.Messages()); n != 1 {
			t.Fatalf("%d emails, want 1", n)
		}
	})
}

// TestAllowlistNotify: notify invites an email address by email (with an
// invitation) and a phone number by SMS.
func TestAllowlistNotify(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		sms := newGateway(t, 0)
		e := newEnv(t, engine, withSMTP(mail), withSMS(&delivery.Webhook{URL: sms.URL + "/hook", Secret: "whsec"}))
		ctx := context.Background()
		entry, err := e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("new@example.net"), Notify: ptr(true)})
		if err != nil || entry.InvitationID == nil {
			t.Fatalf("allowlist with notify: %v %+v", err, entry)
		}
		m := mail.Wait(1, 10*time.Second)[0]
		invs, err := e.invitations.List(ctx, &invitation.ListParams{})
		if err != nil || invs.TotalCount != 1 || invs.Invitations[0].ID != *entry.InvitationID {
			t.Fatalf("invitations: %v %+v", err, invs)
		}
		if m.To[0] != "new@example.net" || !strings.Contains(m.Text, invs.Invitations[0].URL) {
			t.Fatalf("notify email: %+v", m)
		}

		if _, err := e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("+14155552671"), Notify: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		r := sms.wait(t, 1)[0]
		var doc struct{ ID, To, From, Message string }
		if err := json.Unmarshal(r.body, &doc); err != nil || r.path != "/hook" {
			t.Fatalf("webhook body %s: %v", r.body, err)
		}
		if !strings.HasPrefix(doc.ID, "sms_") || doc.To != "+14155552671" || doc.From != "+15005550006" ||
			!strings.Contains(doc.Message, e.url+"/sign-up") || r.idempotency != doc.ID {
			t.Fatalf("webhook document %+v (Idempotency-Key %q)", doc, r.idempotency)
		}
		// The signature is an HMAC of "t.body" with the shared secret.
		ts, sig, _ := strings.Cut(strings.TrimPrefix(r.signature, "t="), ",v1=")
		mac := hmac.New(sha256.New, []byte("whsec"))
		mac.Write([]byte(ts + "."))
		mac.Write(r.body)
		if !hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil)))) {
			t.Fatalf("signature %q does not verify", r.signature)
		}

		// An address that belongs to a user is allowlisted without an invitation.
		e.newUserWith("member@example.net", "+14155550100")
		entry, err = e.allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: ptr("member@example.net"), Notify: ptr(true)})
		if err != nil || entry.InvitationID != nil {
			t.Fatalf("allowlisting a member with notify: %v %+v", err, entry)
		}
	})
}

// TestCreateEmail: POST /v1/emails queues an email that a real SMTP
// server receives with the right sender, recipient, subject and parts;
// GET shows the status move to sent.
func TestCreateEmail(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		e := newEnv(t, engine, withSMTP(mail))
		userID, emailID, phoneID := e.newUserWith("ada@example.com", "+14155552671")
		html := `<h1>Hello Ada</h1><p>Your report is <a href="https://app.example.com/r/1">ready</a>.</p>`
		m := e.post("/v1/emails", map[string]any{"from_email_name": "support", "subject": "Your report",
			"body": html, "email_address_id": emailID})
		if m.Object != "email" || !strings.HasPrefix(m.ID, "ema_") || m.Status != "queued" || m.FromEmailName != "support" ||
			m.ToEmailAddress != "ada@example.com" || *m.EmailAddressID != emailID || *m.UserID != userID || m.Body != html {
			t.Fatalf("email object: %+v", m)
		}
		got := mail.Wait(1, 10*time.Second)[0]
		if got.From != "support@concierge.test" || got.To[0] != "ada@example.com" || got.Header.Get("Subject") != "Your report" {
			t.Fatalf("received: from %q to %q subject %q", got.From, got.To, got.Header.Get("Subject"))
		}
		if got.HTML != html || got.Text != "Hello Ada\n\nYour report is ready (https://app.example.com/r/1)." {
			t.Fatalf("parts:\nhtml %q\ntext %q", got.HTML, got.Text)
		}
		sent := e.waitMessage("/v1/emails/"+m.ID, func(m message) bool { return m.Status == "sent" })
		if sent.Attempts != 1 || sent.SentAt == nil || sent.LastError != nil {
			t.Fatalf("sent email: %+v", sent)
		}

		// Errors.
		st, body := e.do("POST", "/v1/emails", map[string]any{"from_email_name": "support", "subject": "s", "body": "b", "email_address_id": "idn_nope"})
		envelope(t, st, body, 404, "resource_not_found")
		st, body = e.do("POST", "/v1/emails", map[string]any{"from_email_name": "support", "subject": "s", "body": "b", "email_address_id": phoneID})
		envelope(t, st, body, 404, "resource_not_found")
		full := map[string]any{"from_email_name": "support", "subject": "s", "body": "b", "email_address_id": emailID}
		for _, missing := range []string{"from_email_name", "subject", "body", "email_address_id"} {
			b := map[string]any{}
			for k, v := range full {
				if k != missing {
					b[k] = v
				}
			}
			st, body := e.do("POST", "/v1/emails", b)
			envelope(t, st, body, 422, "form_param_missing")
		}
		for k, v := range map[string]any{"from_email_name": "not an address", "subject": "two\nlines"} {
			b := map[string]any{}
			for k2, v2 := range full {
				b[k2] = v2
			}
			b[k] = v
			st, body := e.do("POST", "/v1/emails", b)
			envelope(t, st, body, 422, "form_param_format_invalid")
		}
		st, body = e.do("GET", "/v1/emails/ema_nope", nil)
		envelope(t, st, body, 404, "resource_not_found")
	})
}

// TestCreateSMS: POST /v1/sms_messages over the webhook and over Twilio's
// Messages API, with a gateway that fails once and is retried.
func TestCreateSMS(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		hook := newGateway(t, 1)
		e := newEnv(t, engine, withSMS(&delivery.Webhook{URL: hook.URL}))
		userID, emailID, phoneID := e.newUserWith("ada@example.com", "+14155552671")
		m := e.post("/v1/sms_messages", map[string]any{"message": "Your code is 123456", "phone_number_id": phoneID})
		if m.Object != "sms_message" || !strings.HasPrefix(m.ID, "sms_") || m.Status != "queued" || m.ToPhoneNumber != "+14155552671" ||
			m.FromPhone != "+15005550006" || *m.PhoneNumberID != phoneID || *m.UserID != userID || m.Message != "Your code is 123456" {
			t.Fatalf("sms object: %+v", m)
		}
		r := hook.wait(t, 1)[0]
		if !strings.Contains(string(r.body), `"message":"Your code is 123456"`) {
			t.Fatalf("webhook body %s", r.body)
		}
		sent := e.waitMessage("/v1/sms_messages/"+m.ID, func(m message) bool { return m.Status == "sent" })
		if sent.Attempts != 2 || sent.LastError != nil || sent.SentAt == nil {
			t.Fatalf("after one 503 and a retry: %+v", sent)
		}
		st, body := e.do("POST", "/v1/sms_messages", map[string]any{"message": "x", "phone_number_id": emailID})
		envelope(t, st, body, 404, "resource_not_found")
		st, body = e.do("POST", "/v1/sms_messages", map[string]any{"phone_number_id": phoneID})
		envelope(t, st, body, 422, "form_param_missing")
		st, body = e.do("POST", "/v1/sms_messages", map[string]any{"message": strings.Repeat("x", 1601), "phone_number_id": phoneID})
		envelope(t, st, body, 422, "form_param_format_invalid")
		st, body = e.do("GET", "/v1/sms_messages/sms_nope", nil)
		envelope(t, st, body, 404, "resource_not_found")

		// Twilio.
		tw := newGateway(t, 0)
		e2 := newEnv(t, engine, withSMS(&delivery.Twilio{BaseURL: tw.URL, AccountSID: "AC123", AuthToken: "tok", From: "+15005550006"}))
		_, _, phone2 := e2.newUserWith("bob@example.com", "+14155550123")
		m = e2.post("/v1/sms_messages", map[string]any{"message": "Hello from Twilio", "phone_number_id": phone2})
		r = tw.wait(t, 1)[0]
		if r.path != "/2010-04-01/Accounts/AC123/Messages.json" || r.auth != "Basic QUMxMjM6dG9r" ||
			r.form.Get("To") != "+14155550123" || r.form.Get("From") != "+15005550006" || r.form.Get("Body") != "Hello from Twilio" {
			t.Fatalf("twilio request: %+v", r)
		}
		e2.waitMessage("/v1/sms_messages/"+m.ID, func(m message) bool { return m.Status == "sent" })
	})
}

// TestDeliveryFaults: with the SMTP server down messages stay queued and
// the API answers; when it returns each is delivered exactly once. A
// refused recipient fails at once; a restarted server resumes.
func TestDeliveryFaults(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		mail.Reject["bounce@example.com"] = true
		e := newEnv(t, engine, withSMTP(mail))
		_, emailID, _ := e.newUserWith("ada@example.com", "+14155552671")
		mail.Stop()

		var ids []string
		for i := range 3 {
			m := e.post("/v1/emails", map[string]any{"from_email_name": "news", "subject": "Issue " + string(rune('A'+i)),
				"body": "<p>hi</p>", "email_address_id": emailID})
			ids = append(ids, m.ID)
		}
		for _, id := range ids {
			m := e.waitMessage("/v1/emails/"+id, func(m message) bool { return m.Attempts >= 2 })
			if m.Status != "queued" || m.LastError == nil || m.SentAt != nil {
				t.Fatalf("while SMTP is down: %+v", m)
			}
		}
		if st, _ := e.do("GET", "/v1/users", nil); st != 200 {
			t.Fatalf("API while SMTP is down: %d", st)
		}
		mail.Restart()
		for _, id := range ids {
			e.waitMessage("/v1/emails/"+id, func(m message) bool { return m.Status == "sent" })
		}
		time.Sleep(200 * time.Millisecond) // room for a duplicate to show up
		if got := mail.Messages(); len(got) != 3 {
			t.Fatalf("%d emails received, want exactly 3", len(got))
		}

		// A recipient the server refuses with 550 fails without retries.
		if _, err := e.invitations.Create(context.Background(), &invitation.CreateParams{EmailAddress: "bounce@example.com"}); err != nil {
			t.Fatal(err)
		}
		var failed delivery.Message
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if m := e.lastEmailTo("bounce@example.com"); m != nil && m.Status != delivery.Queued {
				failed = *m
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if failed.Status != delivery.Failed || failed.Attempts != 1 || failed.LastError == nil || !strings.Contains(*failed.LastError, "550") {
			t.Fatalf("refused recipient: %+v", failed)
		}
	})
}

// lastEmailTo finds the newest message to addr by reading the outbox.
func (e *env) lastEmailTo(addr string) *delivery.Message {
	e.t.Helper()
	invs, err := e.invitations.List(context.Background(), &invitation.ListParams{Query: &addr})
	if err != nil || len(invs.Invitations) == 0 {
		e.t.Fatalf("no invitation to %s: %v", addr, err)
	}
	msgs, err := e.db.MessagesTo(context.Background(), addr)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(msgs) == 0 {
		return nil
	}
	return msgs[len(msgs)-1]
}

// TestQueuedMessagesSurviveRestart: messages queued by a server that
// stopped before sending them are sent by the next one.
func TestQueuedMessagesSurviveRestart(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		first := newEnv(t, engine, withSMTP(mail), withoutDispatcher())
		_, emailID, _ := first.newUserWith("ada@example.com", "+14155552671")
		a := first.post("/v1/emails", map[string]any{"from_email_name": "a", "subject": "one", "body": "<p>1</p>", "email_address_id": emailID})
		inv, err := first.invitations.Create(context.Background(), &invitation.CreateParams{EmailAddress: "grace@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		first.stop()
		if n := len(mail.Messages()); n != 0 {
			t.Fatalf("%d emails sent without a dispatcher", n)
		}

		second := newEnv(t, engine, withSMTP(mail), withDSN(first.dsn))
		got := mail.Wait(2, 10*time.Second)
		second.waitMessage("/v1/emails/"+a.ID, func(m message) bool { return m.Status == "sent" })
		var sawLink bool
		for _, m := range got {
			sawLink = sawLink || strings.Contains(m.Text, inv.URL)
		}
		if !sawLink {
			t.Fatalf("the invitation sent after the restart lacks its link")
		}
	})
}

// TestTwoServersShareOneOutbox: two Concierge processes on one database
// each run a dispatcher; every message is delivered once.
func TestTwoServersShareOneOutbox(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		mail := smtptest.Start(t)
		a := newEnv(t, engine, withSMTP(mail))
		b := newEnv(t, engine, withSMTP(mail), withDSN(a.dsn))
		_, emailID, _ := a.newUserWith("ada@example.com", "+14155552671")
		const n = 40
		for i := range n {
			srv := a
			if i%2 == 1 {
				srv = b
			}
			srv.post("/v1/emails", map[string]any{"from_email_name": "news", "subject": "n", "body": "<p>x</p>", "email_address_id": emailID})
		}
		mail.Wait(n, 20*time.Second)
		time.Sleep(200 * time.Millisecond)
		seen := map[string]bool{}
		for _, m := range mail.Messages() {
			id := m.Header.Get("Message-Id")
			if seen[id] {
				t.Fatalf("message %s delivered twice", id)
			}
			seen[id] = true
		}
		if len(seen) != n {
			t.Fatalf("%d distinct messages, want %d", len(seen), n)
		}
	})
}

// TestTransportsFollowSettings: the SMTP relay is an instance setting;
// changing it (as the dashboard does) takes effect without a restart.
func TestTransportsFollowSettings(t *testing.T) {
	mail := smtptest.Start(t)
	e := newEnv(t, "sqlite")
	_, emailID, _ := e.newUserWith("ada@example.com", "+14155552671")
	first := e.post("/v1/emails", map[string]any{"from_email_name": "a", "subject": "before", "body": "<p>1</p>", "email_address_id": emailID})
	m := e.waitMessage("/v1/emails/"+first.ID, func(m message) bool { return m.Status == "sent" })
	if got, _ := e.db.MessagesTo(context.Background(), "ada@example.com"); len(got) != 1 || *got[0].Transport != "outbox" {
		t.Fatalf("before: %+v %+v", m, got)
	}
	if err := e.app.Settings.Set(context.Background(), instance.SMTPURL, mail.URL()); err != nil {
		t.Fatal(err)
	}
	e.post("/v1/emails", map[string]any{"from_email_name": "a", "subject": "after", "body": "<p>2</p>", "email_address_id": emailID})
	if got := mail.Wait(1, 10*time.Second)[0]; got.Header.Get("Subject") != "after" {
		t.Fatalf("after: %q", got.Header.Get("Subject"))
	}
}
