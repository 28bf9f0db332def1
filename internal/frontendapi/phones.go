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
func (a *API) phoneObject(u *user.User, id string) any { return a.phoneWithCodes(u, id, nil) }

// phoneWithCodes renders a phone number with the backup codes its
// reservation as a first second factor made (shown this once).
func (a *API) phoneWithCodes(u *user.User, id string, codes []string) any {
	for _, p := range backendapi.UserObject(a.PublicURL, u, 0, false).PhoneNumbers {
		if p.ID == id {
			if codes != nil {
				p.BackupCodes = codes
			}
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

// updatePhone answers PATCH /v1/me/phone_numbers/{id}: its fields make a
// verified number receive second-factor codes (reserved_for_second_factor)
// and the one asked first (default_second_factor). A user's first second
// factor comes with backup codes, shown in the answer once.
func (a *API) updatePhone(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, v url.Values) error {
	id, err := ownPhone(r, u)
	if err != nil {
		return err
	}
	reserved, isDefault := u.ReservedForSecondFactor(id)
	flag := func(k string, cur bool) (bool, error) {
		switch v.Get(k) {
		case "":
			return cur, nil
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, errs.ParamValue(k, v.Get(k))
	}
	wantReserved, err := flag("reserved_for_second_factor", reserved)
	if err != nil {
		return err
	}
	wantDefault, err := flag("default_second_factor", isDefault)
	if err != nil {
		return err
	}
	if !wantReserved && v.Get("default_second_factor") == "" {
		wantDefault = false // no longer reserved: no longer the default
	}
	if wantDefault && !wantReserved {
		// Making a number the default reserves it, unless told not to.
		wantReserved = v.Get("reserved_for_second_factor") == ""
		if !wantReserved {
			return errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"A phone number that does not receive second-factor codes cannot be the default one.").WithParam("default_second_factor")
		}
	}
	if wantReserved == reserved && wantDefault == isDefault {
		return a.envelope(w, r, clientOf(r).ID, a.phoneObject(u, id))
	}
	if wantReserved != reserved {
		// Adding or removing a second factor is a sensitive change;
		// choosing the default is not (clerk-js does not wrap it).
		if err := a.Sessions.RequireFresh(s); err != nil {
			return err
		}
	}
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	if wantReserved && !reserved && !live.SecondFactor("phone_code") {
		return errFactorOff("SMS codes")
	}
	u, codes, err := a.UserRules.SetPhoneSecondFactor(r.Context(), u.ID, id, wantReserved, wantDefault, live.SecondFactor("backup_code"))
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.phoneWithCodes(u, id, codes))
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
