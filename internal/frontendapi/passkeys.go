package frontendapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Passkeys a user registers from <UserProfile/>: POST /v1/me/passkeys
// begins (its verification's nonce holds the browser's creation
// options), attempt_verification finishes with the browser's
// credential.

// PasskeyCeremonies keeps the registrations begun.
type PasskeyCeremonies interface {
	SavePasskeyCeremony(ctx context.Context, id, clientID string, c *passkey.Ceremony, now int64) error
	PasskeyCeremony(ctx context.Context, id string) (*passkey.Ceremony, error)
}

func (a *API) createPasskey(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	c, err := a.Passkeys.BeginRegistration(r.Context(), u)
	if err != nil {
		return err
	}
	now := a.Sessions.Now()
	pk := passkey.Passkey{ID: id.NewAt(id.Identifier, now), CreatedAt: now.UnixMilli(), UpdatedAt: now.UnixMilli()}
	if err := a.PasskeyCeremonies.SavePasskeyCeremony(r.Context(), pk.ID, clientOf(r).ID, c, pk.CreatedAt); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, backendapi.PasskeyObject(pk, &c.Options))
}

func (a *API) verifyPasskey(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	pkID := r.PathValue("id")
	if s := v.Get("strategy"); s != "" && s != passkey.Strategy {
		return errs.ParamValue("strategy", s)
	}
	if u.Identifier(pkID) != nil {
		return errs.New(errs.BadRequest, "verification_already_verified", "Already verified", "This passkey is registered already.")
	}
	c, err := a.PasskeyCeremonies.PasskeyCeremony(r.Context(), pkID)
	if err != nil {
		return err
	}
	if _, err := a.Passkeys.FinishRegistration(r.Context(), u, pkID, c, v.Get("public_key_credential")); err != nil {
		return err
	}
	return a.passkeyResponse(w, r, u.ID, pkID)
}

// passkeyResponse answers with a user's passkey, reloaded.
func (a *API) passkeyResponse(w http.ResponseWriter, r *http.Request, userID, pkID string) error {
	u, err := a.Sessions.Users.User(r.Context(), userID)
	if err != nil {
		return err
	}
	for _, p := range passkey.Of(u) {
		if p.ID == pkID {
			return a.envelope(w, r, clientOf(r).ID, backendapi.PasskeyObject(p, nil))
		}
	}
	return passkey.NotFound(pkID)
}

func (a *API) renamePasskey(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if err := a.Passkeys.Rename(r.Context(), u, r.PathValue("id"), v.Get("name")); err != nil {
		return err
	}
	return a.passkeyResponse(w, r, u.ID, r.PathValue("id"))
}

func (a *API) deletePasskey(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	pkID := r.PathValue("id")
	if idn := u.Identifier(pkID); idn == nil || idn.Kind != passkey.Kind {
		return passkey.NotFound(pkID)
	}
	if err := a.Profile.DeleteIdentifier(r.Context(), u.ID, pkID); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "passkey", "id": pkID, "deleted": true})
}

// wellKnownWebAuthn lists the origins passkeys of this relying party may
// be used from (WebAuthn's related origins), as Clerk serves it.
func (a *API) wellKnownWebAuthn(w http.ResponseWriter, r *http.Request) error {
	origins := []string{}
	if a.Origins != nil {
		origins = append(origins, a.Origins(r.Context())...)
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	respond.JSON(w, http.StatusOK, map[string]any{"origins": origins})
	return nil
}
