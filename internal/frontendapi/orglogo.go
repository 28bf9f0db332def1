package frontendapi

import (
	"net/http"
	"net/url"

	"github.com/conciergehq/concierge/internal/images"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// withOrgUpload is withOrgs for an upload: the body is the file, not
// parameters.
func (a *API) withOrgUpload(fn func(w http.ResponseWriter, r *http.Request, u *user.User) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := limit(a.limiter(noLimit), r); err != nil {
			return err
		}
		_, u, err := a.me(r)
		if err != nil {
			return err
		}
		live, err := a.Settings.Live(r.Context())
		if err != nil {
			return err
		}
		if !live.Organizations {
			return errOrganizationsOff
		}
		return fn(w, r, u)
	}
}

// setLogo is PUT /v1/organizations/{id}/logo, as <OrganizationProfile/>
// uploads it: the image is re-encoded before it is served.
func (a *API) setLogo(w http.ResponseWriter, r *http.Request, u *user.User) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermProfileManage)
	if err != nil {
		return err
	}
	file, _, err := images.Upload(w, r)
	if err != nil {
		return err
	}
	if o, err = a.Organizations.SetLogo(r.Context(), o.ID, file); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgOut(o))
}

func (a *API) removeLogo(w http.ResponseWriter, r *http.Request, _ *session.Session, u *user.User, _ url.Values) error {
	o, _, err := a.Organizations.Authorize(r.Context(), r.PathValue("organization_id"), u.ID, organization.PermProfileManage)
	if err != nil {
		return err
	}
	if o, err = a.Organizations.RemoveLogo(r.Context(), o.ID); err != nil {
		return err
	}
	return a.envelope(w, r, clientOf(r).ID, a.orgOut(o))
}
