package user

import (
	"reflect"
	"testing"
)

// TestSingleIdentifier: one email, phone, wallet or username and nothing
// else is a single lookup; any other field set, now or added later, is
// not (each is set in turn by reflection).
func TestSingleIdentifier(t *testing.T) {
	one := Query{Filter: Filter{EmailAddresses: []string{"a@example.com"}}, OrderBy: OrderLastName, Desc: true, Limit: 5}
	if kind, v, ok := one.SingleIdentifier(); !ok || kind != "email_address" || v != "a@example.com" {
		t.Fatalf("one email: %q %q %v", kind, v, ok)
	}
	if kind, v, ok := (&Query{Filter: Filter{Usernames: []string{"ann"}}}).SingleIdentifier(); !ok || kind != "username" || v != "ann" {
		t.Fatalf("one username: %q %q %v", kind, v, ok)
	}
	if _, _, ok := one.SingleIdentifier(); !ok || len(one.EmailAddresses) != 1 {
		t.Fatal("SingleIdentifier changed the query it was asked about")
	}
	for _, q := range []Query{
		{Filter: Filter{EmailAddresses: []string{"a@example.com", "b@example.com"}}},
		{Filter: Filter{EmailAddresses: []string{"a@example.com"}, PhoneNumbers: []string{"+15005550006"}}},
		{Filter: Filter{EmailAddresses: []string{"a@example.com"}}, Offset: 1},
		{Filter: Filter{EmailAddresses: []string{"a@example.com"}}, StartingAfter: "user_1"},
		{},
	} {
		if _, _, ok := q.SingleIdentifier(); ok {
			t.Errorf("%+v taken for a single lookup", q)
		}
	}
	ft := reflect.TypeOf(Filter{})
	for i := range ft.NumField() {
		f := ft.Field(i)
		if f.Name == "EmailAddresses" {
			continue
		}
		q := Query{Filter: Filter{EmailAddresses: []string{"a@example.com"}}}
		v := reflect.ValueOf(&q.Filter).Elem().Field(i)
		switch v.Kind() {
		case reflect.Slice:
			v.Set(reflect.ValueOf([]string{"x"}))
		case reflect.String:
			v.SetString("x")
		case reflect.Pointer:
			v.Set(reflect.New(f.Type.Elem()))
		default:
			t.Fatalf("field %s of kind %s: extend this test", f.Name, v.Kind())
		}
		if _, _, ok := q.SingleIdentifier(); ok {
			t.Errorf("with %s set too, still a single lookup", f.Name)
		}
	}
}
