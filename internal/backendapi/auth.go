package backendapi

import (
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/respond"
)

var errHeaderFormat = errs.New(errs.Unauthenticated, "authorization_header_format_invalid",
	"Invalid Authorization header format", "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'")

var errKeyInvalid = errs.New(errs.Unauthenticated, "clerk_key_invalid",
	"The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.", "")

// requireSecretKey lets a request through only with "Authorization: Bearer
// <secret key>" naming an active key.
func (a *API) requireSecretKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
			respond.Error(w, r, errHeaderFormat)
			return
		}
		key = strings.TrimSpace(key)
		if !apikey.WellFormed(key) {
			respond.Error(w, r, errKeyInvalid)
			return
		}
		k, valid, err := a.Keys.Identify(r.Context(), key)
		if err != nil {
			if respond.Gone(w, r) {
				return
			}
			e := errs.New(errs.Unavailable, "service_unavailable",
				"Service unavailable", "The secret key could not be checked; try again shortly.")
			e.RetryAfter = 5
			respond.Error(w, r, e)
			respond.Logger(r.Context()).Error("secret key check failed", "err", err)
			return
		}
		if !valid {
			respond.Error(w, r, errKeyInvalid)
			return
		}
		// What this request changes is recorded as this key's doing.
		ctx := audit.WithActor(r.Context(), audit.Actor{Kind: audit.APIKey, ID: k.ID, Name: k.Hint,
			IP: httpcheck.ClientIP(r), UserAgent: r.UserAgent()})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearer returns the key of an authenticated request.
func bearer(r *http.Request) string {
	_, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.TrimSpace(key)
}
