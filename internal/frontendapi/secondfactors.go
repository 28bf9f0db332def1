package frontendapi

import (
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// Second factors: the sign-in's second step, and what a user enrols from
// their profile (an authenticator app, backup codes).

func (a *API) prepareSecondFactor(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	si, err := a.Sessions.PrepareSecondFactor(r.Context(), c, r.PathValue("id"), signInParams(v))
	return a.signInResponse(w, r, c, si, "", err)
}

func (a *API) attemptSecondFactor(w http.ResponseWriter, r *http.Request, c *session.Client, v url.Values) error {
	si, tok, err := a.Sessions.AttemptSecondFactor(r.Context(), c, r.PathValue("id"), signInParams(v))
	return a.signInResponse(w, r, c, si, tok, err)
}

// totpJSON is Clerk's totp object. The secret and URI are shown when the
// app is added, the backup codes when it is verified; never again.
type totpJSON struct {
	Object      string   `json:"object"`
	ID          string   `json:"id"`
	Secret      *string  `json:"secret"`
	URI         *string  `json:"uri"`
	Verified    bool     `json:"verified"`
	BackupCodes []string `json:"backup_codes"`
	CreatedAt   int64    `json:"created_at"`
	UpdatedAt   int64    `json:"updated_at"`
}

// totpID names a user's authenticator app: a user has at most one.
func totpID(u *user.User) string { return "totp_" + u.ID[len("user_"):] }

var errFactorOff = func(f string) error {
	return errs.New(errs.BadRequest, "feature_not_enabled", "Not enabled",
		"This instance does not offer "+f+" as a second factor.")
}

// enabled refuses a second factor the instance does not offer for
// enrolment.
func (a *API) enabled(r *http.Request, factor, name string) error {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	if !live.SecondFactor(factor) {
		return errFactorOff(name)
	}
	return nil
}

// createTOTP answers POST /v1/me/totp: a new secret for the user's
// authenticator app, awaiting its first code.
func (a *API) createTOTP(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	if err := a.enabled(r, "totp", "authenticator apps"); err != nil {
		return err
	}
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	secret, uri, err := a.UserRules.StartTOTP(r.Context(), u.ID, live.AppName)
	if err != nil {
		return err
	}
	now := a.Sessions.Now().UnixMilli()
	return a.envelope(w, r, clientOf(r).ID, totpJSON{Object: "totp", ID: totpID(u), Secret: &secret, URI: &uri,
		BackupCodes: []string{}, CreatedAt: now, UpdatedAt: now})
}

// verifyTOTP answers POST /v1/me/totp/attempt_verification: the app's
// first code makes it the user's second factor, with new backup codes
// when the instance offers them.
func (a *API) verifyTOTP(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	u, codes, err := a.UserRules.ConfirmTOTP(r.Context(), u.ID, v.Get("code"), live.SecondFactor("backup_code"))
	if err != nil {
		return err
	}
	if codes == nil {
		codes = []string{}
	}
	return a.envelope(w, r, clientOf(r).ID, totpJSON{Object: "totp", ID: totpID(u), Verified: true,
		BackupCodes: codes, CreatedAt: u.UpdatedAt, UpdatedAt: u.UpdatedAt})
}

// deleteTOTP answers DELETE /v1/me/totp.
func (a *API) deleteTOTP(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	if !u.TOTPEnabled() && len(u.TOTPPending) == 0 {
		return errs.ResourceNotFound("not found", "This account has no authenticator app.")
	}
	if _, err := a.UserRules.DisableTOTP(r.Context(), u.ID); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "totp", "id": totpID(u), "deleted": true})
}

// createBackupCodes answers POST /v1/me/backup_codes: a new set, shown
// once, replacing the old.
func (a *API) createBackupCodes(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	if err := a.enabled(r, "backup_code", "backup codes"); err != nil {
		return err
	}
	u, codes, err := a.UserRules.RegenerateBackupCodes(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "backup_code", "id": "bcode_" + u.ID[len("user_"):],
		"codes": codes, "created_at": u.UpdatedAt, "updated_at": u.UpdatedAt})
}
