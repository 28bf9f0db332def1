package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/respond"
)

// A user's second factors, as an operator or the application's backend
// manages them: checking a code (step-up in the application), and
// removing the authenticator app, the backup codes, or both.

type verifyTOTPJSON struct {
	Verified bool    `json:"verified"`
	CodeType *string `json:"code_type"`
}

// verifyTOTP is POST /v1/users/{id}/verify_totp: the code of the user's
// authenticator app or one of their backup codes; a match is used up.
func (a *API) verifyTOTP(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Code *string `json:"code"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Code == nil || *p.Code == "" {
		return errs.ParamMissing("code")
	}
	kind, _, err := a.Users.VerifyCode(r.Context(), r.PathValue("user_id"), *p.Code)
	if err != nil {
		return err
	}
	out := verifyTOTPJSON{Verified: kind != ""}
	if kind != "" {
		out.CodeType = &kind
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

// removeFactors answers DELETE /v1/users/{id}/mfa, …/totp and
// …/backup_code with {user_id}.
func (a *API) removeFactors(totp, backup bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := a.Users.RemoveFactors(r.Context(), r.PathValue("user_id"), totp, backup)
		if err != nil {
			return err
		}
		respond.JSON(w, http.StatusOK, map[string]string{"user_id": u.ID})
		return nil
	}
}

// deletePasskey answers DELETE /v1/users/{id}/passkeys/{passkey_id} with
// Clerk's deleted object.
func (a *API) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	ctx, userID, pkID := r.Context(), r.PathValue("user_id"), r.PathValue("passkey_id")
	u, err := a.Users.Get(ctx, userID)
	if err != nil {
		return err
	}
	if idn := u.Identifier(pkID); idn == nil || idn.Kind != passkey.Kind {
		return passkey.NotFound(pkID)
	}
	if err := a.Profile.DeleteIdentifier(ctx, userID, pkID); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "passkey", "id": pkID, "deleted": true})
	return nil
}
