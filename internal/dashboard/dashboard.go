// Package dashboard serves the operators' web UI at /dashboard: users,
// organizations and their roles, invitations, the allowlist, sessions,
// the outbox, instance settings, API keys and the audit log. Pages are server-rendered html/template with a little
// JavaScript where it helps; every page needs a signed-in operator and
// every form a CSRF token.
package dashboard

import (
	"github.com/conciergehq/concierge/internal/blocklist"
	"github.com/conciergehq/concierge/internal/redirecturl"
	"github.com/conciergehq/concierge/internal/waitlist"
	"log/slog"

	"context"
	"embed"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/signintoken"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/operator"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/ratelimit"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/transfer"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

// Store is what the dashboard reads and writes beyond the services.
type Store interface {
	Messages(ctx context.Context, channel, status string, limit, offset int) ([]*delivery.Message, int64, error)
	RequeueMessage(ctx context.Context, id string, now int64) error
	Queue(ctx context.Context, m *delivery.Message) error
	SecretKeys(ctx context.Context) ([]apikey.Key, error)
	CreateSecretKey(ctx context.Context, k apikey.Key) error
	RevokeSecretKey(ctx context.Context, id string, now int64) error
	SignUpsPerDay(ctx context.Context, since int64) (map[int64]int64, error)
	// DeleteIdentifier removes one of a user's identifiers (a passkey).
	DeleteIdentifier(ctx context.Context, userID, identifierID string) error
}

// Dashboard is the operators' UI.
type Dashboard struct {
	Store       Store
	Operators   *operator.Service
	Users       *user.Service
	Sessions    *session.Service
	Invitations *invitation.Service
	Allowlist   *allowlist.Service
	Blocklist   *blocklist.Service
	Waitlist    *waitlist.Service
	Settings    *instance.Service
	Keys        *apikey.Keyring
	// RedirectURLs are the registered redirect URLs.
	RedirectURLs *redirecturl.Service
	// Wake tells the outbox that a message was queued.
	Wake      func()
	PublicURL string
	// Webhooks are the webhook endpoints.
	Webhooks *webhook.Service
	// OAuth holds the social sign-in providers' set-up.
	OAuth *oauth.Service
	// PublishableKey is the instance's, shown on the API keys page.
	PublishableKey string
	EmailDomain    string
	SignInLimit    *ratelimit.Limiter
	Now            func() time.Time
	// Transfer is where the import and export page reads and writes
	// users; MFAKey (the instance's "mfa" secret) seals and opens their
	// TOTP secrets.
	Transfer transfer.Store
	MFAKey   []byte
	// Tickets mints the actor tokens of "Sign in as this user".
	Tickets *signintoken.Service
	// Log records operators' impersonations.
	Log *slog.Logger
	// MaxUpload bounds an uploaded import file (0: 64 MiB); bigger files
	// go through concierge import.
	MaxUpload int64

	// Organizations are the instance's organizations and their members.
	Organizations *organization.Service
	// Audit is the audit log the audit page lists.
	Audit audit.Store
}

// CookieName holds an operator's session.
const CookieName = "__concierge_operator"

//go:embed templates assets
var files embed.FS

var funcs = template.FuncMap{
	"ms": func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04") },
	"msPtr": func(ms *int64) string {
		if ms == nil {
			return "—"
		}
		return time.UnixMilli(*ms).UTC().Format("2006-01-02 15:04")
	},
	"str": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"add":    func(a, b int) int { return a + b },
	"detail": detailLines,
	"clip": func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n]) + "…"
		}
		return s
	},
}

// pages are parsed on the first page served, not at start-up: parsing
// them all took 3 ms and 1.3 MB that a process serving only the APIs
// never needs.
var pages = sync.OnceValue(func() map[string]*template.Template {
	out := map[string]*template.Template{}
	names, _ := fs.Glob(files, "templates/*.html")
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		out[base] = template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/layout.html", n))
	}
	return out
})

// view is what every page template gets.
type view struct {
	Title    string
	Nav      string
	AppName  string
	Operator string
	CSRF     string
	Notice   string
	Error    string
	Data     any
}

type ctxKey struct{}

func operatorOf(r *http.Request) *operator.Session {
	s, _ := r.Context().Value(ctxKey{}).(*operator.Session)
	return s
}

// handler is a dashboard handler; errors not shown on a page become
// error pages.
type handler func(w http.ResponseWriter, r *http.Request) error

// Handler returns /dashboard and its pages.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	d.routes(mux)
	return mux
}

// routes is the route table, registered on mux (an http.ServeMux, or a
// recorder for Patterns).
func (d *Dashboard) routes(mux interface{ Handle(string, http.Handler) }) {
	open := func(p string, h handler) { mux.Handle(p, d.base(false, false, h)) }
	auth := func(p string, h handler) { mux.Handle(p, d.base(true, false, h)) }
	// upload is auth for a form that carries a file (see readFields).
	upload := func(p string, h handler) { mux.Handle(p, d.base(true, true, h)) }
	assets, _ := fs.Sub(files, "assets")
	mux.Handle("GET /dashboard/assets/", http.StripPrefix("/dashboard/assets/", http.FileServerFS(assets)))

	open("GET /dashboard/setup", d.setupPage)
	open("POST /dashboard/setup", d.setupSubmit)
	open("GET /dashboard/sign-in", d.signInPage)
	open("POST /dashboard/sign-in", d.signInSubmit)
	auth("POST /dashboard/sign-out", d.signOut)

	auth("GET /dashboard", d.overview)
	auth("GET /dashboard/{$}", d.overview)
	auth("GET /dashboard/users", d.users)
	auth("GET /dashboard/users/new", d.newUserPage)
	auth("POST /dashboard/users", d.createUser)
	auth("GET /dashboard/users/{id}", d.userPage)
	auth("POST /dashboard/users/{id}/metadata", d.userMetadata)
	auth("POST /dashboard/users/{id}/{action}", d.userAction)
	auth("POST /dashboard/users/{id}/passkeys/{passkey_id}/delete", d.deletePasskey)
	auth("POST /dashboard/sessions/{id}/revoke", d.revokeSession)
	auth("GET /dashboard/organizations", d.organizations)
	auth("POST /dashboard/organizations", d.createOrganization)
	auth("GET /dashboard/organizations/{id}", d.organizationPage)
	auth("POST /dashboard/organizations/{id}/update", d.updateOrganization)
	auth("POST /dashboard/organizations/{id}/metadata", d.organizationMetadata)
	auth("POST /dashboard/organizations/{id}/delete", d.deleteOrganization)
	auth("POST /dashboard/organizations/{id}/members", d.addMember)
	auth("POST /dashboard/organizations/{id}/members/{user_id}/role", d.setMemberRole)
	auth("POST /dashboard/organizations/{id}/members/{user_id}/remove", d.removeMember)
	auth("POST /dashboard/organizations/{id}/invitations", d.inviteToOrganization)
	auth("POST /dashboard/organizations/{id}/invitations/{invitation_id}/revoke", d.revokeOrgInvitation)
	auth("POST /dashboard/organizations/{id}/domains", d.addOrgDomain)
	auth("POST /dashboard/organizations/{id}/domains/{domain_id}/update", d.updateOrgDomain)
	auth("POST /dashboard/organizations/{id}/domains/{domain_id}/delete", d.deleteOrgDomain)
	auth("GET /dashboard/roles", d.roles)
	auth("POST /dashboard/roles", d.createRole)
	auth("POST /dashboard/roles/{id}/update", d.updateRole)
	auth("POST /dashboard/roles/{id}/delete", d.deleteRole)
	auth("POST /dashboard/permissions", d.createPermission)
	auth("POST /dashboard/permissions/{id}/delete", d.deletePermission)
	auth("GET /dashboard/sessions", d.sessions)
	auth("GET /dashboard/invitations", d.invitations)
	auth("POST /dashboard/invitations", d.createInvitations)
	auth("POST /dashboard/invitations/{id}/revoke", d.revokeInvitation)
	auth("GET /dashboard/allowlist", d.allowlist)
	auth("POST /dashboard/allowlist", d.addAllowlist)
	auth("POST /dashboard/allowlist/{id}/delete", d.deleteAllowlist)
	auth("GET /dashboard/blocklist", d.blocklist)
	auth("POST /dashboard/blocklist", d.addBlocklist)
	auth("POST /dashboard/blocklist/{id}/delete", d.deleteBlocklist)
	auth("GET /dashboard/waitlist", d.waitlist)
	auth("POST /dashboard/waitlist", d.addWaitlist)
	auth("POST /dashboard/waitlist/{id}/invite", d.inviteWaitlist)
	auth("POST /dashboard/waitlist/{id}/reject", d.rejectWaitlist)
	auth("POST /dashboard/waitlist/{id}/delete", d.deleteWaitlist)
	auth("GET /dashboard/redirect-urls", d.redirectURLs)
	auth("POST /dashboard/redirect-urls", d.addRedirectURL)
	auth("POST /dashboard/redirect-urls/{id}/delete", d.deleteRedirectURL)
	auth("GET /dashboard/messages", d.messages)
	auth("POST /dashboard/messages/{id}/retry", d.retryMessage)
	auth("POST /dashboard/messages/test", d.testMessage)
	auth("GET /dashboard/settings", d.settings)
	auth("POST /dashboard/settings", d.saveSettings)
	auth("GET /dashboard/webhooks", d.webhooks)
	auth("POST /dashboard/webhooks", d.createEndpoint)
	auth("POST /dashboard/webhooks/{id}/{action}", d.endpointAction)
	auth("POST /dashboard/webhook-deliveries/{id}/replay", d.replayDelivery)
	auth("GET /dashboard/social", d.social)
	auth("POST /dashboard/social/{strategy}", d.saveProvider)
	auth("GET /dashboard/api-keys", d.apiKeys)
	auth("POST /dashboard/api-keys", d.createKey)
	auth("POST /dashboard/api-keys/{id}/revoke", d.revokeKey)
	auth("GET /dashboard/audit", d.audit)
	auth("GET /dashboard/import-export", d.transferPage)
	upload("POST /dashboard/import-export/import", d.importUpload)
	auth("POST /dashboard/import-export/export", d.exportDownload)
}

// patternList records the patterns registered on it.
type patternList []string

func (l *patternList) Handle(pattern string, _ http.Handler) { *l = append(*l, pattern) }

// Patterns lists the dashboard's route patterns in the route table's
// order (for cmd/concierge-fuzz).
func Patterns() []string {
	var l patternList
	(&Dashboard{}).routes(&l)
	return l
}

// base sets the pages' security headers, checks form posts (origin,
// CSRF token) and, for protected pages, the operator's session. An
// upload route also takes a multipart form, up to MaxUpload.
func (d *Dashboard) base(protected, upload bool, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		var sess *operator.Session
		if ck, err := r.Cookie(CookieName); err == nil {
			s, err := d.Operators.Session(r.Context(), ck.Value)
			if err != nil {
				d.fail(w, r, err)
				return
			}
			sess = s
		}
		if protected && sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/dashboard/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			} else {
				http.Error(w, "Sign in first.", http.StatusUnauthorized)
			}
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, sess)
		if sess != nil {
			// What the operator changes is recorded as theirs.
			ctx = audit.WithActor(ctx, audit.Actor{Kind: audit.Operator, ID: sess.Operator.ID, Name: sess.Operator.Email,
				IP: httpcheck.ClientIP(r), UserAgent: r.UserAgent()})
		}
		if r.Method == http.MethodPost {
			withFile := upload && isMultipart(r)
			if withFile {
				r.Body = http.MaxBytesReader(w, r.Body, d.maxUpload())
				extendDeadlines(w)
			} else {
				r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			}
			if !httpcheck.SameOrigin(d.PublicURL, r) {
				http.Error(w, "Forbidden: the form was not sent from this site.", http.StatusForbidden)
				return
			}
			// Paths and queries were checked by the server (CleanParams);
			// form values are checked here (an uploaded file is not a
			// form value: what reads it checks it).
			var err error
			if withFile {
				ctx, err = readFields(ctx, r)
			} else {
				err = r.ParseForm()
			}
			if err != nil || !httpcheck.CleanValues(r.PostForm) {
				http.Error(w, "Bad request.", http.StatusBadRequest)
				return
			}
			// Signed-in forms carry the session's token; the sign-in and
			// set-up forms are protected by the origin check alone.
			if sess != nil && !operator.CSRFValid(sess, r.PostForm.Get("csrf")) {
				http.Error(w, "Forbidden: the form's security token is missing or out of date. Reload the page.", http.StatusForbidden)
				return
			}
		}
		r = r.WithContext(ctx)
		if err := h(w, r); err != nil {
			d.fail(w, r, err)
		}
	})
}

// render writes a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name string, status int, v view) error {
	if v.AppName == "" {
		v.AppName, _ = d.Settings.AppName(r.Context())
	}
	if s := operatorOf(r); s != nil {
		v.Operator, v.CSRF = s.Operator.Email, s.CSRF
	}
	if v.Notice == "" {
		v.Notice = notices[r.URL.Query().Get("notice")]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages()[name].ExecuteTemplate(w, "layout", v); err != nil && !respond.Gone(w, r) {
		respond.Logger(r.Context()).Error("dashboard render failed", "page", name, "err", err)
	}
	return nil
}

var notices = map[string]string{
	"saved": "Saved.", "revoked": "Revoked.", "deleted": "Deleted.", "created": "Created.", "added": "Added.",
	"removed": "Removed.", "retried": "Queued again.", "sent": "Queued for sending.", "banned": "User banned.",
	"unbanned": "Ban lifted.", "locked": "User locked.", "unlocked": "User unlocked.", "mfa_reset": "Second factors removed.", "passkey_removed": "Passkey removed.",
}

// fail shows an error page: a client error's message, or a generic one.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	if respond.Gone(w, r) {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side."
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal {
		msg = e.LongMessage
		switch e.Kind {
		case errs.NotFound:
			status = http.StatusNotFound
		case errs.TooManyRequests:
			status = http.StatusTooManyRequests
		default:
			status = http.StatusUnprocessableEntity
		}
	} else {
		respond.Logger(r.Context()).Error("dashboard failed", "err", err)
	}
	d.render(w, r, "error", status, view{Title: "Error", Error: msg})
}

// back redirects to path with a notice.
func back(w http.ResponseWriter, r *http.Request, path, notice string) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"notice="+notice, http.StatusSeeOther)
	return nil
}

// message is an error's text for a form.
func message(err error) (string, bool) {
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.Internal {
		return "", false
	}
	return e.LongMessage, true
}
