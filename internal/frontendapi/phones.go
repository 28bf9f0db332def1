package frontendapi

import (
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// The /v1/me/phone_numbers calls of UserProfile: add a number, verify it
// by an SMS code, remove it.

// phoneObject renders one of the user's phone numbers, or nil.
func (a *API) phoneObject(u *user.User, id string) any {
	for _, p := range backendapi.UserObject(a.PublicURL, u, 0, false).PhoneNumbers {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// ownPhone checks that the path's ID names one of the user's phone
// numbers: the email routes must not reach phones, nor these emails.
func ownPhone(r *http.Request, u *user.User) (string, error) {
	id := r.PathValue("id")
	for _, idn := range u.Identifiers {
		if idn.ID == id && idn.Kind == user.PhoneNumber {
			return id, nil
		}
	}
	return "", session.NotFound("phone number", id)
}

func (a *API) listPhones(w http.ResponseWriter, _ *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	respond.JSON(w, http.StatusOK, backendapi.UserObject(a.PublicURL, u, 0, false).PhoneNumbers)
	return nil
}

func (a *API) getPhone(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	id, err := ownPhone(r, u)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.phoneObject(u, id))
}

func (a *API) addPhone(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if v.Get("phone_number") == "" {
		return errs.ParamMissing("phone_number")
	}
	idn, err := a.Sessions.AddPhone(r.Context(), a.Profile, u, v.Get("phone_number"))
	if err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, idn.ID, a.phoneObject)
}

// updatePhone answers PATCH /v1/me/phone_numbers/{id}. Its fields make a
// number a second factor, which this instance does not offer (the
// environment says so): they are refused rather than ignored.
func (a *API) updatePhone(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	id, err := ownPhone(r, u)
	if err != nil {
		return err
	}
	for _, k := range []string{"reserved_for_second_factor", "default_second_factor"} {
		if v.Get(k) == "true" {
			return errs.ParamUnknown(k, "Phone numbers are not used as a second factor on this instance.")
		}
	}
	return a.envelope(w, r, clientOf(r).ID, a.phoneObject(u, id))
}

func (a *API) deletePhone(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	id, err := ownPhone(r, u)
	if err != nil {
		return err
	}
	if err := a.Profile.DeleteIdentifier(r.Context(), u.ID, id); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "phone_number", "id": id, "deleted": true})
}

func (a *API) preparePhone(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	id, err := ownPhone(r, u)
	if err != nil {
		return err
	}
	if s := v.Get("strategy"); s != "" && s != "phone_code" {
		return errs.ParamValue("strategy", s)
	}
	if _, err := a.Sessions.PrepareEmail(r.Context(), a.Profile, clientOf(r), u, id); err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, id, a.phoneObject)
}

func (a *API) attemptPhone(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	id, err := ownPhone(r, u)
	if err != nil {
		return err
	}
	if err := a.Sessions.AttemptEmail(r.Context(), a.Profile, clientOf(r), u, id, v.Get("code")); err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, id, a.phoneObject)
}
