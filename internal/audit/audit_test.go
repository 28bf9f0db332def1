package audit_test

import (
	"context"
	"testing"

	"github.com/conciergehq/concierge/internal/audit"
)

func TestActorInContext(t *testing.T) {
	if _, ok := audit.ActorFrom(context.Background()); ok {
		t.Fatal("an actor in an empty context")
	}
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.Operator, ID: "op_1"})
	if a, ok := audit.ActorFrom(ctx); !ok || a.Kind != audit.Operator || a.ID != "op_1" {
		t.Fatalf("actor %+v %v", a, ok)
	}
}

func TestClip(t *testing.T) {
	for in, want := range map[string]string{"short": "short", "abcdefgh": "abcde", "abcdé": "abcd"} {
		if got := audit.Clip(in, 5); got != want {
			t.Errorf("Clip(%q) = %q, want %q", in, got, want)
		}
	}
	if f := (audit.Filter{Limit: 5000}); f.PageSize() != audit.MaxPage {
		t.Fatal("page size unbounded")
	}
}
