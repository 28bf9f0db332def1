package backendapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/organization"
	"github.com/conciergehq/concierge/internal/respond"
)

// enrollmentModes are the verified-domain enrolment modes; Concierge
// offers all of them while verified domains are on.
var enrollmentModes = []string{organization.ManualInvitation, organization.AutomaticInvitation, organization.AutomaticSuggestion}

// orgSettingsObject is Clerk's organization_settings, from the instance
// settings. Concierge sets no bound on roles and permissions (0), always
// offers slugs, and gives users enrolled by a domain org:member.
func orgSettingsObject(live instance.Live) map[string]any {
	modes := []string{}
	if live.OrganizationDomains {
		modes = enrollmentModes
	}
	return map[string]any{"object": "organization_settings", "enabled": live.Organizations,
		"max_allowed_memberships": live.OrganizationMaxMemberships, "max_allowed_roles": 0, "max_allowed_permissions": 0,
		"creator_role": live.OrganizationCreatorRole, "admin_delete_enabled": live.OrganizationAdminDelete,
		"domains_enabled": live.OrganizationDomains, "slug_disabled": false,
		"domains_enrollment_modes": modes, "domains_default_role": organization.RoleMember}
}

func (a *API) getOrganizationSettings(w http.ResponseWriter, r *http.Request) error {
	live, err := a.Settings.Live(r.Context())
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, orgSettingsObject(live))
	return nil
}

type orgSettingsParams struct {
	Enabled                    *bool     `json:"enabled"`
	MaxAllowedMemberships      *int64    `json:"max_allowed_memberships"`
	CreatorRoleID              *string   `json:"creator_role_id"`
	AdminDeleteEnabled         *bool     `json:"admin_delete_enabled"`
	DomainsEnabled             *bool     `json:"domains_enabled"`
	DomainsEnrollmentModes     *[]string `json:"domains_enrollment_modes"`
	DomainsDefaultRoleID       *string   `json:"domains_default_role_id"`
	ForceOrganizationSelection *bool     `json:"force_organization_selection"`
}

// updateOrganizationSettings maps Clerk's fields onto the organization
// settings. domains_enrollment_modes and domains_default_role_id are
// checked and not stored (every mode is offered; domains enrol members);
// force_organization_selection is Clerk's beta and is ignored.
func (a *API) updateOrganizationSettings(w http.ResponseWriter, r *http.Request) error {
	var p orgSettingsParams
	if err := decode(w, r, &p); err != nil {
		return err
	}
	ctx := r.Context()
	set := map[string]string{}
	for key, v := range map[string]*bool{instance.Organizations: p.Enabled, instance.OrganizationAdminDelete: p.AdminDeleteEnabled,
		instance.OrganizationDomains: p.DomainsEnabled} {
		if v != nil {
			set[key] = boolString(*v)
		}
	}
	if n := p.MaxAllowedMemberships; n != nil {
		if *n < 0 || *n > 1_000_000 {
			return errs.ParamFormat("max_allowed_memberships", "max_allowed_memberships must be a whole number from 0 (no bound) to 1000000.")
		}
		set[instance.OrganizationMaxMemberships] = strconv.FormatInt(*n, 10)
	}
	if p.CreatorRoleID != nil {
		key, err := a.roleKey(ctx, "creator_role_id", *p.CreatorRoleID)
		if err != nil {
			return err
		}
		set[instance.OrganizationCreatorRole] = key
	}
	if p.DomainsDefaultRoleID != nil {
		if _, err := a.roleKey(ctx, "domains_default_role_id", *p.DomainsDefaultRoleID); err != nil {
			return err
		}
	}
	if p.DomainsEnrollmentModes != nil {
		for _, m := range *p.DomainsEnrollmentModes {
			if !slices.Contains(enrollmentModes, m) {
				return errs.ParamValue("domains_enrollment_modes", m)
			}
		}
	}
	if err := a.Settings.SetAll(ctx, set); err != nil {
		return err
	}
	live, err := a.Settings.Live(ctx)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, orgSettingsObject(live))
	return nil
}

// roleKey resolves a role given by key (org:admin) or id to its key; a
// creator's role must let them manage members, or nobody could.
func (a *API) roleKey(ctx context.Context, param, keyOrID string) (string, error) {
	set, err := a.Organizations.RoleSet(ctx)
	if err != nil {
		return "", err
	}
	for _, role := range set.Roles() {
		if role.Key != keyOrID && role.ID != keyOrID {
			continue
		}
		if param == "creator_role_id" && !set.IsAdmin(role.Key) {
			return "", errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"The creator's role must hold org:sys_memberships:manage, or the creator could not manage the organization.").WithParam(param)
		}
		return role.Key, nil
	}
	return "", organization.RoleNotFound(keyOrID)
}
