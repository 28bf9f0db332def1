package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/respond"
)

// handshakePayload is GET /v1/clients/handshake_payload?nonce=: the
// application's server redeems the nonce a handshake left in its
// cookies (or URL) for the Set-Cookie directives to apply.
func (a *API) handshakePayload(w http.ResponseWriter, r *http.Request) error {
	directives, err := a.Nonces.Directives(r.Context(), r.URL.Query().Get("nonce"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"directives": directives})
	return nil
}
