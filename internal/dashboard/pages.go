package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/identifier"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

type overviewData struct {
	Users, ActiveSessions, PendingInvitations, FailedMessages int64
	Chart                                                     chart
}

// chart is a bar chart of sign-ups per day, drawn as inline SVG.
type chart struct {
	Width, Height int
	Bars          []bar
	Max           int64
	Total         int64
	First, Last   string
}

type bar struct {
	X, Y, W, H int
	Label      string
}

const chartDays = 30

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var data overviewData
	var err error
	if data.Users, err = d.Users.Count(ctx, user.Filter{}); err != nil {
		return err
	}
	if _, data.ActiveSessions, err = d.Sessions.Sessions(ctx, session.Filter{Status: session.Active, Limit: 1}); err != nil {
		return err
	}
	if _, data.PendingInvitations, err = d.Invitations.List(ctx, invitation.Query{Statuses: []string{invitation.Pending}, Limit: 1,
		Order: invitation.Order{Field: "created_at"}}); err != nil {
		return err
	}
	if _, data.FailedMessages, err = d.Store.Messages(ctx, "", delivery.Failed, 1, 0); err != nil {
		return err
	}
	today := d.Now().UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -(chartDays - 1))
	counts, err := d.Store.SignUpsPerDay(ctx, first.UnixMilli())
	if err != nil {
		return err
	}
	c := chart{Width: 600, Height: 160, First: first.Format("Jan 2"), Last: today.Format("Jan 2")}
	for i := 0; i < chartDays; i++ {
		n := counts[first.AddDate(0, 0, i).UnixMilli()/86400000]
		c.Max, c.Total = max(c.Max, n), c.Total+n
	}
	bw := c.Width / chartDays
	for i := 0; i < chartDays; i++ {
		day := first.AddDate(0, 0, i)
		n := counts[day.UnixMilli()/86400000]
		h := 0
		if c.Max > 0 {
			h = int(n * int64(c.Height-20) / c.Max)
		}
		c.Bars = append(c.Bars, bar{X: i * bw, Y: c.Height - h, W: bw - 2, H: h,
			Label: fmt.Sprintf("%s: %d sign-up(s)", day.Format("Jan 2"), n)})
	}
	data.Chart = c
	return d.render(w, r, "overview", http.StatusOK, view{Title: "Overview", Nav: "overview", Data: data})
}

func (d *Dashboard) sessions(w http.ResponseWriter, r *http.Request) error {
	list, total, err := d.Sessions.Sessions(r.Context(), session.Filter{Status: session.Active, Limit: 100})
	if err != nil {
		return err
	}
	now := d.Now().UnixMilli()
	rows := make([]sessionRow, 0, len(list))
	for _, s := range list {
		rows = append(rows, sessionRowOf(s, now))
	}
	return d.render(w, r, "sessions", http.StatusOK, view{Title: "Sessions", Nav: "sessions",
		Data: map[string]any{"Rows": rows, "Total": total}})
}

func (d *Dashboard) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.Sessions.Revoke(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	next := r.PostForm.Get("next")
	if !strings.HasPrefix(next, "/dashboard") {
		next = "/dashboard/sessions"
	}
	return back(w, r, next, "revoked")
}

type invitationRow struct {
	ID, Email, Status, URL string
	CreatedAt              int64
	ExpiresAt              *int64
}

func (d *Dashboard) invitations(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	q := invitation.Query{Limit: 100, Order: invitation.Order{Field: "created_at", Desc: true}}
	if status != "" && status != "all" {
		q.Statuses = []string{status}
	}
	list, total, err := d.Invitations.List(r.Context(), q)
	if err != nil {
		return err
	}
	now := d.Now().UnixMilli()
	rows := []invitationRow{}
	for i := range list {
		inv := &list[i]
		row := invitationRow{ID: inv.ID, Email: inv.EmailAddress, Status: inv.StatusAt(now), CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
		if row.Status == invitation.Pending {
			row.URL, _ = d.Invitations.URL(inv)
		}
		rows = append(rows, row)
	}
	return d.render(w, r, "invitations", http.StatusOK, view{Title: "Invitations", Nav: "invitations",
		Data: map[string]any{"Rows": rows, "Total": total, "Status": status,
			"Statuses": []string{"all", "pending", "accepted", "revoked", "expired"}}})
}

// createInvitations invites one address, or each line of a pasted list
// (all or none).
func (d *Dashboard) createInvitations(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	notify := f.Get("notify") == "true"
	var ps []invitation.CreateParams
	for _, line := range strings.FieldsFunc(f.Get("emails"), func(r rune) bool { return r == '\n' || r == ',' || r == ';' }) {
		if e := strings.TrimSpace(line); e != "" {
			ps = append(ps, invitation.CreateParams{EmailAddress: &e, Notify: &notify})
		}
	}
	var err error
	switch len(ps) {
	case 0:
		err = errs.ParamMissing("emails")
	case 1:
		_, err = d.Invitations.Create(r.Context(), ps[0])
	default:
		_, err = d.Invitations.BulkCreate(r.Context(), ps)
	}
	if err != nil {
		return err
	}
	return back(w, r, "/dashboard/invitations", "created")
}

func (d *Dashboard) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.Invitations.Revoke(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/invitations", "revoked")
}

func (d *Dashboard) allowlist(w http.ResponseWriter, r *http.Request) error {
	list, total, err := d.Allowlist.List(r.Context(), 500, 0)
	if err != nil {
		return err
	}
	return d.render(w, r, "allowlist", http.StatusOK, view{Title: "Allowlist", Nav: "allowlist",
		Data: map[string]any{"Rows": list, "Total": total}})
}

func (d *Dashboard) addAllowlist(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.Allowlist.Create(r.Context(), r.PostForm.Get("identifier"), r.PostForm.Get("notify") == "true"); err != nil {
		return err
	}
	return back(w, r, "/dashboard/allowlist", "added")
}

func (d *Dashboard) deleteAllowlist(w http.ResponseWriter, r *http.Request) error {
	if err := d.Allowlist.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/allowlist", "removed")
}

func (d *Dashboard) messages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status := q.Get("status")
	if status != delivery.Queued && status != delivery.Sent && status != delivery.Failed {
		status = ""
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	list, total, err := d.Store.Messages(r.Context(), "", status, 50, max(0, offset))
	if err != nil {
		return err
	}
	return d.render(w, r, "messages", http.StatusOK, view{Title: "Messages", Nav: "messages",
		Data: map[string]any{"Rows": list, "Total": total, "Status": status,
			"Statuses": []string{"", delivery.Queued, delivery.Sent, delivery.Failed}}})
}

func (d *Dashboard) retryMessage(w http.ResponseWriter, r *http.Request) error {
	if err := d.Store.RequeueMessage(r.Context(), r.PathValue("id"), d.Now().UnixMilli()); err != nil {
		return err
	}
	if d.Wake != nil {
		d.Wake()
	}
	return back(w, r, "/dashboard/messages", "retried")
}

// testMessage sends a test email or SMS to an address the operator gives,
// through the configured transport.
func (d *Dashboard) testMessage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	to := strings.TrimSpace(r.PostForm.Get("to"))
	live, err := d.Settings.Live(ctx)
	if err != nil {
		return err
	}
	now := d.Now()
	var m *delivery.Message
	if r.PostForm.Get("channel") == delivery.SMS {
		phone, err := identifier.Phone("to", to)
		if err != nil {
			return err
		}
		m = delivery.NewSMS(now, live.SMSSender(), phone, "Test message from "+live.AppName+" (Concierge).")
	} else {
		email, err := identifier.Email("to", to)
		if err != nil {
			return err
		}
		html := "<p>This is a test email from " + templateEscape(live.AppName) + ". If you can read it, email works.</p>"
		m = delivery.NewEmail(now, "noreply", d.EmailDomain, email, "Test email from "+live.AppName, html, delivery.PlainText(html))
	}
	m.Slug = "test"
	if err := d.Store.Queue(ctx, m); err != nil {
		return err
	}
	if d.Wake != nil {
		d.Wake()
	}
	return back(w, r, "/dashboard/messages", "sent")
}

func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

type settingRow struct {
	Key, Label, Help, Value, Source string
	Secret, IsSet                   bool
	Options                         []string
}

var settingLabels = map[string][2]string{
	instance.SignUpMode:          {"Sign-up mode", "public: anyone; restricted: allowlisted identifiers and invited addresses; invitation_only: invited addresses; waitlist: invited addresses, others join the waitlist."},
	instance.RequiredIdentifiers: {"Required identifiers", "What a new account must give (and verify), with a password."},
	instance.StrictEnumerationProtection: {"Strict enumeration protection",
		"true: a sign-in for an address with no account goes on to the password or code step, so nobody can learn which accounts exist; false (Clerk's default): it is told the account was not found."},
	instance.WebhookAllowPrivate:         {"Webhooks to private networks", "true: webhook endpoints may be on loopback or private addresses (development only)."},
	instance.SessionClaims:               {"Custom session claims", "JSON merged into every session token, with shortcodes such as {\"role\": \"{{user.public_metadata.role}}\"}; at most 1,200 bytes (the token rides in a cookie)."},
	instance.DeleteSelf:                  {"Users may delete their account", "true (Clerk's default): the profile offers to delete the account; false: it is refused."},
	instance.Organizations:               {"Organizations", "true: users create, switch and manage organizations in your application (Clerk's organization components); false (Clerk's default): the Frontend API refuses them. The Backend API serves them either way."},
	instance.OrganizationDomains:         {"Verified domains", "true: organization admins add email domains, verify them with a code sent to an address there, and have users with addresses at them invited or suggested the organization; false (Clerk's default): admins cannot add domains. The Backend API manages domains either way."},
	instance.OrganizationCreate:          {"Users create organizations", "true (Clerk's default): users create organizations from your application; false: only the Backend API and this dashboard do."},
	instance.OrganizationMaxMemberships:  {"Members per new organization", "A new organization's max_allowed_memberships; 0 (the default) is no bound."},
	instance.OrganizationCreatorRole:     {"Creator's role", "The role an organization's creator gets (org:admin); it must hold org:sys_memberships:manage, or org:admin is given."},
	instance.SecondFactors:               {"Second factors", "What users may add in their profile, comma-separated: totp (an authenticator app), phone_code (SMS codes), backup_code; or none. A second factor a user already has is asked for at sign-in either way."},
	instance.ClientTrust:                 {"New-device check", "true (the default for new instances): a user without a second factor who signs in with a password on a browser never used for them confirms it with a code sent by email or SMS; false: not asked."},
	instance.MFARequired:                 {"Second factor required", "true: every user must add a second factor; until they do, their session is pending (clerk-js shows its setup-mfa step) and servers treat it as signed out. false (the default): optional."},
	instance.EmailLink:                   {"Email links", "true: users may sign in with a link emailed to them (\"magic link\"), and sign-ups and added addresses are verified by a link instead of a code; false (the default): codes only."},
	instance.EmailLinkSameClient:         {"Email links: same browser only", "true: a link opened in another browser than the one that asked for it is refused (client_mismatch); false (Clerk's default): it signs in the browser that asked for it."},
	instance.OrganizationAdminDelete:     {"Admins delete organizations", "true (Clerk's default): a new organization's admins may delete it; false: they may not."},
	instance.Blocklist:                   {"Blocklist", "true (the default): identifiers on the blocklist cannot sign up or sign in; false: the blocklist is kept but not applied."},
	instance.BlockEmailSubaddresses:      {"Block email subaddresses", "true: sign-ups with an address holding +, = or # before the @ (ada+news@example.com) are refused, unless invited; false (Clerk's default): allowed."},
	instance.BlockDisposableEmailDomains: {"Block disposable email domains", "true: sign-ups from throwaway-mail services (a shipped list, extended by CONCIERGE_DISPOSABLE_DOMAINS_FILE) are refused, unless invited; false (Clerk's default): allowed."},
	instance.SupportEmail:                {"Support email", "Contact address shown to users who need help (clerk-js's support links); empty: none."},
	instance.ApplicationName:             {"Application name", "Shown in emails and on the hosted pages."},
	instance.SessionLifetime:             {"Session lifetime", "How long a session lasts after sign-in, e.g. 168h."},
	instance.SessionInactivity:           {"Session inactivity", "A session not touched for this long is abandoned, e.g. 168h."},
	instance.SessionTokenTTL:             {"Token lifetime", "Lifetime of a session token (JWT), e.g. 60s."},
	instance.AllowedOrigins:              {"Allowed origins", "Comma-separated origins of your applications (https://app.example.com): browser calls and redirects."},
	instance.SMTPURL:                     {"SMTP URL", "smtp://user:pass@host:587 or smtps://…; empty: the development outbox."},
	instance.SMSWebhookURL:               {"SMS webhook URL", "Each SMS is POSTed there as JSON {id, to, from, message}."},
	instance.SMSWebhookSecret:            {"SMS webhook secret", "Signs webhook requests (Concierge-Signature)."},
	instance.SMSFrom:                     {"SMS sender", "Sender number or name given to the webhook."},
	instance.TwilioAccountSID:            {"Twilio account SID", "With the token and number below, SMS go through Twilio."},
	instance.TwilioAuthToken:             {"Twilio auth token", ""},
	instance.TwilioFrom:                  {"Twilio number", "E.164 sender number or messaging service SID."},
}

var settingOptions = map[string][]string{
	instance.SignUpMode:                  {instance.ModePublic, instance.ModeRestricted, instance.ModeInvitationOnly, instance.ModeWaitlist},
	instance.RequiredIdentifiers:         {"email_address", "phone_number", "email_address,phone_number"},
	instance.StrictEnumerationProtection: {"false", "true"},
	instance.DeleteSelf:                  {"true", "false"},
	instance.Organizations:               {"false", "true"},
	instance.OrganizationDomains:         {"false", "true"},
	instance.OrganizationCreate:          {"true", "false"},
	instance.OrganizationAdminDelete:     {"true", "false"},
	instance.WebhookAllowPrivate:         {"false", "true"},
	instance.EmailLink:                   {"false", "true"},
	instance.EmailLinkSameClient:         {"false", "true"},
}

func (d *Dashboard) settingRows(r *http.Request) ([]settingRow, error) {
	var rows []settingRow
	for _, k := range instance.Keys {
		v, err := d.Settings.Get(r.Context(), k)
		if err != nil {
			return nil, err
		}
		row := settingRow{Key: k, Label: settingLabels[k][0], Help: settingLabels[k][1], Value: v,
			Source: d.Settings.Source(r.Context(), k), Secret: instance.Secret(k), IsSet: v != "", Options: settingOptions[k]}
		if row.Secret {
			row.Value = "" // never sent back to the browser
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (d *Dashboard) settings(w http.ResponseWriter, r *http.Request) error {
	rows, err := d.settingRows(r)
	if err != nil {
		return err
	}
	return d.render(w, r, "settings", http.StatusOK, view{Title: "Settings", Nav: "settings", Data: rows})
}

// saveSettings stores every changed setting; secret fields left empty
// keep their value unless "clear" is ticked.
func (d *Dashboard) saveSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := r.PostForm
	// Validate everything first, so that a bad field saves nothing.
	changes := map[string]string{}
	for _, k := range instance.Keys {
		if _, ok := f[k]; !ok {
			continue
		}
		v := strings.TrimSpace(f.Get(k))
		if instance.Secret(k) && v == "" && f.Get(k+"_clear") != "true" {
			continue
		}
		cur, err := d.Settings.Get(ctx, k)
		if err != nil {
			return err
		}
		if v == cur {
			continue
		}
		if err := instance.Validate(k, v); err != nil {
			rows, rerr := d.settingRows(r)
			if rerr != nil {
				return rerr
			}
			msg, _ := message(err)
			return d.render(w, r, "settings", http.StatusUnprocessableEntity, view{Title: "Settings", Nav: "settings",
				Error: settingLabels[k][0] + ": " + msg, Data: rows})
		}
		changes[k] = v
	}
	for k, v := range changes {
		if err := d.Settings.Set(ctx, k, v); err != nil {
			return err
		}
	}
	return back(w, r, "/dashboard/settings", "saved")
}

type keysData struct {
	Publishable string
	Keys        []apikey.Key
	NewKey      string
}

func (d *Dashboard) keysData(r *http.Request) (keysData, error) {
	keys, err := d.Store.SecretKeys(r.Context())
	return keysData{Publishable: d.PublishableKey, Keys: keys}, err
}

func (d *Dashboard) apiKeys(w http.ResponseWriter, r *http.Request) error {
	data, err := d.keysData(r)
	if err != nil {
		return err
	}
	return d.render(w, r, "api_keys", http.StatusOK, view{Title: "API keys", Nav: "keys", Data: data})
}

// createKey makes a secret key and shows it once.
func (d *Dashboard) createKey(w http.ResponseWriter, r *http.Request) error {
	key := apikey.GenerateFor(strings.HasPrefix(d.PublishableKey, "pk_live_"))
	if err := d.Store.CreateSecretKey(r.Context(), apikey.NewKey(key, d.Now())); err != nil {
		return err
	}
	// A miss reloads the cache at most once a second: without this, the
	// key would be refused for up to a second after a recent reload.
	d.Keys.Forget()
	data, err := d.keysData(r)
	if err != nil {
		return err
	}
	data.NewKey = key
	return d.render(w, r, "api_keys", http.StatusOK, view{Title: "API keys", Nav: "keys",
		Notice: "Secret key created. Copy it now: it is not shown again.", Data: data})
}

func (d *Dashboard) revokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := d.Store.RevokeSecretKey(r.Context(), r.PathValue("id"), d.Now().UnixMilli()); err != nil {
		return err
	}
	d.Keys.Forget()
	return back(w, r, "/dashboard/api-keys", "revoked")
}
