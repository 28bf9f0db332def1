package backendapi

import (
	"testing"

	"github.com/conciergehq/concierge/internal/user"
)

// TestKeptShare: lists start reading directly, go by revisions after a
// few pages found mostly kept, and back when pages stop being kept.
func TestKeptShare(t *testing.T) {
	var k keptShare
	if k.mostlyKept() {
		t.Fatal("a new share says mostly kept")
	}
	for range 6 {
		k.add(100, 100)
	}
	if !k.mostlyKept() {
		t.Fatalf("after 6 pages all kept: %d/1024", k.v.Load())
	}
	for range 6 {
		k.add(1, 100)
	}
	if k.mostlyKept() {
		t.Fatalf("after 6 pages 1 %% kept: %d/1024", k.v.Load())
	}
	k.add(0, 0) // an empty page says nothing
	if got := listKind(&user.Filter{}); got != 0 {
		t.Errorf("plain page: kind %d", got)
	}
	if got := listKind(&user.Filter{EmailAddresses: []string{"a@example.com"}}); got != 1 {
		t.Errorf("lookup: kind %d", got)
	}
	if got := listKind(&user.Filter{Query: "ann", UserIDs: []string{"user_1"}}); got != 2 {
		t.Errorf("search: kind %d", got)
	}
}
