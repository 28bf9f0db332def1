package dashboard

import (
	"encoding/json"
	"net/http"

	"github.com/conciergehq/concierge/internal/signintoken"
)

// impersonationSeconds is how long an operator's "Sign in as this user"
// session lasts at most: long enough to reproduce a problem.
const impersonationSeconds = 30 * 60

// impersonate mints an actor token naming the signed-in operator and
// sends the operator to its link, which signs them in as the user (with
// the act claim on every token of that session). Each use is logged
// and, as the actor token is stored, recorded in the audit log
// (impersonation.started, in the same transaction).
func (d *Dashboard) impersonate(w http.ResponseWriter, r *http.Request, userID string) error {
	op := operatorOf(r).Operator
	actor, err := json.Marshal(map[string]string{"sub": op.ID, "iss": "concierge-dashboard"})
	if err != nil {
		return err
	}
	life := int64(60) // the link is followed at once
	session := int64(impersonationSeconds)
	m, err := d.Tickets.Create(r.Context(), signintoken.KindActor, signintoken.CreateParams{UserID: &userID,
		Actor: actor, ExpiresInSeconds: &life, SessionMaxDurationInSeconds: &session})
	if err != nil {
		return err
	}
	if d.Log != nil {
		d.Log.Info("operator impersonation", "operator_id", op.ID, "operator", op.Email, "user_id", userID, "actor_token_id", m.ID)
	}
	http.Redirect(w, r, m.URL, http.StatusSeeOther)
	return nil
}
