package dashboard

import "net/http"

func (d *Dashboard) blocklist(w http.ResponseWriter, r *http.Request) error {
	list, total, err := d.Blocklist.List(r.Context(), 500, 0)
	if err != nil {
		return err
	}
	return d.render(w, r, "blocklist", http.StatusOK, view{Title: "Blocklist", Nav: "blocklist",
		Data: map[string]any{"Rows": list, "Total": total}})
}

func (d *Dashboard) addBlocklist(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.Blocklist.Create(r.Context(), r.PostForm.Get("identifier")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/blocklist", "added")
}

func (d *Dashboard) deleteBlocklist(w http.ResponseWriter, r *http.Request) error {
	if err := d.Blocklist.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/blocklist", "removed")
}
