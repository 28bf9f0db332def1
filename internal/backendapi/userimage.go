package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/images"
)

// setProfileImage is POST /v1/users/{id}/profile_image: the multipart
// field file, decoded and re-encoded before it is served.
func (a *API) setProfileImage(w http.ResponseWriter, r *http.Request) error {
	file, _, err := images.Upload(w, r)
	if err != nil {
		return err
	}
	u, _, err := a.Users.SetImage(r.Context(), r.PathValue("user_id"), file)
	return a.writeUser(w, u, err)
}

// deleteProfileImage is DELETE /v1/users/{id}/profile_image.
func (a *API) deleteProfileImage(w http.ResponseWriter, r *http.Request) error {
	u, err := a.Users.RemoveImage(r.Context(), r.PathValue("user_id"))
	return a.writeUser(w, u, err)
}
