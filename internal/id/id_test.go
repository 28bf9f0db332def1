package id

import (
	"testing"
	"time"
)

func TestIDsSortByTimeAndAreWellFormed(t *testing.T) {
	a := NewAt(User, time.Unix(1_700_000_000, 0))
	b := NewAt(User, time.Unix(1_700_000_001, 0))
	if !(a < b) {
		t.Fatalf("%s should sort before %s", a, b)
	}
	if !Valid(User, a) || len(a) != len(User)+27 {
		t.Fatalf("malformed %q", a)
	}
	if Valid(User, "user_short") || Valid(Session, a) {
		t.Fatal("Valid accepted a bad ID")
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		s := New(Identifier)
		if seen[s] {
			t.Fatalf("duplicate %s", s)
		}
		seen[s] = true
	}
	if r := Random(40); len(r) != 40 {
		t.Fatalf("Random(40) = %q", r)
	}
}
