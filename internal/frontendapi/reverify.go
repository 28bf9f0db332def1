package frontendapi

import (
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Reverification (clerk-js's useReverification): a sensitive /v1/me call
// on a session whose factors are stale answers 403
// session_reverification_required; clerk-js then verifies the session
// again under /v1/client/sessions/{id}/verify and retries.

type reverificationJSON struct {
	Object                   string            `json:"object"`
	ID                       string            `json:"id"`
	Status                   string            `json:"status"`
	Level                    string            `json:"level"`
	Session                  sessionJSON       `json:"session"`
	SupportedFirstFactors    []factorJSON      `json:"supported_first_factors"`
	SupportedSecondFactors   []factorJSON      `json:"supported_second_factors"`
	FirstFactorVerification  *verificationJSON `json:"first_factor_verification"`
	SecondFactorVerification *verificationJSON `json:"second_factor_verification"`
}

// factorsOut renders factors; a first factor's default is its primary
// address or number, a second factor's is marked.
func factorsOut(fs []session.Factor, primaryIsDefault bool) []factorJSON {
	out := []factorJSON{}
	for _, f := range fs {
		out = append(out, factorJSON{Strategy: f.Strategy, SafeIdentifier: f.SafeIdentifier, EmailAddressID: f.EmailAddressID,
			PhoneNumberID: f.PhoneNumberID, Primary: f.Primary, Default: f.Default || (primaryIsDefault && f.Primary)})
	}
	return out
}

func (a *API) reverificationResponse(w http.ResponseWriter, r *http.Request, c *session.Client, v *session.Reverification, s *session.Session, u *user.User) error {
	now := a.Sessions.Now().UnixMilli()
	sj, err := a.sessionWith(r.Context(), s, now, map[string]*user.User{u.ID: u})
	if err != nil {
		return err
	}
	out := reverificationJSON{Object: "session_reverification", ID: v.ID, Status: v.Status, Level: v.Level, Session: sj,
		SupportedFirstFactors: factorsOut(session.ReverifyFirstFactors(u), true), SupportedSecondFactors: factorsOut(session.SecondFactors(u), false)}
	if v.FirstFactor != nil {
		out.FirstFactorVerification = verificationOut(v.FirstFactor, nil)
	}
	if v.SecondFactor != nil {
		out.SecondFactorVerification = verificationOut(v.SecondFactor, nil)
	}
	return a.envelope(w, r, c.ID, out)
}

func (a *API) startReverification(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	rv, u, err := a.Sessions.StartReverification(r.Context(), c, r.PathValue("id"), v.Get("level"))
	if err != nil {
		return err
	}
	s, err := a.Sessions.Session(r.Context(), rv.SessionID)
	if err != nil {
		return err
	}
	return a.reverificationResponse(w, r, c, rv, s, u)
}

// reverifyStep answers prepare_/attempt_first_factor and _second_factor
// under /verify.
func (a *API) reverifyStep(second, attempt bool) clientHandler {
	return func(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
		ctx, id, p := r.Context(), r.PathValue("id"), signInParams(v)
		if attempt {
			if _, _, err := a.Sessions.AttemptReverification(ctx, c, id, second, p); err != nil {
				return err
			}
		} else if _, err := a.Sessions.PrepareReverification(ctx, c, id, second, p); err != nil {
			return err
		}
		rv, s, u, err := a.Sessions.Reverification(ctx, c, id)
		if err != nil {
			return err
		}
		return a.reverificationResponse(w, r, c, rv, s, u)
	}
}

// sensitive guards a /v1/me change clerk-js wraps in useReverification.
func (a *API) sensitive(fn meHandler) meHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session.Session, u *user.User, v url.Values) error {
		if err := a.Sessions.RequireFresh(s); err != nil {
			return err
		}
		return fn(w, r, s, u, v)
	}
}
