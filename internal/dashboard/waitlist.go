package dashboard

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/waitlist"
)

func (d *Dashboard) waitlist(w http.ResponseWriter, r *http.Request) error {
	list, total, err := d.Waitlist.List(r.Context(), waitlist.Query{Limit: 500,
		Order: waitlist.Order{Field: "created_at", Desc: true}})
	if err != nil {
		return err
	}
	return d.render(w, r, "waitlist", http.StatusOK, view{Title: "Waitlist", Nav: "waitlist",
		Data: map[string]any{"Rows": list, "Total": total}})
}

// addWaitlist adds an address without a confirmation email: the operator
// is not the address's owner asking to join.
func (d *Dashboard) addWaitlist(w http.ResponseWriter, r *http.Request) error {
	email, notify := r.PostForm.Get("email_address"), false
	if _, err := d.Waitlist.Create(r.Context(), waitlist.CreateParams{EmailAddress: &email, Notify: &notify}); err != nil {
		return err
	}
	return back(w, r, "/dashboard/waitlist", "added")
}

// inviteWaitlist emails the entry an invitation, replacing a pending one
// so that a second press resends a working link.
func (d *Dashboard) inviteWaitlist(w http.ResponseWriter, r *http.Request) error {
	replace := true
	if _, err := d.Waitlist.Invite(r.Context(), r.PathValue("id"), waitlist.InviteParams{IgnoreExisting: &replace}); err != nil {
		return err
	}
	return back(w, r, "/dashboard/waitlist", "invited")
}

func (d *Dashboard) rejectWaitlist(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.Waitlist.Reject(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/waitlist", "rejected")
}

func (d *Dashboard) deleteWaitlist(w http.ResponseWriter, r *http.Request) error {
	if err := d.Waitlist.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return back(w, r, "/dashboard/waitlist", "removed")
}
