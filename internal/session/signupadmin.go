package session

import (
	"context"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/errs"
)

// SignUpAdminParams are the fields of the Backend API's PATCH
// /v1/sign_ups/{id}; nil leaves a field as it is, an empty external_id
// clears it.
type SignUpAdminParams struct {
	ExternalID   *string `json:"external_id"`
	CustomAction *bool   `json:"custom_action"`
}

// SignUpByID returns any client's sign-up, for the Backend API.
func (s *Service) SignUpByID(ctx context.Context, id string) (*SignUp, error) {
	return s.Store.SignUp(ctx, id)
}

// UpdateSignUpByID sets what the application keeps on a sign-up. A
// completed sign-up has made its user, so changing it would mislead.
func (s *Service) UpdateSignUpByID(ctx context.Context, id string, p SignUpAdminParams) (*SignUp, error) {
	if p.ExternalID != nil && (utf8.RuneCountInString(*p.ExternalID) > 256) {
		return nil, errs.ParamFormat("external_id", "external_id must be at most 256 characters.")
	}
	return s.Store.UpdateSignUp(ctx, id, func(su *SignUp) error {
		if su.Status == Complete {
			return errs.New(errs.Invalid, "sign_up_already_complete", "Sign-up complete",
				"This sign-up has completed and made its user: change the user instead.")
		}
		if p.ExternalID != nil {
			su.ExternalID = *p.ExternalID
		}
		if p.CustomAction != nil {
			su.CustomAction = *p.CustomAction
		}
		su.UpdatedAt = s.Now().UnixMilli()
		return nil
	})
}
