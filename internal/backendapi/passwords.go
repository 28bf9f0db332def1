package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
)

// verifyPassword is POST /v1/users/{id}/verify_password: {"verified":
// true}, or 422 incorrect_password.
func (a *API) verifyPassword(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if err := a.Users.VerifyPassword(r.Context(), r.PathValue("user_id"), p.Password); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "password_verification", "verified": true})
	return nil
}

// removePassword is POST /v1/users/{id}/remove_password.
func (a *API) removePassword(w http.ResponseWriter, r *http.Request) error {
	u, err := a.Users.RemovePassword(r.Context(), r.PathValue("user_id"))
	return a.writeUser(w, u, err)
}

// setCompromised is POST /v1/users/{id}/password/set_compromised (with
// revoke_all_sessions, which also signs the user out everywhere) and
// …/unset_compromised.
func (a *API) setCompromised(compromised bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p struct {
			RevokeAllSessions *bool `json:"revoke_all_sessions"`
		}
		if err := decode(w, r, &p); err != nil {
			return err
		}
		u, err := a.Users.SetPasswordCompromised(r.Context(), r.PathValue("user_id"), compromised)
		if err != nil {
			return err
		}
		if compromised && p.RevokeAllSessions != nil && *p.RevokeAllSessions {
			if err := a.Sessions.EndUserSessions(r.Context(), u.ID, session.Revoked); err != nil {
				return err
			}
		}
		return a.writeUser(w, u, nil)
	}
}
