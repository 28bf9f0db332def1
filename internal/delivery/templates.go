package delivery

import (
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// Templates: <name>.html holds the HTML body (inside frame.html's
// "frame.open" and "frame.close"), <name>.txt the plain-text alternative
// and a "<name>.subject" block, <name>.sms.txt an SMS. They are
// parsed once, at start.
//
//go:embed templates
var templateFS embed.FS

var (
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html"))
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt"))
)

// Invitation is what the invitation templates show.
type Invitation struct {
	AppName string
	Email   string // the invited address, or the phone number for an SMS
	URL     string
	Expires string // a date, or empty for an invitation that does not expire
}

// OrgInvitation is what the organization invitation templates show.
type OrgInvitation struct {
	AppName      string
	Organization string
	Email        string
	URL          string
	Expires      string
}

// FormatDate writes an expiry for a message: the UTC date and time.
func FormatDate(ms *int64) string {
	if ms == nil {
		return ""
	}
	return time.UnixMilli(*ms).UTC().Format("January 2, 2006 at 15:04 UTC")
}

// RenderEmail renders the email template name with data.
func RenderEmail(name string, data any) (subject, html, text string, err error) {
	var s, h, t strings.Builder
	if err = textTemplates.ExecuteTemplate(&s, name+".subject", data); err != nil {
		return
	}
	if err = htmlTemplates.ExecuteTemplate(&h, name+".html", data); err != nil {
		return
	}
	if err = textTemplates.ExecuteTemplate(&t, name+".txt", data); err != nil {
		return
	}
	return strings.TrimSpace(s.String()), strings.TrimSpace(h.String()), strings.TrimSpace(t.String()), nil
}

// RenderSMS renders the SMS template name with data.
func RenderSMS(name string, data any) (string, error) {
	var t strings.Builder
	err := textTemplates.ExecuteTemplate(&t, name+".sms.txt", data)
	return strings.TrimSpace(t.String()), err
}

// Code is what the verification-code templates show.
type Code struct {
	AppName string
	Code    string
}

// Link is what the email-link templates show.
type Link struct {
	AppName string
	URL     string
}
