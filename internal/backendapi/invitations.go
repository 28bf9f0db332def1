package backendapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/invitation"
	"github.com/conciergehq/concierge/internal/respond"
)

type invitationJSON struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Revoked        bool            `json:"revoked"`
	Status         string          `json:"status"`
	URL            string          `json:"url,omitempty"`
	ExpiresAt      *int64          `json:"expires_at"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

// InvitationObject renders an invitation without its link (webhook
// events: the link is a credential).
func InvitationObject(inv *invitation.Invitation, now int64) any {
	out := invitationJSON{Object: "invitation", ID: inv.ID, EmailAddress: inv.EmailAddress,
		PublicMetadata: inv.PublicMetadata, Status: inv.StatusAt(now), ExpiresAt: inv.ExpiresAt,
		CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt}
	out.Revoked = out.Status == invitation.Revoked
	return out
}

// invitationOut renders inv; only a pending invitation shows its link.
func (a *API) invitationOut(inv *invitation.Invitation, now int64) (invitationJSON, error) {
	out := invitationJSON{Object: "invitation", ID: inv.ID, EmailAddress: inv.EmailAddress,
		PublicMetadata: inv.PublicMetadata, Status: inv.StatusAt(now), ExpiresAt: inv.ExpiresAt,
		CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt}
	out.Revoked = out.Status == invitation.Revoked
	if out.Status == invitation.Pending {
		u, err := a.Invitations.URL(inv)
		if err != nil {
			return out, err
		}
		out.URL = u
	}
	return out, nil
}

func (a *API) invitationsOut(invs []*invitation.Invitation) ([]invitationJSON, error) {
	now := a.Invitations.Now().UnixMilli()
	out := make([]invitationJSON, len(invs))
	for i, inv := range invs {
		var err error
		if out[i], err = a.invitationOut(inv, now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var invitationStatuses = []string{invitation.Pending, invitation.Accepted, invitation.Revoked, invitation.Expired}

// parseInvitationQuery reads GET /v1/invitations's filters and order.
func parseInvitationQuery(v url.Values) (invitation.Query, error) {
	var q invitation.Query
	for _, s := range v["status"] {
		if !slices.Contains(invitationStatuses, s) {
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
	q.Order = invitation.Order{Field: "created_at", Desc: true}
	if o := v.Get("order_by"); o != "" {
		field := strings.TrimLeft(o, "+-")
		if field != "created_at" && field != "email_address" && field != "expires_at" || len(o)-len(field) > 1 {
			return q, errs.ParamValue("order_by", o)
		}
		q.Order = invitation.Order{Field: field, Desc: strings.HasPrefix(o, "-")}
	}
	return q, nil
}

func (a *API) listInvitations(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	limit, offset, paginated, err := page(v)
	if err != nil {
		return err
	}
	q, err := parseInvitationQuery(v)
	if err != nil {
		return err
	}
	q.Limit, q.Offset = limit, offset
	items, total, err := a.Invitations.List(r.Context(), q)
	if err != nil {
		return err
	}
	ptrs := make([]*invitation.Invitation, len(items))
	for i := range items {
		ptrs[i] = &items[i]
	}
	out, err := a.invitationsOut(ptrs)
	if err != nil {
		return err
	}
	if paginated {
		respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	} else {
		respond.JSON(w, http.StatusOK, out)
	}
	return nil
}

func (a *API) createInvitation(w http.ResponseWriter, r *http.Request) error {
	var p invitation.CreateParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	inv, err := a.Invitations.Create(r.Context(), p)
	if err != nil {
		return err
	}
	out, err := a.invitationOut(inv, inv.CreatedAt)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) bulkCreateInvitations(w http.ResponseWriter, r *http.Request) error {
	var ps []invitation.CreateParams
	if err := decode(w, r, &ps); err != nil {
		return err
	}
	invs, err := a.Invitations.BulkCreate(r.Context(), ps)
	if err != nil {
		return err
	}
	out, err := a.invitationsOut(invs)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	inv, err := a.Invitations.Revoke(r.Context(), r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	out, err := a.invitationOut(inv, inv.UpdatedAt)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) deleteInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	id := r.PathValue("invitation_id")
	if err := a.Invitations.Delete(r.Context(), id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "invitation", ID: id, Deleted: true})
	return nil
}
