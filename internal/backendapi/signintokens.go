package backendapi

import (
	"encoding/json"
	"net/http"

	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/signintoken"
)

// ticketTokenJSON is Clerk's sign_in_token and actor_token objects: the
// token and its link only when it is minted.
type ticketTokenJSON struct {
	Object    string          `json:"object"`
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	UserID    string          `json:"user_id"`
	Actor     json.RawMessage `json:"actor,omitempty"`
	Token     string          `json:"token,omitempty"`
	URL       *string         `json:"url,omitempty"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

func toTicketTokenJSON(t *signintoken.Token, ticket, link string) ticketTokenJSON {
	out := ticketTokenJSON{Object: t.Kind, ID: t.ID, Status: t.Status, UserID: t.UserID, Actor: t.Actor,
		Token: ticket, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if link != "" {
		out.URL = &link
	}
	return out
}

// createTicketToken is POST /v1/sign_in_tokens and POST /v1/actor_tokens.
func (a *API) createTicketToken(kind string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p signintoken.CreateParams
		if err := decode(w, r, &p); err != nil {
			return err
		}
		m, err := a.Tickets.Create(r.Context(), kind, p)
		if err != nil {
			return err
		}
		respond.JSON(w, http.StatusOK, toTicketTokenJSON(m.Token, m.Ticket, m.URL))
		return nil
	}
}

// revokeTicketToken is POST /v1/sign_in_tokens/{id}/revoke and
// POST /v1/actor_tokens/{id}/revoke.
func (a *API) revokeTicketToken(kind string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := a.Tickets.Revoke(r.Context(), kind, r.PathValue("token_id"))
		if err != nil {
			return err
		}
		respond.JSON(w, http.StatusOK, toTicketTokenJSON(t, "", ""))
		return nil
	}
}
