package sqlstore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/redirecturl"
)

// TestStoreRedirectURLs: the redirect URL store on both engines — a
// page newest first with the total, one URL by ID, every URL for the
// check, a duplicate as duplicate_record, unknown IDs as not found.
func TestStoreRedirectURLs(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		for i, u := range []string{"myapp://a", "myapp://b", "https://c.example/cb"} {
			if err := db.CreateRedirectURL(ctx, &redirecturl.RedirectURL{ID: "ru_" + u, URL: u, CreatedAt: int64(i), UpdatedAt: int64(i)}); err != nil {
				t.Fatal(err)
			}
		}
		err := db.CreateRedirectURL(ctx, &redirecturl.RedirectURL{ID: "ru_other", URL: "myapp://a"})
		if e, ok := errs.As(err); !ok || e.Code != "duplicate_record" {
			t.Fatalf("duplicate: %v", err)
		}
		page, total, err := db.RedirectURLs(ctx, 2, 0)
		if err != nil || total != 3 || len(page) != 2 || page[0].URL != "https://c.example/cb" || page[1].URL != "myapp://b" {
			t.Fatalf("page: %+v %d %v", page, total, err)
		}
		got, err := db.RedirectURL(ctx, "ru_myapp://b")
		if err != nil || got.URL != "myapp://b" || got.CreatedAt != 1 {
			t.Fatalf("get: %+v %v", got, err)
		}
		if err := db.DeleteRedirectURL(ctx, "ru_myapp://b"); err != nil {
			t.Fatal(err)
		}
		all, err := db.AllRedirectURLs(ctx)
		if err != nil || !slices.Equal(all, []string{"myapp://a", "https://c.example/cb"}) {
			t.Fatalf("all: %v %v", all, err)
		}
		for _, err := range []error{db.DeleteRedirectURL(ctx, "ru_myapp://b"), func() error { _, err := db.RedirectURL(ctx, "ru_nope"); return err }()} {
			if e, ok := errs.As(err); !ok || e.Kind != errs.NotFound {
				t.Fatalf("unknown ID: %v", err)
			}
		}
	})
}
