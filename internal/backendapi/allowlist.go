package backendapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
)

type allowlistJSON struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	InvitationID   *string `json:"invitation_id,omitempty"`
	Identifier     string  `json:"identifier"`
	IdentifierType string  `json:"identifier_type"`
	CreatedAt      int64   `json:"created_at"`
	UpdatedAt      int64   `json:"updated_at"`
}

func toAllowlistJSON(i *allowlist.Identifier) allowlistJSON {
	return allowlistJSON{Object: "allowlist_identifier", ID: i.ID, InvitationID: i.InvitationID,
		Identifier: i.Identifier, IdentifierType: i.Type, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// paginatedJSON is the {data, total_count} shape lists take with
// ?paginated=true.
type paginatedJSON struct {
	Data       any   `json:"data"`
	TotalCount int64 `json:"total_count"`
}

// page reads limit, offset and paginated.
func page(v url.Values) (limit, offset int, paginated bool, err error) {
	if limit, offset, err = limitOffset(v); err != nil {
		return 0, 0, false, err
	}
	if s := v.Get("paginated"); s != "" {
		if paginated, err = strconv.ParseBool(s); err != nil {
			return 0, 0, false, errs.ParamValue("paginated", s)
		}
	}
	return limit, offset, paginated, nil
}

func (a *API) listAllowlist(w http.ResponseWriter, r *http.Request) error {
	limit, offset, paginated, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	items, total, err := a.Allowlist.List(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]allowlistJSON, len(items))
	for i := range items {
		out[i] = toAllowlistJSON(&items[i])
	}
	if paginated {
		respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	} else {
		respond.JSON(w, http.StatusOK, out)
	}
	return nil
}

func (a *API) createAllowlist(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Identifier *string `json:"identifier"`
		Notify     *bool   `json:"notify"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Identifier == nil {
		return errs.ParamMissing("identifier")
	}
	i, err := a.Allowlist.Create(r.Context(), *p.Identifier, p.Notify != nil && *p.Notify)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toAllowlistJSON(i))
	return nil
}

func (a *API) deleteAllowlist(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	id := r.PathValue("identifier_id")
	if err := a.Allowlist.Delete(r.Context(), id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "allowlist_identifier", ID: id, Deleted: true})
	return nil
}
