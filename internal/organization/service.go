package organization

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/images"
	"github.com/conciergehq/concierge/internal/user"
)

// ID prefixes, as Clerk's.
const (
	prefixOrganization = "org_"
	prefixMembership   = "orgmem_"
	prefixInvitation   = "orginv_"
)

// Errors the rules name; the store reports its constraint violations as
// these.
var (
	ErrSlugTaken = errs.New(errs.Invalid, "form_identifier_exists", "This slug is taken. Please try another.",
		"Another organization already has this slug.").WithParam("slug")
	ErrAlreadyMember = errs.New(errs.BadRequest, "already_a_member_in_organization", "Already a member",
		"The user is already a member of the organization.")
	ErrQuotaExceeded = errs.New(errs.Forbidden, "organization_membership_quota_exceeded", "Membership quota exceeded",
		"The organization has reached its max_allowed_memberships.")
	ErrLastAdmin = errs.New(errs.BadRequest, "organization_minimum_permissions_needed",
		"There has to be at least one organization member with the minimum required permissions",
		"An organization needs at least one admin while it has members: make another member admin first.")
)

// NotFound is the error of an organization that does not exist.
func NotFound(idOrSlug string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found", "No organization was found with id or slug "+idOrSlug+".")
}

// MembershipNotFound is the error of a membership that does not exist.
func MembershipNotFound(orgID, userID string) error {
	return errs.New(errs.NotFound, "resource_not_found", "not found",
		"User "+userID+" is not a member of organization "+orgID+".")
}

// Users is what the rules need of the users.
type Users interface {
	User(ctx context.Context, id string) (*user.User, error)
}

// Service applies the organization rules on a Store.
type Service struct {
	Store Store
	Users Users
	// Roles are the instance's roles and permissions; nil serves the
	// default ones, read-only (changing roles needs a catalog).
	Roles *Catalog
	// Key signs invitation tickets (the sign-up invitations' key: one
	// landing serves both).
	Key []byte
	// PublicURL is the base of invitation links; EmailDomain the
	// sender's domain of invitation emails.
	PublicURL   string
	EmailDomain string
	// Images keeps uploaded logos.
	Images images.Store
	// CodeKey hashes the codes that verify domains.
	CodeKey []byte
	// AppName names the application in messages.
	AppName func(context.Context) (string, error)
	// Wake is called after messages were queued.
	Wake func()
	// Defaults are what a new organization starts with (the instance
	// settings); nil: Clerk's.
	Defaults func(context.Context) (Defaults, error)
	Now      func() time.Time
}

// Defaults are the instance's settings for new organizations.
type Defaults struct {
	MaxMemberships int
	CreatorRole    string
	AdminDelete    bool
}

func (s *Service) defaults(ctx context.Context) (Defaults, error) {
	d := Defaults{CreatorRole: RoleAdmin, AdminDelete: true}
	if s.Defaults != nil {
		var err error
		if d, err = s.Defaults(ctx); err != nil {
			return d, err
		}
	}
	// The creator must be able to manage the organization: a setting
	// naming a role that does not exist, or cannot, falls back.
	set, err := s.Roles.Set(ctx)
	if err != nil {
		return d, err
	}
	if !set.IsAdmin(d.CreatorRole) {
		d.CreatorRole = RoleAdmin
	}
	return d, nil
}

// CreateParams are Clerk's create-organization fields.
type CreateParams struct {
	Name                  *string         `json:"name"`
	Slug                  *string         `json:"slug"`
	CreatedBy             *string         `json:"created_by"`
	MaxAllowedMemberships *int            `json:"max_allowed_memberships"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
}

// UpdateParams are Clerk's update-organization fields; nil keeps a value.
type UpdateParams struct {
	Name                  *string         `json:"name"`
	Slug                  *string         `json:"slug"`
	MaxAllowedMemberships *int            `json:"max_allowed_memberships"`
	AdminDeleteEnabled    *bool           `json:"admin_delete_enabled"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
}

// Create makes an organization; its creator (created_by, optional on the
// Backend API) becomes its first admin.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Organization, error) {
	name, err := validName(p.Name)
	if err != nil {
		return nil, err
	}
	def, err := s.defaults(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now().UnixMilli()
	o := &Organization{ID: id.New(prefixOrganization), Name: name, AdminDeleteEnabled: def.AdminDelete,
		MaxAllowedMemberships: def.MaxMemberships, CreatedAt: now, UpdatedAt: now}
	if p.Slug != nil && *p.Slug != "" {
		if o.Slug, err = validSlug(*p.Slug); err != nil {
			return nil, err
		}
	} else {
		o.Slug = slugFrom(name, o.ID)
	}
	if p.MaxAllowedMemberships != nil {
		if *p.MaxAllowedMemberships < 0 {
			return nil, errs.ParamFormat("max_allowed_memberships", "max_allowed_memberships must be 0 (no limit) or more.")
		}
		o.MaxAllowedMemberships = *p.MaxAllowedMemberships
	}
	if o.PublicMetadata, err = user.MetadataObject("public_metadata", p.PublicMetadata); err != nil {
		return nil, err
	}
	if o.PrivateMetadata, err = user.MetadataObject("private_metadata", p.PrivateMetadata); err != nil {
		return nil, err
	}
	var creator *Membership
	if p.CreatedBy != nil && *p.CreatedBy != "" {
		if _, err := s.Users.User(ctx, *p.CreatedBy); err != nil {
			return nil, errs.New(errs.BadRequest, "organization_creator_not_found", "No users found",
				"No users found with id "+*p.CreatedBy+".")
		}
		o.CreatedBy = *p.CreatedBy
		creator = s.newMembership(o.ID, o.CreatedBy, def.CreatorRole, nil, nil, now)
	}
	err = s.Store.CreateOrganization(ctx, o, creator)
	if err == ErrSlugTaken && (p.Slug == nil || *p.Slug == "") {
		// A slug made from the name may be taken: make it the name's own.
		o.Slug += "-" + strings.ToLower(o.ID[len(o.ID)-6:])
		err = s.Store.CreateOrganization(ctx, o, creator)
	}
	if err != nil {
		return nil, err
	}
	if creator != nil {
		o.MembersCount = 1
	}
	return o, nil
}

// Update changes an organization.
func (s *Service) Update(ctx context.Context, idOrSlug string, p UpdateParams) (*Organization, error) {
	var name, slug string
	var err error
	if p.Name != nil {
		if name, err = validName(p.Name); err != nil {
			return nil, err
		}
	}
	if p.Slug != nil {
		if slug, err = validSlug(*p.Slug); err != nil {
			return nil, err
		}
	}
	if p.MaxAllowedMemberships != nil && *p.MaxAllowedMemberships < 0 {
		return nil, errs.ParamFormat("max_allowed_memberships", "max_allowed_memberships must be 0 (no limit) or more.")
	}
	var pub, priv json.RawMessage
	if p.PublicMetadata != nil {
		if pub, err = user.MetadataObject("public_metadata", p.PublicMetadata); err != nil {
			return nil, err
		}
	}
	if p.PrivateMetadata != nil {
		if priv, err = user.MetadataObject("private_metadata", p.PrivateMetadata); err != nil {
			return nil, err
		}
	}
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	return s.Store.UpdateOrganization(ctx, o.ID, func(o *Organization) error {
		if p.Name != nil {
			o.Name = name
		}
		if p.Slug != nil {
			o.Slug = slug
		}
		if p.MaxAllowedMemberships != nil {
			o.MaxAllowedMemberships = *p.MaxAllowedMemberships
		}
		if p.AdminDeleteEnabled != nil {
			o.AdminDeleteEnabled = *p.AdminDeleteEnabled
		}
		if pub != nil {
			o.PublicMetadata = pub
		}
		if priv != nil {
			o.PrivateMetadata = priv
		}
		o.UpdatedAt = s.Now().UnixMilli()
		return nil
	})
}

// MergeMetadata deep-merges into the organization's metadata, as the
// users' metadata endpoint does.
func (s *Service) MergeMetadata(ctx context.Context, idOrSlug string, pub, priv json.RawMessage) (*Organization, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	return s.Store.UpdateOrganization(ctx, o.ID, func(o *Organization) error {
		o.UpdatedAt = s.Now().UnixMilli()
		return mergeBoth(&o.PublicMetadata, &o.PrivateMetadata, pub, priv)
	})
}

// ReplaceMetadata replaces the metadata given (PUT): null or {} empties
// one, an absent one is kept.
func (s *Service) ReplaceMetadata(ctx context.Context, idOrSlug string, pub, priv json.RawMessage) (*Organization, error) {
	var err error
	if pub != nil {
		if pub, err = user.MetadataObject("public_metadata", pub); err != nil {
			return nil, err
		}
	}
	if priv != nil {
		if priv, err = user.MetadataObject("private_metadata", priv); err != nil {
			return nil, err
		}
	}
	return s.Update(ctx, idOrSlug, UpdateParams{PublicMetadata: pub, PrivateMetadata: priv})
}

// Delete removes an organization with its memberships, invitations and
// domains, and its uploaded logo.
func (s *Service) Delete(ctx context.Context, idOrSlug string) (string, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return "", err
	}
	if err := s.Store.DeleteOrganization(ctx, o.ID); err != nil {
		return "", err
	}
	if o.ImageURL != nil && s.Images != nil {
		if img := images.IDFromURL(s.PublicURL, *o.ImageURL); img != "" {
			if err := s.Images.DeleteImage(ctx, img); err != nil {
				return "", err
			}
		}
	}
	return o.ID, nil
}

// MembershipParams are Clerk's create/update-membership fields.
type MembershipParams struct {
	UserID          *string         `json:"user_id"`
	Role            *string         `json:"role"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
}

// AddMember makes a user a member with a role.
func (s *Service) AddMember(ctx context.Context, idOrSlug string, p MembershipParams) (*Membership, *Organization, error) {
	if p.UserID == nil || *p.UserID == "" {
		return nil, nil, errs.ParamMissing("user_id")
	}
	role, err := s.validRole(ctx, p.Role)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Users.User(ctx, *p.UserID); err != nil {
		return nil, nil, err
	}
	m := s.newMembership(o.ID, *p.UserID, role, nil, nil, s.Now().UnixMilli())
	if m.PublicMetadata, err = user.MetadataObject("public_metadata", p.PublicMetadata); err != nil {
		return nil, nil, err
	}
	if m.PrivateMetadata, err = user.MetadataObject("private_metadata", p.PrivateMetadata); err != nil {
		return nil, nil, err
	}
	if err := s.Store.CreateMembership(ctx, m); err != nil {
		return nil, nil, err
	}
	o.MembersCount++
	return m, o, nil
}

// SetRole changes a member's role; the last admin stays one.
func (s *Service) SetRole(ctx context.Context, idOrSlug, userID string, p MembershipParams) (*Membership, *Organization, error) {
	if p.Role == nil {
		return nil, nil, errs.ParamMissing("role")
	}
	role, err := s.validRole(ctx, p.Role)
	if err != nil {
		return nil, nil, err
	}
	set, err := s.Roles.Set(ctx)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Store.UpdateMembership(ctx, o.ID, userID, func(m *Membership, st Standing) error {
		if set.IsAdmin(m.Role) && !set.IsAdmin(role) && st.otherAdmins(set) == 0 {
			return ErrLastAdmin
		}
		m.Role, m.UpdatedAt = role, s.Now().UnixMilli()
		return nil
	})
	return m, o, err
}

// MergeMembershipMetadata deep-merges into a membership's metadata.
func (s *Service) MergeMembershipMetadata(ctx context.Context, idOrSlug, userID string, pub, priv json.RawMessage) (*Membership, *Organization, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Store.UpdateMembership(ctx, o.ID, userID, func(m *Membership, _ Standing) error {
		m.UpdatedAt = s.Now().UnixMilli()
		return mergeBoth(&m.PublicMetadata, &m.PrivateMetadata, pub, priv)
	})
	return m, o, err
}

// RemoveMember ends a membership; the last admin cannot leave while
// others remain.
func (s *Service) RemoveMember(ctx context.Context, idOrSlug, userID string) (*Membership, *Organization, error) {
	set, err := s.Roles.Set(ctx)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Store.DeleteMembership(ctx, o.ID, userID, func(m *Membership, st Standing) error {
		if set.IsAdmin(m.Role) && st.otherAdmins(set) == 0 && st.Members > 1 {
			return ErrLastAdmin
		}
		return nil
	})
	if err == nil {
		o.MembersCount--
	}
	return m, o, err
}

// mergeBoth deep-merges the patches given (nil: absent) into public and
// private metadata.
func mergeBoth(public, private *json.RawMessage, pub, priv json.RawMessage) error {
	var err error
	if pub != nil {
		if *public, err = user.MergeMetadata("public_metadata", *public, pub); err != nil {
			return err
		}
	}
	if priv != nil {
		*private, err = user.MergeMetadata("private_metadata", *private, priv)
	}
	return err
}

func (s *Service) newMembership(orgID, userID, role string, pub, priv json.RawMessage, now int64) *Membership {
	return &Membership{ID: id.New(prefixMembership), OrganizationID: orgID, UserID: userID, Role: role,
		PublicMetadata: orEmpty(pub), PrivateMetadata: orEmpty(priv), CreatedAt: now, UpdatedAt: now}
}

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}

func validName(p *string) (string, error) {
	if p == nil || strings.TrimSpace(*p) == "" {
		return "", errs.ParamMissing("name")
	}
	v := strings.TrimSpace(*p)
	if utf8.RuneCountInString(v) > 256 || strings.ContainsAny(v, "\x00\r\n") {
		return "", errs.ParamFormat("name", "name must be at most 256 characters, on one line.")
	}
	return v, nil
}

// validSlug allows what Clerk's slugs hold: lowercase letters, digits,
// dashes and underscores, not starting or ending with a dash.
func validSlug(v string) (string, error) {
	v = strings.TrimSpace(v)
	ok := v != "" && len(v) <= 128 && v[0] != '-' && v[len(v)-1] != '-'
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			ok = false
		}
	}
	if !ok {
		return "", errs.ParamFormat("slug", "slug must hold only lowercase letters, digits, - and _, and not start or end with -.")
	}
	return v, nil
}

// slugFrom makes a slug from a name: lowercase letters and digits, runs
// of anything else become one dash; a name with none gets the ID's tail.
func slugFrom(name, orgID string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "-")
	}
	if s == "" {
		s = strings.ToLower(strings.TrimPrefix(orgID, prefixOrganization))
	}
	return s
}

func (s *Service) validRole(ctx context.Context, p *string) (string, error) {
	if p == nil || *p == "" {
		return "", errs.ParamMissing("role")
	}
	set, err := s.Roles.Set(ctx)
	if err != nil {
		return "", err
	}
	if set.Role(*p) == nil {
		return "", errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
			"role must be one of the instance's roles (as GET /v1/organization_roles lists them).").WithParam("role")
	}
	return *p, nil
}

// RoleSet is the instance's roles and permissions now.
func (s *Service) RoleSet(ctx context.Context) (*RoleSet, error) { return s.Roles.Set(ctx) }

// ErrNotMember answers a Frontend API caller who is not a member of the
// organization, or names one that does not exist: they learn nothing of it.
var ErrNotMember = errs.New(errs.NotFound, "organization_not_found_or_unauthorized",
	"Given organization not found, or you don't have permission to access the organization",
	"Given organization not found, or you don't have permission to access the organization.")

// Authorize finds the organization idOrSlug as userID sees it: a member
// holding perm ("" for any member).
func (s *Service) Authorize(ctx context.Context, idOrSlug, userID, perm string) (*Organization, *Membership, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	var m *Membership
	if err == nil {
		m, o, err = s.Store.MemberOf(ctx, o.ID, userID)
	}
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.NotFound {
		return nil, nil, ErrNotMember
	}
	if err != nil {
		return nil, nil, err
	}
	set, err := s.Roles.Set(ctx)
	if err != nil {
		return nil, nil, err
	}
	if perm != "" && !set.Has(m.Role, perm) {
		e := errs.New(errs.Forbidden, "missing_organization_permission", "Missing permission",
			"Current user is missing an organization permission.")
		e.Meta = map[string]any{"permissions": []string{perm}}
		return nil, nil, e
	}
	return o, m, nil
}
