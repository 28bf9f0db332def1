package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
)

// The sign-up attempts, read and annotated by the application's server:
// GET and PATCH /v1/sign_ups/{id}, with the Frontend API's object.

func (a *API) getSignUp(w http.ResponseWriter, r *http.Request) error {
	su, err := a.Sessions.SignUpByID(r.Context(), r.PathValue("sign_up_id"))
	return a.writeSignUp(w, su, err)
}

func (a *API) updateSignUp(w http.ResponseWriter, r *http.Request) error {
	var p session.SignUpAdminParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	su, err := a.Sessions.UpdateSignUpByID(r.Context(), r.PathValue("sign_up_id"), p)
	return a.writeSignUp(w, su, err)
}

func (a *API) writeSignUp(w http.ResponseWriter, su *session.SignUp, err error) error {
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.SignUpJSON(su))
	return nil
}
