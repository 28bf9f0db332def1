package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/redirecturl"
	"github.com/conciergehq/concierge/internal/respond"
)

type redirectURLJSON struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	URL       string `json:"url"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

func toRedirectURLJSON(u *redirecturl.RedirectURL) redirectURLJSON {
	return redirectURLJSON{Object: "redirect_url", ID: u.ID, URL: u.URL, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// listRedirectURLs is GET /v1/redirect_urls: a bare array, or {data,
// total_count} with paginated=true (which both SDKs send), as Clerk.
func (a *API) listRedirectURLs(w http.ResponseWriter, r *http.Request) error {
	limit, offset, paginated, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	items, total, err := a.RedirectURLs.List(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]redirectURLJSON, len(items))
	for i := range items {
		out[i] = toRedirectURLJSON(&items[i])
	}
	if paginated {
		respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	} else {
		respond.JSON(w, http.StatusOK, out)
	}
	return nil
}

func (a *API) createRedirectURL(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		URL *string `json:"url"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.URL == nil {
		return errs.ParamMissing("url")
	}
	u, err := a.RedirectURLs.Create(r.Context(), *p.URL)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toRedirectURLJSON(u))
	return nil
}

func (a *API) getRedirectURL(w http.ResponseWriter, r *http.Request) error {
	u, err := a.RedirectURLs.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toRedirectURLJSON(u))
	return nil
}

func (a *API) deleteRedirectURL(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.RedirectURLs.Delete(r.Context(), id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "redirect_url", ID: id, Deleted: true})
	return nil
}
