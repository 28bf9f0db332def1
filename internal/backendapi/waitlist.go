package backendapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/waitlist"
)

type waitlistEntryJSON struct {
	Object       string          `json:"object"`
	ID           string          `json:"id"`
	EmailAddress string          `json:"email_address"`
	Status       string          `json:"status"`
	IsLocked     bool            `json:"is_locked"`
	Invitation   *invitationJSON `json:"invitation"`
	CreatedAt    int64           `json:"created_at"`
	UpdatedAt    int64           `json:"updated_at"`
}

// waitlistEntryOut renders an entry; the invitation's link shows only
// while it is pending.
func waitlistEntryOut(e *waitlist.Entry, invURL func(*waitlist.Entry) (string, error), now int64) (waitlistEntryJSON, error) {
	out := waitlistEntryJSON{Object: "waitlist_entry", ID: e.ID, EmailAddress: e.EmailAddress, Status: e.Status,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if inv := e.Invitation; inv != nil {
		j := InvitationObject(inv, now).(invitationJSON)
		if j.Status == "pending" && invURL != nil {
			u, err := invURL(e)
			if err != nil {
				return out, err
			}
			j.URL = u
		}
		out.Invitation = &j
	}
	return out, nil
}

func (a *API) waitlistOut(es []*waitlist.Entry) ([]waitlistEntryJSON, error) {
	now := a.Invitations.Now().UnixMilli()
	link := func(e *waitlist.Entry) (string, error) { return a.Invitations.URL(e.Invitation) }
	out := make([]waitlistEntryJSON, len(es))
	for i, e := range es {
		var err error
		if out[i], err = waitlistEntryOut(e, link, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseWaitlistQuery reads GET /v1/waitlist_entries's filters and order.
func parseWaitlistQuery(v url.Values) (waitlist.Query, error) {
	var q waitlist.Query
	for _, s := range v["status"] {
		if !slices.Contains(waitlist.Statuses, s) {
			return q, errs.ParamValue("status", s)
		}
		if !slices.Contains(q.Statuses, s) {
			q.Statuses = append(q.Statuses, s)
		}
	}
	q.Search = v.Get("query")
	if len(q.Search) > maxQueryLen {
		return q, errs.ParamFormat("query", "query must be at most 256 characters.")
	}
	q.Order = waitlist.Order{Field: "created_at", Desc: true}
	if o := v.Get("order_by"); o != "" {
		field := strings.TrimLeft(o, "+-")
		if field != "created_at" && field != "email_address" && field != "invited_at" || len(o)-len(field) > 1 {
			return q, errs.ParamValue("order_by", o)
		}
		q.Order = waitlist.Order{Field: field, Desc: strings.HasPrefix(o, "-")}
	}
	return q, nil
}

// listWaitlist is GET /v1/waitlist_entries: always {data, total_count}.
func (a *API) listWaitlist(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	limit, offset, _, err := page(v)
	if err != nil {
		return err
	}
	q, err := parseWaitlistQuery(v)
	if err != nil {
		return err
	}
	q.Limit, q.Offset = limit, offset
	items, total, err := a.Waitlist.List(r.Context(), q)
	if err != nil {
		return err
	}
	ptrs := make([]*waitlist.Entry, len(items))
	for i := range items {
		ptrs[i] = &items[i]
	}
	out, err := a.waitlistOut(ptrs)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

// oneEntry answers a single entry.
func (a *API) oneEntry(w http.ResponseWriter, e *waitlist.Entry) error {
	out, err := a.waitlistOut([]*waitlist.Entry{e})
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out[0])
	return nil
}

func (a *API) createWaitlistEntry(w http.ResponseWriter, r *http.Request) error {
	var p waitlist.CreateParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	e, err := a.Waitlist.Create(r.Context(), p)
	if err != nil {
		return err
	}
	return a.oneEntry(w, e)
}

func (a *API) bulkCreateWaitlistEntries(w http.ResponseWriter, r *http.Request) error {
	var ps []waitlist.CreateParams
	if err := decode(w, r, &ps); err != nil {
		return err
	}
	es, err := a.Waitlist.BulkCreate(r.Context(), ps)
	if err != nil {
		return err
	}
	out, err := a.waitlistOut(es)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) inviteWaitlistEntry(w http.ResponseWriter, r *http.Request) error {
	var p waitlist.InviteParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	e, err := a.Waitlist.Invite(r.Context(), r.PathValue("waitlist_entry_id"), p)
	if err != nil {
		return err
	}
	return a.oneEntry(w, e)
}

func (a *API) rejectWaitlistEntry(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	e, err := a.Waitlist.Reject(r.Context(), r.PathValue("waitlist_entry_id"))
	if err != nil {
		return err
	}
	return a.oneEntry(w, e)
}

func (a *API) deleteWaitlistEntry(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	id := r.PathValue("waitlist_entry_id")
	if err := a.Waitlist.Delete(r.Context(), id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "waitlist_entry", ID: id, Deleted: true})
	return nil
}
