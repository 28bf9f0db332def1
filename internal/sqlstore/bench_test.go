package sqlstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/conciergehq/concierge/internal/cputime"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/user"
)

// BenchmarkGetUser measures the store's get-by-id on each engine, without
// HTTP: go test -bench GetUser ./internal/sqlstore
func BenchmarkGetUser(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, engine)
			ids := seedUsers(b, db, 1000)
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.PerOp(b)()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := db.User(ctx, ids[i%len(ids)]); err != nil {
						b.Error(err)
						return
					}
					i += 7
				}
			})
		})
	}
}

// BenchmarkCreateUser measures concurrent creates through the store's
// write path (group commit on SQLite), without HTTP.
func BenchmarkCreateUser(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, engine)
			svc := user.NewService(db)
			var n atomic.Int64
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.PerOp(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if _, err := svc.Create(ctx, user.CreateParams{
						EmailAddresses: []string{fmt.Sprintf("bench%d@example.com", i)}, FirstName: ptr("Bench"),
						SkipPasswordRequirement: ptr(true),
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkListUsers measures a page of 100 users (the Backend API's
// list, newest first) through the store, without HTTP or JSON:
// go test -run - -bench ListUsers ./internal/sqlstore
func BenchmarkListUsers(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, engine)
			seedUsers(b, db, 2000)
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.PerOp(b)()
			for i := 0; i < b.N; i++ {
				users, err := db.ListUsers(ctx, user.Query{Limit: 100, Desc: true, OrderBy: user.OrderCreatedAt})
				if err != nil || len(users) != 100 || len(users[0].Identifiers) != 1 {
					b.Fatalf("%d users, %v", len(users), err)
				}
			}
		})
	}
}

// BenchmarkUserByEmail measures the Backend API's lookup by email
// (GET /v1/users?email_address=) through the store:
// go test -run - -bench UserByEmail ./internal/sqlstore
func BenchmarkUserByEmail(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, engine)
			const n = 1000
			seedUsers(b, db, n)
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.PerOp(b)()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					q := user.Query{Filter: user.Filter{EmailAddresses: []string{fmt.Sprintf("u%d@example.com", i%n)}}, Limit: 10}
					users, err := db.ListUsers(ctx, q)
					if err != nil || len(users) != 1 || len(users[0].Identifiers) != 1 {
						b.Errorf("%d users, %v", len(users), err)
						return
					}
					i += 7
				}
			})
		})
	}
}

// seedUsers creates n users, u<i>@example.com named Ada Lovelace, and
// returns their IDs.
func seedUsers(b *testing.B, db user.Store, n int) []string {
	b.Helper()
	ctx := context.Background()
	svc := user.NewService(db)
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		u, err := svc.Create(ctx, user.CreateParams{
			EmailAddresses: []string{fmt.Sprintf("u%d@example.com", i)}, FirstName: ptr("Ada"), LastName: ptr("Lovelace"),
			SkipPasswordRequirement: ptr(true),
		})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}
