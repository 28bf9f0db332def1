package backendapi

import (
	"net/url"
	"testing"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// FuzzDecodeCreateUser feeds arbitrary bodies to the create-user decoder:
// it must never panic, and every failure must be a client error.
func FuzzDecodeCreateUser(f *testing.F) {
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"email_address":["a@b.co"]}`, `{"email_address":"a@b.co"}`,
		`{"public_metadata":{"a":{"b":[1,2,{"c":null}]}}}`, `{"username":null,"password":123}`,
		`{"created_at":"2023-11-14T22:13:20Z","banned":true}`, `{"a":1}{"b":2}`, `{"first_name":"\u0000"}`,
		`{"create_organizations_limit":1e400}`, `{"email_address":[null,1,"x"]}`, "\xff\xfe{",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var p user.CreateParams
		err := decodeBytes("application/json", []byte(body), &p)
		if err == nil {
			return
		}
		e, ok := errs.As(err)
		if !ok || e.Kind == errs.Internal || e.Code == "" || e.LongMessage == "" {
			t.Fatalf("decode %q: not a client error: %v", body, err)
		}
	})
}

// FuzzParseUserQuery feeds arbitrary query strings to the list parser: it
// must never panic, must refuse out-of-range paging, and every failure
// must be a 422 with a parameter name.
func FuzzParseUserQuery(f *testing.F) {
	for _, s := range []string{
		``, `limit=10&offset=0`, `limit=0`, `limit=501`, `limit=-1`, `offset=abc`, `order_by=%2Bcreated_at`,
		`order_by=-username`, `order_by=+`, `order_by=-`, `order_by=nope`, `email_address=a%40b.co&email_address=c%40d.co`,
		`user_id=-user_1&user_id=%2Buser_2`, `banned=true`, `banned=yes`, `created_at_after=1700000000000`,
		`created_at_before=-5`, `starting_after=user_1&offset=3`, `provider=oauth_google`, `query=%25%25_`,
		`limit=9999999999999999999999`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseUserQuery(v)
		if err != nil {
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Meta["param_name"] == nil {
				t.Fatalf("parse %q: %v", raw, err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > user.MaxLimit || q.Offset < 0 || !validOrder(q.OrderBy) {
			t.Fatalf("parse %q accepted out-of-range query %+v", raw, q)
		}
	})
}
