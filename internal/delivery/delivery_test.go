package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPlainText(t *testing.T) {
	cases := map[string]string{
		`plain words`: "plain words",
		`<p>One</p><p>Two <b>bold</b> and <i>it</i>.</p>`: "One\n\nTwo bold and it.",
		`Line<br>break`: "Line\nbreak",
		`<a href="https://x.example/a?b=1&amp;c=2">Open</a>`:            "Open (https://x.example/a?b=1&c=2)",
		`<a href="#top">Top</a> <a href="mailto:a@b.c">mail</a>`:        "Top mail",
		`<style>p{color:red}</style><script>alert(1)</script><p>ok</p>`: "ok",
		`Tom &amp; Jerry &lt;3`:                                         "Tom & Jerry <3",
		"<ul><li>a</li><li>b</li></ul>":                                 "a\n\nb",
		"  spaced \n\n out  ":                                           "spaced out",
	}
	for in, want := range cases {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBackoffDoublesWithinBounds(t *testing.T) {
	d := &Dispatcher{BaseDelay: time.Second, MaxDelay: time.Minute}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 7: time.Minute, 40: time.Minute} {
		for range 20 {
			got := d.backoff(n)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("backoff(%d) = %s, want %s ±20%%", n, got, want)
			}
		}
	}
}

func TestRenderInvitationEscapes(t *testing.T) {
	subject, html, text, err := RenderEmail("invitation", Invitation{AppName: `<b>Acme</b> & Co`,
		Email: "a@example.com", URL: "https://c.example/v1/tickets/accept?ticket=abc.def", Expires: "May 1"})
	if err != nil {
		t.Fatal(err)
	}
	if subject != "You're invited to join <b>Acme</b> & Co" {
		t.Fatalf("subject %q", subject)
	}
	if strings.Contains(html, "<b>Acme") || !strings.Contains(html, "&lt;b&gt;Acme&lt;/b&gt; &amp; Co") {
		t.Fatalf("the HTML does not escape the name:\n%s", html)
	}
	if !strings.Contains(html, `href="https://c.example/v1/tickets/accept?ticket=abc.def"`) || !strings.Contains(text, "ticket=abc.def") {
		t.Fatalf("link missing:\n%s\n%s", html, text)
	}
	sms, err := RenderSMS("invitation", Invitation{AppName: "Acme", URL: "https://c.example/sign-up"})
	if err != nil || sms != "You're invited to join Acme: https://c.example/sign-up" {
		t.Fatalf("sms %q %v", sms, err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for _, ok := range []string{"smtp://mail.example.com", "smtp://u:p@mail.example.com:2525", "smtps://u:p@mail.example.com",
		"smtp://u:p@127.0.0.1:25?auth=login", "smtp://mail.example.com?tls=required"} {
		if _, err := ParseSMTPURL(ok, "example.com"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "mail.example.com", "http://mail.example.com", "smtp://", "smtp://h:99999", "smtp://u:p@h?auth=rot13"} {
		if _, err := ParseSMTPURL(bad, "example.com"); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("error repeats the password: %v", err)
		}
	}
}

// TestGatewayAnswers: which HTTP answers are retried and which fail a
// message for good.
func TestGatewayAnswers(t *testing.T) {
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	hook := &Webhook{URL: srv.URL}
	m := NewSMS(time.Now(), "+15005550006", "+14155552671", "hi")
	for code, want := range map[int]string{200: "ok", 201: "ok", 400: "permanent", 422: "permanent", 401: "retry",
		404: "retry", 408: "retry", 429: "retry", 500: "retry", 503: "retry"} {
		status = code
		err := hook.Send(context.Background(), m)
		got := "ok"
		if err != nil {
			got = "retry"
			if IsPermanent(err) {
				got = "permanent"
			}
		}
		if got != want {
			t.Errorf("HTTP %d: %s, want %s", code, got, want)
		}
	}
}
