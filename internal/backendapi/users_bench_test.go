package backendapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/user"
)

// The handler's own cost of the users workloads of concierge-bench, one
// goroutine, no network: what a request costs the server's CPU.
//
//	go test -run XXX -bench UsersHandler -benchmem ./internal/backendapi
func BenchmarkUsersHandler(b *testing.B) {
	e := newEnv(b, "sqlite")
	ctx := context.Background()
	const n = 1000
	users := make([]*user.User, n)
	start := time.Now().Add(-n * time.Second)
	for i := range users {
		at := start.Add(time.Duration(i) * time.Second)
		ms := at.UnixMilli()
		first, last := fmt.Sprintf("First%d", i), fmt.Sprintf("Last%d", i)
		u := &user.User{ID: id.NewAt(id.User, at), FirstName: &first, LastName: &last,
			PublicMetadata: []byte(`{}`), PrivateMetadata: []byte(`{}`), UnsafeMetadata: []byte(`{}`),
			DeleteSelfEnabled: true, CreateOrganizationEnabled: true, CreatedAt: ms, UpdatedAt: ms}
		u.Identifiers = []user.Identifier{{ID: id.NewAt(id.Identifier, at), UserID: u.ID, Kind: user.EmailAddress,
			Value: fmt.Sprintf("first%d.last%d@example%d.com", i, i, i%97), VerificationStatus: user.StatusVerified,
			VerificationStrategy: user.StrategyAdmin, CreatedAt: ms, UpdatedAt: ms}}
		u.PrimaryEmailAddressID = &u.Identifiers[0].ID
		users[i] = u
	}
	if err := e.db.CreateUsers(ctx, users); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, path func(i int) string) {
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("GET", path(i), nil)
			req.Header.Set("Authorization", "Bearer "+testKey)
			rec := httptest.NewRecorder()
			e.app.Handler.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
			i++
		}
	}
	b.Run("get", func(b *testing.B) { run(b, func(i int) string { return "/v1/users/" + users[i%n].ID }) })
	b.Run("list100", func(b *testing.B) { run(b, func(int) string { return "/v1/users?limit=100" }) })
}
