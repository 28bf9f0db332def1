package backendapi

import (
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
)

// oauthAccessTokens is GET /v1/users/{user_id}/oauth_access_tokens/
// {provider}: the user's current tokens at a provider (oauth_google or
// google), refreshed first when expired.
func (a *API) oauthAccessTokens(w http.ResponseWriter, r *http.Request) error {
	provider := r.PathValue("provider")
	if !strings.HasPrefix(provider, "oauth_") {
		provider = "oauth_" + provider
	}
	tokens, err := a.Sessions.AccessTokens(r.Context(), r.PathValue("user_id"), provider)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(tokens))
	for _, t := range tokens {
		m := map[string]any{"object": "oauth_access_token", "external_account_id": t.ExternalAccountID, "token": t.Token,
			"provider": t.Strategy, "public_metadata": map[string]any{}, "label": nil, "scopes": t.Scopes}
		if t.ExpiresAt != 0 {
			m["expires_at"] = t.ExpiresAt
		}
		out = append(out, m)
	}
	if r.URL.Query().Get("paginated") == "true" {
		respond.JSON(w, http.StatusOK, map[string]any{"data": out, "total_count": len(out)})
		return nil
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

// deleteExternalAccount is DELETE /v1/users/{user_id}/external_accounts/
// {external_account_id}.
func (a *API) deleteExternalAccount(w http.ResponseWriter, r *http.Request) error {
	userID, id := r.PathValue("user_id"), r.PathValue("external_account_id")
	u, err := a.Users.Get(r.Context(), userID)
	if err != nil {
		return err
	}
	found := false
	for i := range u.Identifiers {
		found = found || (u.Identifiers[i].ID == id && isExternal(&u.Identifiers[i]))
	}
	if !found {
		return session.NotFound("external account", id)
	}
	if err := a.Profile.DeleteIdentifier(r.Context(), userID, id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "external_account", "id": id, "deleted": true})
	return nil
}
