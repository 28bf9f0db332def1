package frontendapi

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// updateMyMetadata is PATCH /v1/me/metadata, where clerk-js's
// user.update({unsafeMetadata}) goes: the given object is deep-merged
// into the user's unsafe_metadata (null removes a key), as the Backend
// API's merge does. The browser may write unsafe metadata only.
func (a *API) updateMyMetadata(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, v url.Values) error {
	if _, ok := v["unsafe_metadata"]; !ok {
		return errs.ParamMissing("unsafe_metadata")
	}
	raw := v.Get("unsafe_metadata")
	if raw == "" {
		raw = "null" // an empty form value: JSON null, which clears it
	}
	if !json.Valid([]byte(raw)) {
		return errs.ParamFormat("unsafe_metadata", "unsafe_metadata must be a JSON object.")
	}
	u, err := a.UserRules.MergeMetadata(r.Context(), u.ID, user.MetadataParams{UnsafeMetadata: json.RawMessage(raw)})
	if err != nil {
		return err
	}
	return a.meResponse(w, r, u)
}

// deleteMe is DELETE /v1/me: the user deletes their own account, when the
// instance's delete_self setting and the user's delete_self_enabled both
// allow it.
func (a *API) deleteMe(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	if err := a.Sessions.DeleteSelf(r.Context(), u); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, map[string]any{"object": "user", "id": u.ID, "deleted": true})
}
