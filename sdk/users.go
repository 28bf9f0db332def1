package sdk

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Users are the instance's users (getUserList, getUser, getCount,
// createUser, updateUser, deleteUser, and ban, unban, lock, unlock).
type Users struct{ c *Client }

// UserFilter selects users, for List and Count. The identifier lists
// (EmailAddresses, PhoneNumbers, Usernames, Web3Wallets) combine as "any
// of": a user matches when it owns any value of any of them. Every other
// non-empty field narrows that set; within a list, any value matches.
type UserFilter struct {
	EmailAddresses []string
	PhoneNumbers   []string
	Usernames      []string
	Web3Wallets    []string
	// ExternalIDs and UserIDs take a "-" prefix to exclude.
	ExternalIDs []string
	UserIDs     []string
	// Query matches part of the ID, an email address, phone number,
	// username, wallet, or first or last name.
	Query             string
	EmailAddressQuery string
	PhoneNumberQuery  string
	UsernameQuery     string
	NameQuery         string
	Banned            *bool
	// Date ranges, Unix milliseconds; 0 means unbounded.
	CreatedAtBefore, CreatedAtAfter       int64
	LastActiveAtBefore, LastActiveAtAfter int64
	LastSignInAtBefore, LastSignInAtAfter int64
}

func (f *UserFilter) query() url.Values {
	q := url.Values{}
	for k, vs := range map[string][]string{"email_address": f.EmailAddresses, "phone_number": f.PhoneNumbers,
		"username": f.Usernames, "web3_wallet": f.Web3Wallets, "external_id": f.ExternalIDs, "user_id": f.UserIDs} {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	for k, v := range map[string]string{"query": f.Query, "email_address_query": f.EmailAddressQuery,
		"phone_number_query": f.PhoneNumberQuery, "username_query": f.UsernameQuery, "name_query": f.NameQuery} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Banned != nil {
		q.Set("banned", strconv.FormatBool(*f.Banned))
	}
	for k, v := range map[string]int64{"created_at_before": f.CreatedAtBefore, "created_at_after": f.CreatedAtAfter,
		"last_active_at_before": f.LastActiveAtBefore, "last_active_at_after": f.LastActiveAtAfter,
		"last_sign_in_at_before": f.LastSignInAtBefore, "last_sign_in_at_after": f.LastSignInAtAfter} {
		if v != 0 {
			q.Set(k, strconv.FormatInt(v, 10))
		}
	}
	return q
}

// UserListParams filters, orders and pages users.
type UserListParams struct {
	UserFilter
	// OrderBy is created_at, updated_at, email_address, web3wallet,
	// first_name, last_name, phone_number, username, last_active_at or
	// last_sign_in_at, with a + or - prefix; default -created_at.
	OrderBy string
	// Limit is 1 to 500 (0 = 10).
	Limit, Offset int
}

// List returns a page of users.
func (x *Users) List(ctx context.Context, p *UserListParams) ([]User, error) {
	if p == nil {
		p = &UserListParams{}
	}
	q := p.query()
	for k, v := range listQuery(p.Limit, p.Offset) {
		q[k] = v
	}
	if p.OrderBy != "" {
		q.Set("order_by", p.OrderBy)
	}
	var out []User
	return out, x.c.do(ctx, http.MethodGet, "/users", q, nil, &out)
}

// All walks every user matching p, page by page (p.Limit per page).
func (x *Users) All(ctx context.Context, p UserListParams) iter.Seq2[*User, error] {
	return pages(p.Limit, func(offset, limit int) ([]User, error) {
		q := p
		q.Offset, q.Limit = offset, limit
		return x.List(ctx, &q)
	})
}

// Count counts the users matching f.
func (x *Users) Count(ctx context.Context, f *UserFilter) (int64, error) {
	if f == nil {
		f = &UserFilter{}
	}
	var out struct {
		TotalCount int64 `json:"total_count"`
	}
	err := x.c.do(ctx, http.MethodGet, "/users/count", f.query(), nil, &out)
	return out.TotalCount, err
}

// Get returns a user.
func (x *Users) Get(ctx context.Context, id string) (*User, error) {
	var out User
	return &out, x.c.do(ctx, http.MethodGet, "/users/"+pathEscape(id), nil, nil, &out)
}

// UserParams creates a user. Email addresses and phone numbers given here
// are marked verified; the first of each kind is the primary one.
type UserParams struct {
	ExternalID     string   `json:"external_id,omitempty"`
	EmailAddresses []string `json:"email_address,omitempty"`
	PhoneNumbers   []string `json:"phone_number,omitempty"`
	Web3Wallets    []string `json:"web3_wallet,omitempty"`
	Username       string   `json:"username,omitempty"`
	Password       string   `json:"password,omitempty"`
	// PasswordDigest and PasswordHasher import a hash made elsewhere
	// (bcrypt, argon2id, scrypt_firebase, pbkdf2_sha256, …).
	PasswordDigest          string         `json:"password_digest,omitempty"`
	PasswordHasher          string         `json:"password_hasher,omitempty"`
	SkipPasswordChecks      bool           `json:"skip_password_checks,omitempty"`
	SkipPasswordRequirement bool           `json:"skip_password_requirement,omitempty"`
	FirstName               string         `json:"first_name,omitempty"`
	LastName                string         `json:"last_name,omitempty"`
	Locale                  string         `json:"locale,omitempty"`
	PublicMetadata          map[string]any `json:"public_metadata,omitempty"`
	PrivateMetadata         map[string]any `json:"private_metadata,omitempty"`
	UnsafeMetadata          map[string]any `json:"unsafe_metadata,omitempty"`
	// CreatedAt and LegalAcceptedAt are RFC 3339 times, for imports.
	CreatedAt                 string `json:"created_at,omitempty"`
	LegalAcceptedAt           string `json:"legal_accepted_at,omitempty"`
	DeleteSelfEnabled         *bool  `json:"delete_self_enabled,omitempty"`
	CreateOrganizationEnabled *bool  `json:"create_organization_enabled,omitempty"`
	CreateOrganizationsLimit  *int   `json:"create_organizations_limit,omitempty"`
	BypassClientTrust         bool   `json:"bypass_client_trust,omitempty"`
}

// Create creates a user.
func (x *Users) Create(ctx context.Context, p UserParams) (*User, error) {
	var out User
	return &out, x.c.do(ctx, http.MethodPost, "/users", nil, p, &out)
}

// UserUpdate changes a user; nil fields are left as they are. Setting a
// metadata field replaces that object whole (UpdateMetadata merges).
type UserUpdate struct {
	ExternalID                *string        `json:"external_id,omitempty"`
	FirstName                 *string        `json:"first_name,omitempty"`
	LastName                  *string        `json:"last_name,omitempty"`
	Username                  *string        `json:"username,omitempty"`
	Locale                    *string        `json:"locale,omitempty"`
	PrimaryEmailAddressID     *string        `json:"primary_email_address_id,omitempty"`
	PrimaryPhoneNumberID      *string        `json:"primary_phone_number_id,omitempty"`
	Password                  *string        `json:"password,omitempty"`
	SkipPasswordChecks        *bool          `json:"skip_password_checks,omitempty"`
	SignOutOfOtherSessions    *bool          `json:"sign_out_of_other_sessions,omitempty"`
	PublicMetadata            map[string]any `json:"public_metadata,omitempty"`
	PrivateMetadata           map[string]any `json:"private_metadata,omitempty"`
	UnsafeMetadata            map[string]any `json:"unsafe_metadata,omitempty"`
	DeleteSelfEnabled         *bool          `json:"delete_self_enabled,omitempty"`
	CreateOrganizationEnabled *bool          `json:"create_organization_enabled,omitempty"`
}

// Update changes a user.
func (x *Users) Update(ctx context.Context, id string, p UserUpdate) (*User, error) {
	var out User
	return &out, x.c.do(ctx, http.MethodPatch, "/users/"+pathEscape(id), nil, p, &out)
}

// Metadata is a change to a user's metadata: each object is deep-merged
// into the stored one, and a key set to nil is removed.
type Metadata struct {
	Public  map[string]any `json:"public_metadata,omitempty"`
	Private map[string]any `json:"private_metadata,omitempty"`
	Unsafe  map[string]any `json:"unsafe_metadata,omitempty"`
}

// UpdateMetadata merges m into the user's metadata.
func (x *Users) UpdateMetadata(ctx context.Context, id string, m Metadata) (*User, error) {
	var out User
	return &out, x.c.do(ctx, http.MethodPatch, "/users/"+pathEscape(id)+"/metadata", nil, m, &out)
}

// Delete deletes a user; its sessions end.
func (x *Users) Delete(ctx context.Context, id string) (*DeletedObject, error) {
	var out DeletedObject
	return &out, x.c.do(ctx, http.MethodDelete, "/users/"+pathEscape(id), nil, nil, &out)
}

// Ban bans a user and revokes their sessions; Unban lifts it.
func (x *Users) Ban(ctx context.Context, id string) (*User, error) { return x.post(ctx, id, "ban") }

// Unban lifts a ban.
func (x *Users) Unban(ctx context.Context, id string) (*User, error) { return x.post(ctx, id, "unban") }

// Lock locks a user out of signing in until Unlock.
func (x *Users) Lock(ctx context.Context, id string) (*User, error) { return x.post(ctx, id, "lock") }

// Unlock lifts a lock, including one from too many failed attempts.
func (x *Users) Unlock(ctx context.Context, id string) (*User, error) {
	return x.post(ctx, id, "unlock")
}

func (x *Users) post(ctx context.Context, id, action string) (*User, error) {
	var out User
	return &out, x.c.do(ctx, http.MethodPost, "/users/"+pathEscape(id)+"/"+action, nil, nil, &out)
}
