package backendapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

const (
	maxFilterValues = 100
	maxQueryLen     = 256
)

// parseUserFilter reads the filters of GET /v1/users and /v1/users/count.
// Paging and ordering parameters are not read here: /count ignores them
// (clerk-sdk-go sends them anyway), as it ignores any parameter it does
// not know.
func parseUserFilter(v url.Values) (user.Filter, error) {
	var f user.Filter
	var err error
	lists := []struct {
		param string
		dst   *[]string
	}{
		{"email_address", &f.EmailAddresses}, {"phone_number", &f.PhoneNumbers},
		{"username", &f.Usernames}, {"web3_wallet", &f.Web3Wallets},
	}
	for _, l := range lists {
		if *l.dst, err = values(v, l.param); err != nil {
			return f, err
		}
	}
	// external_id, user_id and organization_id take a "+" (include, the
	// default) or "-" (exclude) prefix.
	signed := []struct {
		param     string
		inc, excl *[]string
	}{
		{"external_id", &f.ExternalIDs, &f.NotExternalIDs},
		{"user_id", &f.UserIDs, &f.NotUserIDs},
		{"organization_id", &f.OrganizationIDs, &f.NotOrganizationIDs},
	}
	for _, s := range signed {
		vals, err := values(v, s.param)
		if err != nil {
			return f, err
		}
		for _, x := range vals {
			switch {
			case strings.HasPrefix(x, "-"):
				*s.excl = append(*s.excl, x[1:])
			case strings.HasPrefix(x, "+"):
				*s.inc = append(*s.inc, x[1:])
			default:
				*s.inc = append(*s.inc, x)
			}
		}
	}
	f.Provider = v.Get("provider")
	if f.ProviderUserIDs, err = values(v, "provider_user_id"); err != nil {
		return f, err
	}
	if (f.Provider == "") != (len(f.ProviderUserIDs) == 0) {
		missing, given := "provider", "provider_user_id"
		if f.Provider != "" {
			missing, given = given, missing
		}
		return f, errs.New(errs.Invalid, "form_conditional_param_missing", "is missing",
			"`"+missing+"` is required when `"+given+"` is present.").WithParam(missing)
	}
	queries := []struct {
		param string
		dst   *string
	}{
		{"query", &f.Query}, {"email_address_query", &f.EmailAddressQuery},
		{"phone_number_query", &f.PhoneNumberQuery}, {"username_query", &f.UsernameQuery},
		{"name_query", &f.NameQuery},
	}
	for _, q := range queries {
		s := strings.TrimSpace(v.Get(q.param))
		if len(s) > maxQueryLen {
			return f, errs.ParamFormat(q.param, q.param+" must be at most 256 characters.")
		}
		*q.dst = s
	}
	if s := v.Get("banned"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, errs.ParamValue("banned", s)
		}
		f.Banned = &b
	}
	times := []struct {
		param string
		dst   **int64
	}{
		{"created_at_before", &f.CreatedBefore}, {"created_at_after", &f.CreatedAfter},
		{"last_active_at_before", &f.LastActiveBefore}, {"last_active_at_after", &f.LastActiveAfter},
		{"last_active_at_since", &f.LastActiveAfter}, // deprecated alias
		{"last_sign_in_at_before", &f.LastSignInBefore}, {"last_sign_in_at_after", &f.LastSignInAfter},
	}
	for _, t := range times {
		s := v.Get(t.param)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return f, errs.New(errs.Invalid, "form_param_invalid_date", "is invalid",
				t.param+": date values must be given in Unix millisecond timestamp format.").WithParam(t.param)
		}
		if *t.dst == nil {
			*t.dst = &n
		}
	}
	return f, nil
}

// values returns a repeated parameter's non-empty values, at most 100.
func values(v url.Values, param string) ([]string, error) {
	raw := v[param]
	if len(raw) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	if len(out) > maxFilterValues {
		return nil, errs.ParamFormat(param, "At most 100 values may be given for "+param+".")
	}
	return out, nil
}

// parseUserQuery reads GET /v1/users: the filters plus limit, offset,
// order_by and starting_after. Out-of-range values are refused, never
// clamped.
func parseUserQuery(v url.Values) (user.Query, error) {
	f, err := parseUserFilter(v)
	if err != nil {
		return user.Query{}, err
	}
	q := user.Query{Filter: f, OrderBy: user.OrderCreatedAt, Desc: true}
	if q.Limit, q.Offset, err = limitOffset(v); err != nil {
		return q, err
	}
	if s := v.Get("order_by"); s != "" {
		field, desc := s, false
		switch s[0] {
		case '-':
			field, desc = s[1:], true
		case '+':
			field = s[1:]
		case ' ':
			// A raw "+" in a query string decodes to a space.
			field = s[1:]
		}
		if !validOrder(field) {
			return q, errs.ParamValue("order_by", s)
		}
		q.OrderBy, q.Desc = field, desc
	}
	if s := v.Get("starting_after"); s != "" {
		if q.OrderBy != user.OrderCreatedAt {
			return q, errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"starting_after can only be used when ordering by created_at.").WithParam("starting_after")
		}
		if q.Offset != 0 {
			return q, errs.New(errs.Invalid, "form_param_value_invalid", "is invalid",
				"starting_after cannot be combined with a non-zero offset.").WithParam("starting_after")
		}
		q.StartingAfter = s
	}
	return q, nil
}

// limitOffset reads Clerk's paging parameters: limit 1–500 (default 10)
// and offset ≥ 0. Out-of-range values are refused, never clamped.
func limitOffset(v url.Values) (limit, offset int, err error) {
	limit = user.DefaultLimit
	if s := v.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > user.MaxLimit {
			return 0, 0, errs.ParamValue("limit", s)
		}
	}
	if s := v.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return 0, 0, errs.ParamValue("offset", s)
		}
	}
	return limit, offset, nil
}

func validOrder(field string) bool {
	for _, f := range user.OrderFields {
		if f == field {
			return true
		}
	}
	return false
}
