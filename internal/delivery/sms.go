package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook sends SMS by POSTing a JSON document {id, to, from, message} to
// a gateway of the operator's choice. The message ID is also sent as the
// Idempotency-Key header, so that a gateway can drop the duplicate a retry
// may cause. With a secret, each request carries
// Concierge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">.
type Webhook struct {
	URL    string
	Secret string
	Client *http.Client
	Now    func() time.Time
}

// Name implements Transport.
func (w *Webhook) Name() string { return "sms_webhook" }

// Send implements Transport.
func (w *Webhook) Send(ctx context.Context, m *Message) error {
	body, err := json.Marshal(struct {
		ID      string `json:"id"`
		To      string `json:"to"`
		From    string `json:"from"`
		Message string `json:"message"`
	}{m.ID, m.To, m.From, m.Body})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", m.ID)
	if w.Secret != "" {
		now := time.Now
		if w.Now != nil {
			now = w.Now
		}
		t := strconv.FormatInt(now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(w.Secret))
		mac.Write([]byte(t + "."))
		mac.Write(body)
		req.Header.Set("Concierge-Signature", "t="+t+",v1="+hex.EncodeToString(mac.Sum(nil)))
	}
	return post(w.Client, req)
}

// Twilio sends SMS through Twilio's Messages API.
type Twilio struct {
	// BaseURL is https://api.twilio.com unless a test points it elsewhere.
	BaseURL    string
	AccountSID string
	AuthToken  string
	From       string
	Client     *http.Client
}

// Name implements Transport.
func (t *Twilio) Name() string { return "twilio" }

// Send implements Transport.
func (t *Twilio) Send(ctx context.Context, m *Message) error {
	form := url.Values{"To": {m.To}, "From": {t.From}, "Body": {m.Body}}
	endpoint := strings.TrimRight(t.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	return post(t.Client, req)
}

// post sends req and classifies the answer: 2xx is success; a 4xx that
// describes the request itself (bad number, refused content) is
// permanent; server errors, throttling and the 4xx a configuration fix
// cures (401, 403, 404) are retried.
func post(client *http.Client, req *http.Request) error {
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("%s answered %s: %s", req.URL.Host, res.Status, bytes.TrimSpace(detail))
	switch res.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusRequestTimeout, http.StatusTooManyRequests:
		return err
	}
	if res.StatusCode >= 400 && res.StatusCode < 500 {
		return Permanent(err)
	}
	return err
}
