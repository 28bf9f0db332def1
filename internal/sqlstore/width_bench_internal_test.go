package sqlstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/conciergehq/concierge/internal/cputime"
	"github.com/conciergehq/concierge/internal/user"
)

// BenchmarkRowWidth reads one user by primary key three ways on SQLite:
// the store's get (35 user and 9 identifier columns, joined), the user
// row alone, and five of its columns, as the benchmark's ceiling reads.
// What separates them is the driver's cost per column (every
// sqlite3_column_* call takes the connection's mutex, and each query
// fetches every column's name and declared type):
// go test -run - -bench RowWidth ./internal/sqlstore
func BenchmarkRowWidth(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "w.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	svc := user.NewService(db)
	var ids []string
	for i := 0; i < 1000; i++ {
		u, err := svc.Create(ctx, user.CreateParams{EmailAddresses: []string{fmt.Sprintf("w%d@example.com", i)}, SkipPasswordRequirement: ptrTo(true)})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	b.Run("store-get-44-columns", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for i := 0; i < b.N; i++ {
			if _, err := db.User(ctx, ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("user-row-35-columns", func(b *testing.B) {
		defer cputime.PerOp(b)()
		for i := 0; i < b.N; i++ {
			rows, err := db.reader().QueryContext(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id = ?", ids[i%len(ids)])
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
				if _, err := scanUser(rows); err != nil {
					b.Fatal(err)
				}
			}
			rows.Close()
		}
	})
	b.Run("five-columns", func(b *testing.B) {
		defer cputime.PerOp(b)()
		var id, email string
		var first, last *string
		var created int64
		for i := 0; i < b.N; i++ {
			if err := db.reader().QueryRowContext(ctx, "SELECT id, first_name, last_name, primary_email_address, created_at FROM users WHERE id = ?",
				ids[i%len(ids)]).Scan(&id, &first, &last, &email, &created); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
