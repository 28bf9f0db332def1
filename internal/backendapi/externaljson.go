package backendapi

import (
	"encoding/json"
	"strings"

	"github.com/conciergehq/concierge/internal/oauth"
	"github.com/conciergehq/concierge/internal/user"
)

// externalAccountJSON is Clerk's external_account object: a provider's
// account attached to the user (the identifier of kind oauth_*).
type externalAccountJSON struct {
	Object           string            `json:"object"`
	ID               string            `json:"id"`
	Provider         string            `json:"provider"`
	IdentificationID string            `json:"identification_id"`
	ProviderUserID   string            `json:"provider_user_id"`
	ApprovedScopes   string            `json:"approved_scopes"`
	EmailAddress     string            `json:"email_address"`
	FirstName        string            `json:"first_name"`
	LastName         string            `json:"last_name"`
	AvatarURL        string            `json:"avatar_url"`
	ImageURL         string            `json:"image_url"`
	Username         *string           `json:"username"`
	PhoneNumber      *string           `json:"phone_number"`
	PublicMetadata   json.RawMessage   `json:"public_metadata"`
	Label            *string           `json:"label"`
	Verification     *verificationJSON `json:"verification"`
	CreatedAt        int64             `json:"created_at"`
	UpdatedAt        int64             `json:"updated_at"`
}

// isExternal reports whether an identifier is an external account.
func isExternal(i *user.Identifier) bool { return strings.HasPrefix(string(i.Kind), "oauth_") }

// externalAccount renders an external account; its tokens never show.
func externalAccount(i *user.Identifier) externalAccountJSON {
	var id oauth.Identity
	json.Unmarshal([]byte(i.Data), &id)
	out := externalAccountJSON{Object: "external_account", ID: i.ID, Provider: string(i.Kind), IdentificationID: i.ID,
		ProviderUserID: i.Value, ApprovedScopes: strings.Join(id.Scopes, " "), EmailAddress: id.Email,
		FirstName: id.FirstName, LastName: id.LastName, AvatarURL: id.ImageURL, ImageURL: id.ImageURL,
		PublicMetadata: json.RawMessage(`{}`), CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
		Verification: &verificationJSON{Object: "verification_oauth", Status: i.VerificationStatus, Strategy: i.VerificationStrategy}}
	if id.Username != "" {
		out.Username = &id.Username
	}
	return out
}
