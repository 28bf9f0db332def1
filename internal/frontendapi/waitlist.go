package frontendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/waitlist"
)

// waitlistEntryJSON is the entry as <Waitlist/> receives it. The
// invitation is never shown here: its link is a credential, and anyone
// may post an address.
type waitlistEntryJSON struct {
	Object       string `json:"object"`
	ID           string `json:"id"`
	EmailAddress string `json:"email_address"`
	Status       string `json:"status"`
	IsLocked     bool   `json:"is_locked"`
	Invitation   any    `json:"invitation"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
}

var errNoWaitlist = errs.New(errs.Forbidden, "not_allowed_access", "Access not allowed.",
	"This application has no waitlist: its sign-up mode is not waitlist.")

// joinWaitlist is POST /v1/waitlist (email_address): an address joins
// once; joining again answers its entry, as Clerk's. It is limited as
// creating sign-ups is, since each new address is sent a confirmation.
func (a *API) joinWaitlist(w http.ResponseWriter, r *http.Request) error {
	if err := limit(a.SignUpLimit, r); err != nil {
		return err
	}
	if a.Waitlist == nil {
		return errNoWaitlist
	}
	mode, err := a.Settings.Mode(r.Context())
	if err != nil {
		return err
	}
	if mode != instance.ModeWaitlist {
		return errNoWaitlist
	}
	v, err := params(r)
	if err != nil {
		return err
	}
	var p waitlist.CreateParams
	if v.Has("email_address") {
		email := v.Get("email_address")
		p.EmailAddress = &email
	}
	e, err := a.Waitlist.Create(r.Context(), p)
	if err != nil {
		return err
	}
	out := waitlistEntryJSON{Object: "waitlist_entry", ID: e.ID, EmailAddress: e.EmailAddress, Status: e.Status,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	var cj any
	if c := clientOf(r); c != nil {
		if cj, err = a.clientOut(r.Context(), c); err != nil {
			return err
		}
	}
	respond.JSON(w, http.StatusOK, map[string]any{"response": out, "client": cj})
	return nil
}
