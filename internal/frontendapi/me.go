package frontendapi

import (
	"context"
	"github.com/conciergehq/concierge/internal/errs"
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Profile is the store the /v1/me calls use for identifiers.
type Profile = session.Profile

// me finds the acting session and its user for a /v1/me call.
func (a *API) me(r *http.Request) (*session.Session, *user.User, error) {
	return a.Sessions.Acting(r.Context(), clientOf(r), r.URL.Query().Get("_clerk_session_id"))
}

func (a *API) userOut(ctx context.Context, u *user.User) (any, error) {
	return a.userObject(ctx, u, a.Sessions.Now().UnixMilli())
}

// userObject is the user as the user's own browser sees it: without
// private metadata, and delete_self_enabled only when the instance also
// lets users delete themselves, as the environment's delete_self says.
func (a *API) userObject(ctx context.Context, u *user.User, now int64) (*backendapi.UserJSON, error) {
	live, err := a.Settings.Live(ctx)
	if err != nil {
		return nil, err
	}
	out := backendapi.UserObject(a.PublicURL, u, now, false)
	out.DeleteSelfEnabled = out.DeleteSelfEnabled && live.DeleteSelf
	// clerk-js's organization switcher and lists read these.
	ms, err := a.userMemberships(ctx, u)
	if err != nil {
		return nil, err
	}
	out.OrganizationMemberships = ms
	return out, nil
}

// meResponse answers a /v1/me call with the user in the envelope.
func (a *API) meResponse(w http.ResponseWriter, r *http.Request, u *user.User) error {
	out, err := a.userOut(r.Context(), u)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, out)
}

// meHandler is a /v1/me call: the acting session, its user, the params.
type meHandler func(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, v url.Values) error

// withMe runs fn for the acting session of the caller's client, after
// the rate limit of kind.
func (a *API) withMe(kind limitKind, fn meHandler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := limit(a.limiter(kind), r); err != nil {
			return err
		}
		s, u, err := a.me(r)
		if err != nil {
			return err
		}
		// What a user changes of their own account is recorded as theirs.
		r = asUser(r, u.ID)
		v, err := params(r)
		if err != nil {
			return err
		}
		return fn(w, r, s, u, v)
	}
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	return a.meResponse(w, r, u)
}

func (a *API) updateMe(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	var p user.UpdateParams
	for _, f := range []struct {
		k   string
		dst *user.Field[string]
	}{{"first_name", &p.FirstName}, {"last_name", &p.LastName}, {"username", &p.Username},
		{"primary_email_address_id", &p.PrimaryEmailAddressID}, {"primary_phone_number_id", &p.PrimaryPhoneNumberID}} {
		if s := opt(v, f.k); s != nil {
			*f.dst = user.Field[string]{Set: true, Null: *s == "" && f.k != "first_name" && f.k != "last_name", Value: *s}
		}
	}
	u, err := a.UserRules.Update(r.Context(), u.ID, p)
	if err != nil {
		return err
	}
	return a.meResponse(w, r, u)
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, v url.Values) error {
	u, err := a.Sessions.ChangePassword(r.Context(), s, u, v.Get("current_password"), v.Get("new_password"),
		v.Get("sign_out_of_other_sessions") == "true")
	if err != nil {
		return err
	}
	return a.meResponse(w, r, u)
}

// removePassword is POST /v1/me/remove_password: with the current
// password, for a user who signs in another way.
func (a *API) removePassword(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if err := a.UserRules.VerifyPassword(r.Context(), u.ID, v.Get("current_password")); err != nil {
		if e, ok := errs.As(err); ok && e.Code == "incorrect_password" {
			err = errs.New(errs.Invalid, "form_password_incorrect", "Password is incorrect",
				"The current password is incorrect.").WithParam("current_password")
		} else if ok && e.Code == "form_param_missing" {
			err = errs.ParamMissing("current_password")
		}
		return err
	}
	u, err := a.UserRules.RemovePassword(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return a.meResponse(w, r, u)
}

// emailObject renders one of the user's email addresses, or nil.
func (a *API) emailObject(u *user.User, id string) any {
	for _, e := range backendapi.UserObject(a.PublicURL, u, 0, false).EmailAddresses {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func (a *API) listEmails(w http.ResponseWriter, _ *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	respond.JSON(w, http.StatusOK, backendapi.UserObject(a.PublicURL, u, 0, false).EmailAddresses)
	return nil
}

func (a *API) getEmail(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	e := a.emailObject(u, r.PathValue("id"))
	if e == nil {
		return session.NotFound("email address", r.PathValue("id"))
	}
	return a.envelope(w, r, clientOf(r).ID, e)
}

// reloaded answers one of the acting user's email addresses or phone
// numbers (as object renders it), fresh.
func (a *API) reloaded(w http.ResponseWriter, r *http.Request, userID, idnID string, object func(*user.User, string) any) error {
	u, err := a.Sessions.Users.User(r.Context(), userID)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, object(u, idnID))
}

func (a *API) addEmail(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	idn, err := a.Sessions.AddEmail(r.Context(), a.Profile, u, v.Get("email_address"))
	if err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, idn.ID, a.emailObject)
}

func (a *API) deleteEmail(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	id := r.PathValue("id")
	if err := a.Profile.DeleteIdentifier(r.Context(), u.ID, id); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "email_address", "id": id, "deleted": true})
}

func (a *API) prepareEmail(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if v.Get("strategy") == emaillink.Strategy {
		return a.prepareEmailLink(w, r, u, v)
	}
	if _, err := a.Sessions.PrepareEmail(r.Context(), a.Profile, clientOf(r), u, r.PathValue("id")); err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, r.PathValue("id"), a.emailObject)
}

func (a *API) attemptEmail(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if err := a.Sessions.AttemptEmail(r.Context(), a.Profile, clientOf(r), u, r.PathValue("id"), v.Get("code")); err != nil {
		return err
	}
	return a.reloaded(w, r, u.ID, r.PathValue("id"), a.emailObject)
}

// activeSessions lists the user's active sessions, for UserProfile's
// "Active devices" (clerk-js getSessions()): a bare array, each with the
// latest_activity it reads. Concierge keeps no device details, so the
// activity carries none.
func (a *API) activeSessions(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	list, _, err := a.Sessions.Sessions(r.Context(), session.Filter{UserID: u.ID, Status: session.Active, Limit: 100})
	if err != nil {
		return err
	}
	now := a.Sessions.Now().UnixMilli()
	out := make([]map[string]any, 0, len(list))
	for _, s := range list {
		sj := backendapi.SessionObject(s, now)
		out = append(out, map[string]any{"object": "session", "id": sj.ID, "status": sj.Status, "expire_at": sj.ExpireAt,
			"abandon_at": sj.AbandonAt, "last_active_at": sj.LastActiveAt, "actor": nil,
			"latest_activity": map[string]any{"object": "session_activity", "id": "sess_activity_" + s.ID, "is_mobile": false,
				"device_type": nil, "browser_name": nil, "browser_version": nil, "ip_address": nil, "city": nil, "country": nil}})
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

// revokeMySession signs one of the user's own sessions out (UserProfile's
// "Sign out of device").
func (a *API) revokeMySession(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	target, err := a.Sessions.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if target.UserID != u.ID {
		return session.NotFound("session", r.PathValue("id"))
	}
	s, err := a.Sessions.Revoke(r.Context(), target.ID)
	if err != nil {
		return err
	}
	out, err := a.sessionOut(r.Context(), s, a.Sessions.Now().UnixMilli())
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, out)
}
