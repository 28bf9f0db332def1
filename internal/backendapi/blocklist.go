package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/blocklist"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
)

type blocklistJSON struct {
	Object         string `json:"object"`
	ID             string `json:"id"`
	Identifier     string `json:"identifier"`
	IdentifierType string `json:"identifier_type"`
	CreatedAt      int64  `json:"created_at"`
	UpdatedAt      int64  `json:"updated_at"`
}

func toBlocklistJSON(i *blocklist.Identifier) blocklistJSON {
	return blocklistJSON{Object: "blocklist_identifier", ID: i.ID, Identifier: i.Identifier, IdentifierType: i.Type,
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// listBlocklist is GET /v1/blocklist_identifiers: always {data,
// total_count}, as Clerk answers it.
func (a *API) listBlocklist(w http.ResponseWriter, r *http.Request) error {
	limit, offset, _, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	items, total, err := a.Blocklist.List(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]blocklistJSON, len(items))
	for i := range items {
		out[i] = toBlocklistJSON(&items[i])
	}
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

func (a *API) createBlocklist(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Identifier *string `json:"identifier"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Identifier == nil {
		return errs.ParamMissing("identifier")
	}
	i, err := a.Blocklist.Create(r.Context(), *p.Identifier)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, toBlocklistJSON(i))
	return nil
}

func (a *API) deleteBlocklist(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	id := r.PathValue("identifier_id")
	if err := a.Blocklist.Delete(r.Context(), id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "blocklist_identifier", ID: id, Deleted: true})
	return nil
}
