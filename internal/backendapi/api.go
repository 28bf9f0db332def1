// Package backendapi serves Clerk's Backend API (/v1/...) on top of the
// domain services: one route table, thin handlers that decode, call one
// service method and encode, and every route behind the secret key.
package backendapi

import (
	"github.com/conciergehq/concierge/internal/blocklist"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/revcache"
	"github.com/conciergehq/concierge/internal/signintoken"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/delivery"
	"github.com/conciergehq/concierge/internal/domain"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/handshake"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/jwttemplate"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/redirecturl"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/waitlist"
	"github.com/conciergehq/concierge/internal/webhook"
)

// API is the Backend API surface.
type API struct {
	Users       *user.Service
	Allowlist   *allowlist.Service
	Blocklist   *blocklist.Service
	Invitations *invitation.Service
	Waitlist    *waitlist.Service
	Messages    *delivery.Service
	Sessions    *session.Service
	Keys        *apikey.Keyring
	// RedirectURLs are the registered redirect URLs; Domains the
	// instance's one domain and its proxy checks.
	RedirectURLs *redirecturl.Service
	Domains      *domain.Service
	// Templates are the JWT templates.
	Templates *jwttemplate.Service
	// Webhooks are the webhook endpoints and their deliveries.
	Webhooks *webhook.Service
	// Organizations are the tenants and their memberships.
	Organizations *organization.Service
	// Profile removes a user's external accounts.
	Profile session.Profile
	// Tickets are sign-in and actor tokens.
	Tickets *signintoken.Service
	// Nonces redeem handshake nonces for the application's server.
	Nonces *handshake.Nonces
	// SignUpJSON renders a sign-up as the Frontend API does (its
	// package owns that shape and imports this one).
	SignUpJSON func(*session.SignUp) any
	// Settings are the instance settings the /v1/instance routes read
	// and change.
	Settings *instance.Service
	// PublicURL is Concierge's external base URL, for links in responses.
	PublicURL string
	// UserJSON keeps rendered users, checked against their revision on
	// every read (nil: none kept).
	UserJSON *revcache.Cache
	// UserListVia is "" (lists choose how to read by what they find
	// kept), or "revisions" or "direct" to always read one way (tests).
	UserListVia string
	// kept is, by listKind, the share of listed users found in UserJSON.
	kept [3]keptShare
	// Production refuses testing tokens; TestingKey signs them.
	Production bool
	TestingKey []byte
}

// handler is an HTTP handler that returns its error for respond.Error.
type handler func(w http.ResponseWriter, r *http.Request) error

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		respond.Error(w, r, err)
	}
}

// Handler returns the /v1 routes, each behind the secret key.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.routes(mux)
	// The server checks paths and queries (CleanParams) before routing.
	return a.requireSecretKey(mux)
}

// routes is the route table, registered on mux.
func (a *API) routes(mux Mux) {
	mux.Handle("GET /v1/users", handler(a.listUsers))
	mux.Handle("GET /v1/users/count", handler(a.countUsers))
	mux.Handle("POST /v1/users", handler(a.createUser))
	mux.Handle("GET /v1/users/{user_id}", handler(a.getUser))
	mux.Handle("PATCH /v1/users/{user_id}", handler(a.updateUser))
	mux.Handle("DELETE /v1/users/{user_id}", handler(a.deleteUser))
	mux.Handle("PATCH /v1/users/{user_id}/metadata", handler(a.mergeMetadata))
	mux.Handle("PUT /v1/users/{user_id}/metadata", handler(a.replaceMetadata))
	mux.Handle("POST /v1/users/{user_id}/ban", handler(a.banUser))
	mux.Handle("POST /v1/users/{user_id}/unban", handler(a.unbanUser))
	mux.Handle("POST /v1/users/{user_id}/lock", handler(a.lockUser))
	mux.Handle("POST /v1/users/{user_id}/unlock", handler(a.unlockUser))
	mux.Handle("GET /v1/users/{user_id}/oauth_access_tokens/{provider}", handler(a.oauthAccessTokens))
	mux.Handle("GET /v1/users/{user_id}/organization_memberships", handler(a.listUserMemberships))
	mux.Handle("POST /v1/users/{user_id}/verify_totp", handler(a.verifyTOTP))
	mux.Handle("POST /v1/users/{user_id}/verify_password", handler(a.verifyPassword))
	mux.Handle("POST /v1/users/{user_id}/profile_image", handler(a.setProfileImage))
	mux.Handle("DELETE /v1/users/{user_id}/profile_image", handler(a.deleteProfileImage))
	mux.Handle("POST /v1/users/{user_id}/remove_password", handler(a.removePassword))
	mux.Handle("POST /v1/users/{user_id}/password/set_compromised", handler(a.setCompromised(true)))
	mux.Handle("POST /v1/users/{user_id}/password/unset_compromised", handler(a.setCompromised(false)))
	mux.Handle("DELETE /v1/users/{user_id}/mfa", handler(a.removeFactors(true, true)))
	mux.Handle("DELETE /v1/users/{user_id}/totp", handler(a.removeFactors(true, false)))
	mux.Handle("DELETE /v1/users/{user_id}/backup_code", handler(a.removeFactors(false, true)))
	mux.Handle("DELETE /v1/users/{user_id}/passkeys/{passkey_id}", handler(a.deletePasskey))
	mux.Handle("DELETE /v1/users/{user_id}/web3_wallets/{web3_wallet_id}", handler(a.deleteWeb3Wallet))
	mux.Handle("PUT /v1/users/{user_id}/email_address", handler(a.replacePrimary(user.EmailAddress)))
	mux.Handle("PUT /v1/users/{user_id}/phone_number", handler(a.replacePrimary(user.PhoneNumber)))
	mux.Handle("GET /v1/sign_ups/{sign_up_id}", handler(a.getSignUp))
	mux.Handle("PATCH /v1/sign_ups/{sign_up_id}", handler(a.updateSignUp))
	mux.Handle("GET /v1/organizations", handler(a.listOrganizations))
	mux.Handle("POST /v1/organizations", handler(a.createOrganization))
	mux.Handle("GET /v1/organizations/{organization_id}", handler(a.getOrganization))
	mux.Handle("PATCH /v1/organizations/{organization_id}", handler(a.updateOrganization))
	mux.Handle("DELETE /v1/organizations/{organization_id}", handler(a.deleteOrganization))
	mux.Handle("PATCH /v1/organizations/{organization_id}/metadata", handler(a.mergeOrganizationMetadata))
	mux.Handle("PUT /v1/organizations/{organization_id}/logo", handler(a.setOrganizationLogo))
	mux.Handle("DELETE /v1/organizations/{organization_id}/logo", handler(a.deleteOrganizationLogo))
	mux.Handle("PUT /v1/organizations/{organization_id}/metadata", handler(a.replaceOrganizationMetadata))
	mux.Handle("GET /v1/organizations/{organization_id}/memberships", handler(a.listOrgMemberships))
	mux.Handle("POST /v1/organizations/{organization_id}/memberships", handler(a.createMembership))
	mux.Handle("PATCH /v1/organizations/{organization_id}/memberships/{user_id}", handler(a.updateMembership))
	mux.Handle("DELETE /v1/organizations/{organization_id}/memberships/{user_id}", handler(a.deleteMembership))
	mux.Handle("PATCH /v1/organizations/{organization_id}/memberships/{user_id}/metadata", handler(a.mergeMembershipMetadata))
	mux.Handle("GET /v1/organization_memberships", handler(a.listAllMemberships))
	mux.Handle("GET /v1/organizations/{organization_id}/invitations", handler(a.listOrgInvitations))
	mux.Handle("POST /v1/organizations/{organization_id}/invitations", handler(a.createOrgInvitation))
	mux.Handle("POST /v1/organizations/{organization_id}/invitations/bulk", handler(a.bulkOrgInvitations))
	mux.Handle("GET /v1/organizations/{organization_id}/invitations/pending", handler(a.listPendingOrgInvitations))
	mux.Handle("GET /v1/organizations/{organization_id}/invitations/{invitation_id}", handler(a.getOrgInvitation))
	mux.Handle("POST /v1/organizations/{organization_id}/invitations/{invitation_id}/revoke", handler(a.revokeOrgInvitation))
	mux.Handle("GET /v1/organization_invitations", handler(a.listAllOrgInvitations))
	mux.Handle("GET /v1/organizations/{organization_id}/domains", handler(a.listDomains))
	mux.Handle("POST /v1/organizations/{organization_id}/domains", handler(a.createDomain))
	mux.Handle("PATCH /v1/organizations/{organization_id}/domains/{domain_id}", handler(a.updateDomain))
	mux.Handle("DELETE /v1/organizations/{organization_id}/domains/{domain_id}", handler(a.deleteDomain))
	mux.Handle("GET /v1/organization_roles", handler(a.listRoles))
	mux.Handle("POST /v1/organization_roles", handler(a.createRole))
	mux.Handle("GET /v1/organization_roles/{role_id}", handler(a.getRole))
	mux.Handle("PATCH /v1/organization_roles/{role_id}", handler(a.updateRole))
	mux.Handle("DELETE /v1/organization_roles/{role_id}", handler(a.deleteRole))
	mux.Handle("POST /v1/organization_roles/{role_id}/permissions/{permission_id}", handler(a.setRolePermission(true)))
	mux.Handle("DELETE /v1/organization_roles/{role_id}/permissions/{permission_id}", handler(a.setRolePermission(false)))
	mux.Handle("GET /v1/organization_permissions", handler(a.listPermissions))
	mux.Handle("POST /v1/organization_permissions", handler(a.createPermission))
	mux.Handle("GET /v1/organization_permissions/{permission_id}", handler(a.getPermission))
	mux.Handle("PATCH /v1/organization_permissions/{permission_id}", handler(a.updatePermission))
	mux.Handle("DELETE /v1/organization_permissions/{permission_id}", handler(a.deletePermission))
	mux.Handle("GET /v1/users/{user_id}/organization_invitations", handler(a.listUserOrgInvitations))
	mux.Handle("DELETE /v1/users/{user_id}/external_accounts/{external_account_id}", handler(a.deleteExternalAccount))
	mux.Handle("GET /v1/allowlist_identifiers", handler(a.listAllowlist))
	mux.Handle("POST /v1/allowlist_identifiers", handler(a.createAllowlist))
	mux.Handle("DELETE /v1/allowlist_identifiers/{identifier_id}", handler(a.deleteAllowlist))
	for _, k := range []struct {
		path string
		kind user.IdentifierKind
	}{{"/v1/email_addresses", user.EmailAddress}, {"/v1/phone_numbers", user.PhoneNumber}} {
		mux.Handle("POST "+k.path, handler(a.createIdentifier(k.kind)))
		mux.Handle("GET "+k.path+"/{identifier_id}", handler(a.getIdentifier(k.kind)))
		mux.Handle("PATCH "+k.path+"/{identifier_id}", handler(a.updateIdentifier(k.kind)))
		mux.Handle("DELETE "+k.path+"/{identifier_id}", handler(a.deleteIdentifier(k.kind)))
	}
	mux.Handle("GET /v1/blocklist_identifiers", handler(a.listBlocklist))
	mux.Handle("POST /v1/blocklist_identifiers", handler(a.createBlocklist))
	mux.Handle("DELETE /v1/blocklist_identifiers/{identifier_id}", handler(a.deleteBlocklist))
	mux.Handle("GET /v1/waitlist_entries", handler(a.listWaitlist))
	mux.Handle("POST /v1/waitlist_entries", handler(a.createWaitlistEntry))
	mux.Handle("POST /v1/waitlist_entries/bulk", handler(a.bulkCreateWaitlistEntries))
	mux.Handle("POST /v1/waitlist_entries/{waitlist_entry_id}/invite", handler(a.inviteWaitlistEntry))
	mux.Handle("POST /v1/waitlist_entries/{waitlist_entry_id}/reject", handler(a.rejectWaitlistEntry))
	mux.Handle("DELETE /v1/waitlist_entries/{waitlist_entry_id}", handler(a.deleteWaitlistEntry))
	mux.Handle("GET /v1/redirect_urls", handler(a.listRedirectURLs))
	mux.Handle("POST /v1/redirect_urls", handler(a.createRedirectURL))
	mux.Handle("GET /v1/redirect_urls/{id}", handler(a.getRedirectURL))
	mux.Handle("DELETE /v1/redirect_urls/{id}", handler(a.deleteRedirectURL))
	mux.Handle("GET /v1/domains", handler(a.listInstanceDomains))
	mux.Handle("POST /v1/domains", handler(a.createInstanceDomain))
	mux.Handle("PATCH /v1/domains/{domain_id}", handler(a.updateInstanceDomain))
	mux.Handle("DELETE /v1/domains/{domain_id}", handler(a.deleteInstanceDomain))
	mux.Handle("POST /v1/proxy_checks", handler(a.createProxyCheck))
	mux.Handle("GET /v1/invitations", handler(a.listInvitations))
	mux.Handle("POST /v1/invitations", handler(a.createInvitation))
	mux.Handle("POST /v1/invitations/bulk", handler(a.bulkCreateInvitations))
	mux.Handle("POST /v1/invitations/{invitation_id}/revoke", handler(a.revokeInvitation))
	mux.Handle("DELETE /v1/invitations/{invitation_id}", handler(a.deleteInvitation))
	mux.Handle("POST /v1/emails", handler(a.createEmail))
	mux.Handle("GET /v1/emails/{email_id}", handler(a.getEmail))
	mux.Handle("POST /v1/sms_messages", handler(a.createSMS))
	mux.Handle("GET /v1/sms_messages/{sms_message_id}", handler(a.getSMS))
	mux.Handle("GET /v1/sessions", handler(a.listSessions))
	mux.Handle("POST /v1/sessions", handler(a.createSession))
	mux.Handle("GET /v1/sessions/{session_id}", handler(a.getSession))
	mux.Handle("POST /v1/sessions/{session_id}/revoke", handler(a.revokeSession))
	mux.Handle("POST /v1/sessions/{session_id}/verify", handler(a.verifySession))
	mux.Handle("POST /v1/sessions/{session_id}/tokens", handler(a.createSessionToken))
	mux.Handle("POST /v1/sessions/{session_id}/tokens/{template}", handler(a.createSessionToken))
	mux.Handle("GET /v1/clients", handler(a.listClients))
	mux.Handle("GET /v1/clients/{client_id}", handler(a.getClient))
	mux.Handle("GET /v1/clients/handshake_payload", handler(a.handshakePayload))
	mux.Handle("POST /v1/clients/verify", handler(a.verifyClient))
	mux.Handle("GET /v1/jwks", handler(a.jwks))
	mux.Handle("GET /v1/webhook_endpoints", handler(a.listEndpoints))
	mux.Handle("POST /v1/webhook_endpoints", handler(a.createEndpoint))
	mux.Handle("GET /v1/webhook_endpoints/{endpoint_id}", handler(a.getEndpoint))
	mux.Handle("PATCH /v1/webhook_endpoints/{endpoint_id}", handler(a.updateEndpoint))
	mux.Handle("DELETE /v1/webhook_endpoints/{endpoint_id}", handler(a.deleteEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{endpoint_id}/rotate_secret", handler(a.rotateEndpoint))
	mux.Handle("POST /v1/webhook_endpoints/{endpoint_id}/test", handler(a.testEndpoint))
	mux.Handle("GET /v1/webhook_endpoints/{endpoint_id}/deliveries", handler(a.listDeliveries))
	mux.Handle("POST /v1/webhook_deliveries/{delivery_id}/replay", handler(a.replayDelivery))
	mux.Handle("POST /v1/webhook_endpoints/{endpoint_id}/replay_failed", handler(a.replayFailed))
	mux.Handle("POST /v1/webhooks/svix", handler(a.svixSetup))
	mux.Handle("GET /v1/jwt_templates", handler(a.listJWTTemplates))
	mux.Handle("POST /v1/jwt_templates", handler(a.createJWTTemplate))
	mux.Handle("GET /v1/jwt_templates/{template_id}", handler(a.getJWTTemplate))
	mux.Handle("PATCH /v1/jwt_templates/{template_id}", handler(a.updateJWTTemplate))
	mux.Handle("DELETE /v1/jwt_templates/{template_id}", handler(a.deleteJWTTemplate))
	mux.Handle("GET /v1/instance", handler(a.getInstance))
	mux.Handle("PATCH /v1/instance", handler(a.updateInstance))
	mux.Handle("PATCH /v1/instance/restrictions", handler(a.updateRestrictions))
	mux.Handle("GET /v1/instance/organization_settings", handler(a.getOrganizationSettings))
	mux.Handle("PATCH /v1/instance/organization_settings", handler(a.updateOrganizationSettings))
	mux.Handle("POST /v1/testing_tokens", handler(a.createTestingToken))
	mux.Handle("POST /v1/sign_in_tokens", handler(a.createTicketToken(signintoken.KindSignIn)))
	mux.Handle("POST /v1/sign_in_tokens/{token_id}/revoke", handler(a.revokeTicketToken(signintoken.KindSignIn)))
	mux.Handle("POST /v1/actor_tokens", handler(a.createTicketToken(signintoken.KindActor)))
	mux.Handle("POST /v1/actor_tokens/{token_id}/revoke", handler(a.revokeTicketToken(signintoken.KindActor)))
	mux.Handle("/v1/", Fallback(mux))
}

var errParamsMalformed = errs.New(errs.BadRequest, "malformed_request_parameters", "Malformed request parameters",
	"The request parameters are malformed and could not be parsed: they must be valid UTF-8 without NUL characters.")

// CleanParams refuses paths and query strings that are not valid UTF-8 or
// hold NUL: PostgreSQL cannot compare such text and would fail the query.
// The server applies it to every surface.
func CleanParams(next http.Handler) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		if !httpcheck.CleanText(r.URL.Path) {
			return errParamsMalformed
		}
		// Most query strings have no escapes: checking the raw text is
		// enough, and spares parsing it once more than the handler does.
		if raw := r.URL.RawQuery; raw != "" && (strings.Contains(raw, "%") || !httpcheck.CleanText(raw)) {
			q, err := url.ParseQuery(raw)
			if err != nil || !httpcheck.CleanValues(q) {
				return errParamsMalformed
			}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete}

// Fallback answers requests no route took: 405 with an Allow header when
// the path exists under another method, else 404, both as Clerk's JSON
// envelope rather than Go's plain text. catchAll are the patterns it is
// registered under, which do not count as the path existing; nor do
// patterns without a method (other catch-alls).
func Fallback(mux Router, catchAll ...string) http.Handler {
	return handler(func(w http.ResponseWriter, r *http.Request) error {
		var allowed []string
		for _, m := range probeMethods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); strings.HasPrefix(pattern, m+" ") && !slices.Contains(catchAll, pattern) {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			return errs.New(errs.MethodNotAllowed, "method_not_allowed", "Method not allowed",
				r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allowed, " or ")+".")
		}
		return errs.ResourceNotFound("not found", "The requested resource "+r.URL.Path+" was not found.")
	})
}
