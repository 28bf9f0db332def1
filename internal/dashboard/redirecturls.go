package dashboard

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/errs"
)

func (d *Dashboard) redirectURLs(w http.ResponseWriter, r *http.Request) error {
	list, total, err := d.RedirectURLs.List(r.Context(), 500, 0)
	if err != nil {
		return err
	}
	return d.render(w, r, "redirect_urls", http.StatusOK, view{Title: "Redirect URLs", Nav: "redirect_urls",
		Data: map[string]any{"Rows": list, "Total": total}})
}

func (d *Dashboard) addRedirectURL(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.RedirectURLs.Create(r.Context(), r.PostForm.Get("url")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/redirect-urls", "added")
}

// deleteRedirectURL needs the row's confirmation box: removing a URL
// breaks sign-in for the app that returns to it.
func (d *Dashboard) deleteRedirectURL(w http.ResponseWriter, r *http.Request) error {
	if r.PostForm.Get("confirm") != "delete" {
		return errs.New(errs.Invalid, "confirmation_missing", "Not confirmed", "Tick the confirmation box to remove the redirect URL.")
	}
	if err := d.RedirectURLs.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/redirect-urls", "removed")
}
