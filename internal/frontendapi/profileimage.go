package frontendapi

import (
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/images"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// imageJSON is clerk-js's Image resource.
type imageJSON struct {
	Object    string  `json:"object"`
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	PublicURL string  `json:"public_url"`
}

// setProfileImage is POST /v1/me/profile_image, as UserProfile uploads
// it (the multipart field file, or the body itself): re-encoded before
// it is served.
func (a *API) setProfileImage(w http.ResponseWriter, r *http.Request) error {
	if err := limit(a.limiter(noLimit), r); err != nil {
		return err
	}
	_, u, err := a.me(r)
	if err != nil {
		return err
	}
	r = asUser(r, u.ID) // as withMe would, were the body not an upload
	file, _, err := images.Upload(w, r)
	if err != nil {
		return err
	}
	u, img, err := a.UserRules.SetImage(r.Context(), u.ID, file)
	if err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, imageJSON{Object: "image", ID: img.ID, PublicURL: *u.ImageURL})
}

// deleteProfileImage is DELETE /v1/me/profile_image.
func (a *API) deleteProfileImage(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	old := ""
	if u.ImageURL != nil {
		old = images.IDFromURL(a.PublicURL, *u.ImageURL)
	}
	if _, err := a.UserRules.RemoveImage(r.Context(), u.ID); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, imageJSON{Object: "image", ID: old, PublicURL: user.PlaceholderImage(a.PublicURL, u.ID)})
}
