// Package frontendapi serves Clerk's Frontend API (the calls a browser or
// a native app makes to sign up, sign in and keep a session) as
// frontend-api.md captures it from clerk-js: form or JSON bodies, method
// tunnelling, credentialed CORS for the application's origins, the client
// identified by the __client cookie or the Authorization header, and the
// {"response", "client"} envelope.
package frontendapi

import (
	"context"
	"github.com/conciergehq/concierge/internal/testingtoken"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/handshake"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/images"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/ratelimit"
	"github.com/conciergehq/concierge/internal/redirecturl"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/waitlist"
)

// API is the Frontend API.
type API struct {
	Sessions    *session.Service
	UserRules   *user.Service
	Settings    *instance.Service
	Invitations *invitation.Service
	// Waitlist takes the addresses that join while sign-up is in
	// waitlist mode.
	Waitlist  *waitlist.Service
	Profile   Profile
	PublicURL string
	// Origins returns the application origins that may call from a
	// browser and be redirected back to (an instance setting).
	Origins func(context.Context) []string
	// RedirectURLs are the registered redirect URLs (custom schemes of
	// native apps, or exact web URLs), allowed besides Origins.
	RedirectURLs *redirecturl.Service

	// Production instances set __client_uat on CookieDomain (the
	// applications' registrable domain) and hand the handshake payload
	// over in a cookie there; PublishableKey gives the cookies' suffix.
	Production bool
	// TestingKey checks the testing tokens (__clerk_testing_token) that
	// lift the rate limits of a development instance's test suites.
	TestingKey     []byte
	CookieDomain   string
	PublishableKey string
	Nonces         *handshake.Nonces
	// OAuth lists the social providers the environment offers.
	OAuth *oauth.Service
	// Organizations are the user's organizations and memberships.
	Organizations *organization.Service
	// Passkeys registers passkeys; PasskeyCeremonies keeps the
	// registrations begun.
	Passkeys          *passkey.Service
	PasskeyCeremonies PasskeyCeremonies
	// Backend serves the requests with a secret key on the paths both
	// APIs have (/v1/organizations…).
	Backend http.Handler

	// Per-IP limits, as Clerk's: creating sign-ins and sign-ups, and
	// attempting a factor or a code.
	SignInLimit, SignUpLimit, AttemptLimit *ratelimit.Limiter
}

// New returns an API with Clerk's rate limits.
func New() *API {
	return &API{SignInLimit: ratelimit.New(5, 10*time.Second), SignUpLimit: ratelimit.New(5, 10*time.Second),
		AttemptLimit: ratelimit.New(3, 10*time.Second)}
}

// ClientCookie is the cookie holding the client token.
const ClientCookie = "__client"

type ctxKey int

const clientKey ctxKey = 0

// testingKey marks a request that carried a valid testing token.
const testingKey ctxKey = 1

// handler is a Frontend API handler; it returns its error for the
// envelope.
type handler func(w http.ResponseWriter, r *http.Request) error

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		respond.Error(w, r, err)
	}
}

// Routes registers the Frontend API's routes on mux.
func (a *API) Routes(mux backendapi.Mux) {
	routes := map[string]bool{}
	h := func(pattern string, fn handler) {
		routes[pattern] = true
		mux.Handle(pattern, a.transport(fn))
	}
	h("GET /v1/environment", a.environment)
	h("PATCH /v1/environment", a.environment)
	h("GET /v1/client", a.getClient)
	h("POST /v1/client", a.createClient)
	h("PUT /v1/client", a.createClient)
	h("DELETE /v1/client", a.deleteClient)
	h("DELETE /v1/client/sessions", a.signOutAll)
	// Creating a sign-up or sign-in makes the client if there is none;
	// the other calls need one.
	h("POST /v1/client/sign_ups", a.withClient(limitSignUp, true, a.createSignUp))
	h("GET /v1/client/sign_ups/{id}", a.withClient(noLimit, false, a.getSignUp))
	h("PATCH /v1/client/sign_ups/{id}", a.withClient(noLimit, false, a.updateSignUp))
	h("POST /v1/client/sign_ups/{id}/prepare_verification", a.withClient(noLimit, false, a.prepareSignUp))
	h("POST /v1/client/sign_ups/{id}/attempt_verification", a.withClient(limitAttempt, false, a.attemptSignUp))
	h("POST /v1/client/sign_ins", a.withClient(limitSignIn, true, a.createSignIn))
	h("GET /v1/client/sign_ins/{id}", a.withClient(noLimit, false, a.getSignIn))
	h("PATCH /v1/client/sign_ins/{id}", a.withClient(limitSignIn, false, a.updateSignIn))
	h("POST /v1/client/sign_ins/{id}/prepare_first_factor", a.withClient(noLimit, false, a.prepareFirstFactor))
	h("POST /v1/client/sign_ins/{id}/attempt_first_factor", a.withClient(limitAttempt, false, a.attemptFirstFactor))
	h("POST /v1/client/sign_ins/{id}/reset_password", a.withClient(limitAttempt, false, a.resetPassword))
	h("POST /v1/client/sign_ins/{id}/prepare_second_factor", a.withClient(noLimit, false, a.prepareSecondFactor))
	h("POST /v1/client/sign_ins/{id}/attempt_second_factor", a.withClient(limitAttempt, false, a.attemptSecondFactor))
	h("PATCH /v1/client/sign_ups/{id}/protect_check", a.withClient(noLimit, false, a.protectCheckSignUp))
	h("PATCH /v1/client/sign_ins/{id}/protect_check", a.withClient(noLimit, false, a.protectCheckSignIn))
	h("GET /v1/client/touch", a.clientTouch)
	h("POST /v1/client/verify", a.withClient(noLimit, false, a.clientVerify))
	h("PATCH /v1/dev_tools/enable_environment_setting", a.enableEnvironmentSetting)
	h("GET /v1/client/sessions/{id}", a.withClient(noLimit, false, a.getSession))
	h("POST /v1/client/sessions/{id}/touch", a.withClient(noLimit, false, a.touchSession))
	h("POST /v1/client/sessions/{id}/tokens", a.withClient(noLimit, false, a.mintToken))
	h("POST /v1/client/sessions/{id}/tokens/{template}", a.withClient(noLimit, false, a.mintToken))
	h("POST /v1/client/sessions/{id}/end", a.withClient(noLimit, false, a.endSession(session.Ended)))
	h("POST /v1/client/sessions/{id}/remove", a.withClient(noLimit, false, a.endSession(session.Removed)))
	h("POST /v1/client/sessions/{id}/verify", a.withClient(noLimit, false, a.startReverification))
	h("POST /v1/client/sessions/{id}/verify/prepare_first_factor", a.withClient(noLimit, false, a.reverifyStep(false, false)))
	h("POST /v1/client/sessions/{id}/verify/attempt_first_factor", a.withClient(limitAttempt, false, a.reverifyStep(false, true)))
	h("POST /v1/client/sessions/{id}/verify/prepare_second_factor", a.withClient(noLimit, false, a.reverifyStep(true, false)))
	h("POST /v1/client/sessions/{id}/verify/attempt_second_factor", a.withClient(limitAttempt, false, a.reverifyStep(true, true)))
	h("POST /v1/waitlist", a.joinWaitlist)
	h("GET /v1/me", a.withMe(noLimit, a.getMe))
	h("PATCH /v1/me", a.withMe(noLimit, a.updateMe))
	h("DELETE /v1/me", a.withMe(noLimit, a.sensitive(a.deleteMe)))
	h("PATCH /v1/me/metadata", a.withMe(noLimit, a.updateMyMetadata))
	h("POST /v1/me/change_password", a.withMe(limitAttempt, a.sensitive(a.changePassword)))
	h("POST /v1/me/remove_password", a.withMe(limitAttempt, a.sensitive(a.removePassword)))
	routes["POST /v1/me/profile_image"] = true
	mux.Handle("POST /v1/me/profile_image", a.transportLimit(a.setProfileImage, images.MaxBytes+64<<10))
	h("DELETE /v1/me/profile_image", a.withMe(noLimit, a.deleteProfileImage))
	h("POST /v1/me/totp", a.withMe(noLimit, a.sensitive(a.createTOTP)))
	h("POST /v1/me/totp/attempt_verification", a.withMe(limitAttempt, a.verifyTOTP))
	h("DELETE /v1/me/totp", a.withMe(noLimit, a.sensitive(a.deleteTOTP)))
	h("POST /v1/me/backup_codes", a.withMe(noLimit, a.sensitive(a.createBackupCodes)))
	h("POST /v1/me/backup_codes/{$}", a.withMe(noLimit, a.sensitive(a.createBackupCodes)))
	for _, p := range []string{"/v1/me/passkeys", "/v1/me/passkeys/{$}"} {
		h("POST "+p, a.withMe(noLimit, a.sensitive(a.createPasskey)))
	}
	h("POST /v1/me/passkeys/{id}/attempt_verification", a.withMe(limitAttempt, a.verifyPasskey))
	h("PATCH /v1/me/passkeys/{id}", a.withMe(noLimit, a.renamePasskey))
	h("DELETE /v1/me/passkeys/{id}", a.withMe(noLimit, a.sensitive(a.deletePasskey)))
	h("GET /v1/me/email_addresses", a.withMe(noLimit, a.listEmails))
	h("GET /v1/me/sessions/active", a.withMe(noLimit, a.activeSessions))
	h("POST /v1/me/sessions/{id}/revoke", a.withMe(noLimit, a.revokeMySession))
	h("POST /v1/me/email_addresses", a.withMe(noLimit, a.addEmail))
	h("POST /v1/me/email_addresses/{$}", a.withMe(noLimit, a.addEmail))
	h("GET /v1/me/email_addresses/{id}", a.withMe(noLimit, a.getEmail))
	h("DELETE /v1/me/email_addresses/{id}", a.withMe(noLimit, a.sensitive(a.deleteEmail)))
	h("POST /v1/me/email_addresses/{id}/prepare_verification", a.withMe(noLimit, a.prepareEmail))
	h("POST /v1/me/email_addresses/{id}/attempt_verification", a.withMe(limitAttempt, a.attemptEmail))
	for _, p := range []string{"/v1/me/phone_numbers", "/v1/me/phone_numbers/{$}"} {
		h("GET "+p, a.withMe(noLimit, a.listPhones))
		h("POST "+p, a.withMe(noLimit, a.addPhone))
	}
	h("GET /v1/me/phone_numbers/{id}", a.withMe(noLimit, a.getPhone))
	h("PATCH /v1/me/phone_numbers/{id}", a.withMe(noLimit, a.updatePhone))
	h("DELETE /v1/me/phone_numbers/{id}", a.withMe(noLimit, a.sensitive(a.deletePhone)))
	h("POST /v1/me/phone_numbers/{id}/prepare_verification", a.withMe(noLimit, a.preparePhone))
	h("POST /v1/me/phone_numbers/{id}/attempt_verification", a.withMe(limitAttempt, a.attemptPhone))
	h("GET /v1/tickets/accept", a.acceptTicket)
	h("GET /v1/verify", a.verifyEmailLink)
	h("GET /v1/me/organization_memberships", a.withOrgs(a.myMemberships))
	h("DELETE /v1/me/organization_memberships/{organization_id}", a.withOrgs(a.leaveOrganization))
	h("GET /v1/me/organization_invitations", a.withOrgs(a.myOrgInvitations))
	h("POST /v1/me/organization_invitations/{invitation_id}/accept", a.withOrgs(a.acceptMyOrgInvitation))
	h("GET /v1/me/organization_suggestions", a.withOrgs(a.mySuggestions))
	h("POST /v1/me/organization_suggestions/{suggestion_id}/accept", a.withOrgs(a.acceptSuggestion))
	// Both APIs serve /v1/organizations…: a request carrying a secret key
	// is the Backend API's, any other the Frontend API's (Clerk tells them
	// apart by host; Concierge serves both on one).
	sharedHandler := func(fapi http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a.Backend != nil && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_") {
				a.Backend.ServeHTTP(w, r)
				return
			}
			fapi.ServeHTTP(w, r)
		})
	}
	shared := func(pattern string, fn handler) { mux.Handle(pattern, sharedHandler(a.transport(fn))) }
	shared("POST /v1/organizations", a.withOrgs(a.createOrganization))
	shared("GET /v1/organizations/{organization_id}", a.withOrgs(a.getOrganization))
	shared("PATCH /v1/organizations/{organization_id}", a.withOrgs(a.updateOrganization))
	shared("DELETE /v1/organizations/{organization_id}", a.withOrgs(a.deleteOrganization))
	shared("GET /v1/organizations/{organization_id}/memberships", a.withOrgs(a.listOrgMembers))
	shared("POST /v1/organizations/{organization_id}/memberships", a.withOrgs(a.addOrgMember))
	shared("PATCH /v1/organizations/{organization_id}/memberships/{user_id}", a.withOrgs(a.updateOrgMember))
	shared("DELETE /v1/organizations/{organization_id}/memberships/{user_id}", a.withOrgs(a.removeOrgMember))
	shared("GET /v1/organizations/{organization_id}/roles", a.withOrgs(a.listOrgRoles))
	logo := sharedHandler(a.transportLimit(a.withOrgUpload(a.setLogo), images.MaxBytes+64<<10))
	mux.Handle("PUT /v1/organizations/{organization_id}/logo", logo)
	shared("DELETE /v1/organizations/{organization_id}/logo", a.withOrgs(a.removeLogo))
	shared("GET /v1/organizations/{organization_id}/invitations", a.withOrgs(a.listOrgInvitations))
	shared("POST /v1/organizations/{organization_id}/invitations", a.withOrgs(a.createOrgInvitation))
	shared("POST /v1/organizations/{organization_id}/invitations/bulk", a.withOrgs(a.bulkOrgInvitations))
	shared("POST /v1/organizations/{organization_id}/invitations/{invitation_id}/revoke", a.withOrgs(a.revokeOrgInvitation))
	shared("GET /v1/organizations/{organization_id}/domains", a.withOrgs(a.listDomains))
	shared("POST /v1/organizations/{organization_id}/domains", a.withOrgs(a.createDomain))
	shared("GET /v1/organizations/{organization_id}/domains/{domain_id}", a.withOrgs(a.getDomain))
	shared("DELETE /v1/organizations/{organization_id}/domains/{domain_id}", a.withOrgs(a.deleteDomain))
	shared("POST /v1/organizations/{organization_id}/domains/{domain_id}/prepare_affiliation_verification", a.withOrgs(a.prepareDomain))
	shared("POST /v1/organizations/{organization_id}/domains/{domain_id}/attempt_affiliation_verification", a.withOrgs(a.attemptDomain))
	shared("POST /v1/organizations/{organization_id}/domains/{domain_id}/update_enrollment_mode", a.withOrgs(a.domainMode))
	shared("GET /v1/organizations/{organization_id}/membership_requests", a.withOrgs(a.listMembershipRequests))
	shared("POST /v1/organizations/{organization_id}/membership_requests/{request_id}/accept", a.withOrgs(a.decideMembershipRequest(true)))
	shared("POST /v1/organizations/{organization_id}/membership_requests/{request_id}/reject", a.withOrgs(a.decideMembershipRequest(false)))
	mux.Handle("GET /v1/client/handshake", a.cors(handler(a.handshake)))
	mux.Handle("GET /v1/oauth_callback", handler(a.oauthCallback))
	mux.Handle("POST /v1/oauth_callback", handler(a.oauthCallback))
	h("POST /v1/me/external_accounts", a.withMe(noLimit, a.connectAccount))
	h("DELETE /v1/me/external_accounts/{id}", a.withMe(noLimit, a.sensitive(a.deleteAccount)))
	h("PATCH /v1/me/external_accounts/{id}/reauthorize", a.withMe(noLimit, a.reauthorizeAccount))
	h("GET /v1/client/sync", a.satellite)
	h("GET /v1/client/link", a.satellite)
	h("POST /v1/dev_browser", a.createDevBrowser)
	mux.Handle("GET /.well-known/jwks.json", a.cors(handler(a.jwks)))
	mux.Handle("GET /.well-known/webauthn", a.cors(handler(a.wellKnownWebAuthn)))
	mux.Handle("OPTIONS /v1/", a.cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	// Paths under the Frontend API's prefixes that no route takes answer
	// as the Frontend API (404, or 405 for a known path), never with the
	// Backend API's 401: clerk-js reads any 401 as "signed out".
	// They name each method: a pattern without one would conflict with
	// OPTIONS /v1/.
	var catchAll []string
	for _, p := range FrontendPrefixes {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			for _, q := range []string{m + " " + p, m + " " + p + "/"} {
				if !routes[q] {
					catchAll = append(catchAll, q)
				}
			}
		}
	}
	// So do the organization paths no Frontend API route takes, unless
	// the request carries a secret key (then they are the Backend
	// API's).
	var orgCatchAll []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		orgCatchAll = append(orgCatchAll, m+" /v1/organizations/{organization_id}/{rest...}")
	}
	fallback := a.cors(backendapi.Fallback(mux, append(catchAll, orgCatchAll...)...))
	for _, p := range catchAll {
		mux.Handle(p, fallback)
	}
	for _, p := range orgCatchAll {
		mux.Handle(p, sharedHandler(fallback))
	}
}

// FrontendPrefixes are the path prefixes only the Frontend API serves
// (the Backend API's are other words, such as /v1/clients).
var FrontendPrefixes = []string{"/v1/client", "/v1/me", "/v1/environment", "/v1/dev_browser", "/v1/tickets", "/v1/waitlist", "/v1/dev_tools"}

// clientHandler is a call on behalf of a client, with its parameters.
type clientHandler func(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error

// Which per-IP limit a call counts against.
type limitKind int

const (
	noLimit limitKind = iota
	limitSignIn
	limitSignUp
	limitAttempt
)

func (a *API) limiter(k limitKind) *ratelimit.Limiter {
	switch k {
	case limitSignIn:
		return a.SignInLimit
	case limitSignUp:
		return a.SignUpLimit
	case limitAttempt:
		return a.AttemptLimit
	}
	return nil
}

// withClient runs fn after the rate limit of kind, with the call's
// parameters, for the caller's client: made when create is set and there
// is none, else the call needs one.
func (a *API) withClient(kind limitKind, create bool, fn clientHandler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := limit(a.limiter(kind), r); err != nil {
			return err
		}
		v, err := params(r)
		if err != nil {
			return err
		}
		c := clientOf(r)
		if c == nil && !create {
			return errNoClient
		}
		if c == nil {
			if c, err = a.ensureClient(w, r); err != nil {
				return err
			}
		}
		return fn(w, r, c, v)
	}
}

// transport applies the conventions of every Frontend API call: method
// tunnelling, CORS and the CSRF check, the body limit, and finding the
// client.
func (a *API) transport(next handler) http.Handler { return a.transportLimit(next, 1<<20) }

// transportLimit is transport with another body limit (uploads).
func (a *API) transportLimit(next handler, limit int64) http.Handler {
	return a.cors(handler(func(w http.ResponseWriter, r *http.Request) error {
		if err := a.checkOrigin(r); err != nil {
			return err
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		c, err := a.findClient(r)
		if err != nil {
			return err
		}
		ctx := signedOut(context.WithValue(r.Context(), clientKey, c), r)
		if tok := r.URL.Query().Get("__clerk_testing_token"); tok != "" && !a.Production && a.TestingKey != nil &&
			testingtoken.Valid(a.TestingKey, tok, time.Now()) {
			ctx = context.WithValue(ctx, testingKey, true)
		}
		return next(w, r.WithContext(ctx))
	}))
}

// Tunnel turns POST ?_method=PATCH|PUT|DELETE into that method, as
// clerk-js sends every verb but GET and POST. It runs before routing.
func Tunnel(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if m := strings.ToUpper(r.URL.Query().Get("_method")); m == "PATCH" || m == "PUT" || m == "DELETE" {
				r.Method = m
			}
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed reports whether a browser at origin may call with
// credentials: Concierge's own pages and the configured applications.
func (a *API) originAllowed(ctx context.Context, origin string) bool {
	if origin == "" {
		return false
	}
	if u, err := url.Parse(a.PublicURL); err == nil && origin == u.Scheme+"://"+u.Host {
		return true
	}
	return a.Origins != nil && slices.Contains(a.Origins(ctx), origin)
}

// cors answers credentialed cross-origin calls from allowed origins.
func (a *API) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if a.originAllowed(r.Context(), origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "Clerk-Db-Jwt, Authorization, X-Country, Retry-After")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Mobile, X-No-Origin")
				h.Set("Access-Control-Max-Age", "600")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigin refuses writes from a browser page of another origin: with
// the __client cookie sent automatically, that would be a cross-site
// request forgery. Calls without Origin (servers, native apps) are not
// browsers' and pass; SameSite=Lax keeps the cookie off most cross-site
// requests in the first place.
func (a *API) checkOrigin(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" && !hasCookie(r) {
		return nil
	}
	if !a.originAllowed(r.Context(), origin) {
		return errs.New(errs.Forbidden, "origin_invalid", "Origin not allowed",
			"Requests from "+origin+" are not allowed: add it to CONCIERGE_ALLOWED_ORIGINS.")
	}
	return nil
}

func hasCookie(r *http.Request) bool {
	_, err := r.Cookie(ClientCookie)
	return err == nil
}

// clientToken reads the client token from the Authorization header
// (native apps, servers; with or without "Bearer ") or the cookie.
func clientToken(r *http.Request) (tok string, fromHeader bool) {
	if h := strings.TrimSpace(r.Header.Get("Authorization")); h != "" {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")), true
	}
	if t := r.URL.Query().Get(DevBrowserParam); t != "" {
		return t, false
	}
	if c, err := r.Cookie(ClientCookie); err == nil {
		return c.Value, false
	}
	return "", false
}

// DevBrowserParam carries the client token of a development browser:
// clerk-js with a development key whose host ends in a Clerk development
// suffix sends it on every call instead of relying on cookies, so that an
// application on another site works in development (frontend-api.md
// §3.2). The token is the same credential as the __client cookie.
const DevBrowserParam = "__clerk_db_jwt"

func devBrowser(r *http.Request) bool {
	_, fromHeader := clientToken(r)
	return !fromHeader && r.URL.Query().Get(DevBrowserParam) != ""
}

// findClient loads the caller's client, or nil when it has none (or an
// invalid one: the caller then starts afresh, as with no cookie).
func (a *API) findClient(r *http.Request) (*session.Client, error) {
	tok, _ := clientToken(r)
	if tok == "" {
		return nil, nil
	}
	c, err := a.Sessions.ClientFromToken(r.Context(), tok)
	if e, ok := errs.As(err); ok && e.Code == "client_not_found" {
		return nil, nil
	}
	return c, err
}

func clientOf(r *http.Request) *session.Client {
	c, _ := r.Context().Value(clientKey).(*session.Client)
	return c
}

// native reports whether the caller keeps the client token itself.
func native(r *http.Request) bool {
	_, fromHeader := clientToken(r)
	return fromHeader || r.URL.Query().Get("_is_native") != ""
}

// ensureClient returns the caller's client, creating one (and handing
// its token over) when there is none.
func (a *API) ensureClient(w http.ResponseWriter, r *http.Request) (*session.Client, error) {
	if c := clientOf(r); c != nil {
		return c, nil
	}
	c, tok, err := a.Sessions.NewClient(r.Context())
	if err != nil {
		return nil, err
	}
	a.setToken(w, r, tok)
	return c, nil
}

// setToken hands a (new) client token to the caller: an HttpOnly cookie
// for browsers, the Authorization response header for native apps.
func (a *API) setToken(w http.ResponseWriter, r *http.Request, tok string) {
	if tok == "" {
		return
	}
	if native(r) {
		w.Header().Set("Authorization", tok)
		return
	}
	if devBrowser(r) {
		// clerk-js keeps the new id from this header.
		w.Header().Set("Clerk-Db-Jwt", tok)
		return
	}
	a.setCookie(w, tok)
}

// envelope writes {"response": resp, "client": <client, reloaded>}.
func (a *API) envelope(w http.ResponseWriter, r *http.Request, clientID string, resp any) error {
	var cj any
	if clientID != "" {
		c, err := a.Sessions.Client(r.Context(), clientID)
		if err != nil {
			return err
		}
		if cj, err = a.clientOut(r.Context(), c); err != nil {
			return err
		}
		a.clientUAT(w, c)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"response": resp, "client": cj})
	return nil
}

// limit applies a rate limiter to the caller's IP on the route, as
// Clerk's limits are per endpoint: a user who proves a password, then an
// authenticator app's code, within seconds is not refused the second.
func limit(l *ratelimit.Limiter, r *http.Request) error {
	if l == nil || r.Context().Value(testingKey) == true {
		return nil // a test suite with a testing token is not throttled
	}
	ok, retry := l.Allow(r.Context(), httpcheck.ClientIP(r)+" "+r.Pattern)
	if ok {
		return nil
	}
	e := errs.New(errs.TooManyRequests, "too_many_requests", "Too many requests",
		"Too many requests. Please try again in a bit.")
	e.RetryAfter = int(retry.Seconds() + 0.999)
	return e
}

// RedirectAllowed reports whether a redirect_url leads to Concierge
// itself, to an allowed application origin, or to a registered redirect
// URL (or under one); relative paths are Concierge's own. Script, data
// and file schemes are refused whatever is registered. It is the one
// redirect check of sign-in, sign-up, OAuth, hosted pages and handshake.
func (a *API) RedirectAllowed(ctx context.Context, raw string) bool {
	if redirecturl.Dangerous(raw) {
		return false
	}
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") && !strings.HasPrefix(raw, "/\\") {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return false
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && a.originAllowed(ctx, u.Scheme+"://"+u.Host) {
		return true
	}
	return a.RedirectURLs != nil && a.RedirectURLs.Allowed(ctx, raw)
}

func contextWithClient(r *http.Request, c *session.Client) context.Context {
	return context.WithValue(r.Context(), clientKey, c)
}

// Patterns lists the Frontend API's route patterns, its catch-alls
// included, in the route table's order (for cmd/concierge-fuzz).
func Patterns() []string {
	rec := backendapi.NewRecorder()
	New().Routes(rec)
	return rec.Patterns
}
