package frontendapi

import (
	"context"
	"net/http"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/httpcheck"
)

// Who the audit log names for a Frontend API request. Until a session
// vouches for a user the caller is a signed-out client, an actor with no
// ID: the store records a change on such a request (a sign-up's user, a
// sign-in's session, a sign-out, a password reset) as the user's it
// concerns, a lockout with the client's address alone, and drops the
// rest (see audit.Actor). A /v1/me call names its user outright.

// signedOut returns ctx with r's client as the actor not yet known.
func signedOut(ctx context.Context, r *http.Request) context.Context {
	return audit.WithActor(ctx, audit.Actor{Kind: audit.User, IP: httpcheck.ClientIP(r), UserAgent: r.UserAgent()})
}

// asUser returns r with the changes made under it recorded as userID's.
func asUser(r *http.Request, userID string) *http.Request {
	return r.WithContext(audit.WithActor(r.Context(), audit.Actor{Kind: audit.User, ID: userID,
		IP: httpcheck.ClientIP(r), UserAgent: r.UserAgent()}))
}
