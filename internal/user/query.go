package user

import "reflect"

// Filter selects users. The identifier lists (EmailAddresses,
// PhoneNumbers, Usernames, Web3Wallets) form one union, as Clerk documents
// getUserList: a user matches when it owns any value of any of them. Every
// other non-empty field narrows that set: all must match, and a list
// among them matches any of its values. The *Query fields are
// case-insensitive substring matches; the others are exact.
type Filter struct {
	// The identifier union.
	EmailAddresses []string
	PhoneNumbers   []string
	Usernames      []string
	Web3Wallets    []string

	// Narrowing filters.
	ExternalIDs        []string
	NotExternalIDs     []string
	UserIDs            []string
	NotUserIDs         []string
	OrganizationIDs    []string
	NotOrganizationIDs []string
	// ProviderUserIDs, with Provider, selects users by OAuth account.
	Provider        string
	ProviderUserIDs []string

	Query             string
	EmailAddressQuery string
	PhoneNumberQuery  string
	UsernameQuery     string
	NameQuery         string

	Banned *bool

	CreatedBefore, CreatedAfter       *int64
	LastActiveBefore, LastActiveAfter *int64
	LastSignInBefore, LastSignInAfter *int64
}

// MatchesNothing reports whether the filter can be answered as empty without
// asking the store. Every filter asks it now that organizations exist.
func (f *Filter) MatchesNothing() bool { return false }

// Order fields, as Clerk names them in order_by.
const (
	OrderCreatedAt    = "created_at"
	OrderUpdatedAt    = "updated_at"
	OrderEmailAddress = "email_address"
	OrderWeb3Wallet   = "web3wallet"
	OrderFirstName    = "first_name"
	OrderLastName     = "last_name"
	OrderPhoneNumber  = "phone_number"
	OrderUsername     = "username"
	OrderLastActiveAt = "last_active_at"
	OrderLastSignInAt = "last_sign_in_at"
)

// OrderFields lists every field a list can be ordered by.
var OrderFields = []string{
	OrderCreatedAt, OrderUpdatedAt, OrderEmailAddress, OrderWeb3Wallet, OrderFirstName,
	OrderLastName, OrderPhoneNumber, OrderUsername, OrderLastActiveAt, OrderLastSignInAt,
}

// Query is a Filter with ordering and paging.
type Query struct {
	Filter
	OrderBy string // one of OrderFields
	Desc    bool
	Limit   int
	Offset  int
	// StartingAfter is a user ID: the page starts after that user in
	// created_at order.
	StartingAfter string
}

// SingleIdentifier returns the one value q looks up when q asks for one
// email address, phone number, web3 wallet or username and nothing else
// (no other filter; the first page, in any order): its answer is then
// that identifier's owner or no one. The kind names which list held it.
func (q *Query) SingleIdentifier() (kind, value string, ok bool) {
	if q.Offset > 0 || q.StartingAfter != "" || q.Limit < 0 {
		return "", "", false
	}
	f := q.Filter
	for _, l := range []struct {
		kind string
		list *[]string
	}{
		{string(EmailAddress), &f.EmailAddresses}, {string(PhoneNumber), &f.PhoneNumbers},
		{string(Web3Wallet), &f.Web3Wallets}, {"username", &f.Usernames},
	} {
		if len(*l.list) == 1 && kind == "" {
			kind, value = l.kind, (*l.list)[0]
			*l.list = nil
		}
	}
	// Whatever else a Filter holds, now or later, must be unset.
	return kind, value, kind != "" && reflect.ValueOf(f).IsZero()
}

// Paging bounds, as Clerk's.
const (
	DefaultLimit = 10
	MaxLimit     = 500
)
