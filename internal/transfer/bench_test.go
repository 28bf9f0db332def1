package transfer_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/transfer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// writeCSV writes n users in Clerk's export format.
func writeCSV(b testing.TB, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(transfer.ClerkCSVColumns)
	const digest = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	for i := 0; i < n; i++ {
		emails := fmt.Sprintf("user%d@example.com", i)
		if i%4 == 0 {
			emails += fmt.Sprintf("|user%d.work@example.org", i)
		}
		phone := ""
		if i%3 == 0 {
			phone = fmt.Sprintf("+1415%07d", 2000000+i)
		}
		w.Write([]string{id.New(id.User), fmt.Sprint("First", i%5000), fmt.Sprint("Last", i%7919), fmt.Sprint("user_", i),
			emails, phone, "", digest, "bcrypt", "{}", `{"plan":"pro"}`, "{}"})
	}
	w.Flush()
	f.Close()
}

// BenchmarkImportCSV imports 20,000 users of Clerk's CSV into a fresh
// database per iteration; users/s is the figure.
var batchSize, _ = strconv.Atoi(os.Getenv("IMPORT_BATCH"))

func BenchmarkImportCSV(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			const n = 20000
			path := filepath.Join(b.TempDir(), "users.csv")
			writeCSV(b, path, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := dbtest.Open(b, engine)
				f, err := transfer.OpenFile(path, "auto")
				if err != nil {
					b.Fatal(err)
				}
				im := &transfer.Importer{Store: db, Builder: &transfer.Builder{Source: "bench", Key: make([]byte, 32), Now: time.Now}}
				b.StartTimer()
				sum, err := im.Run(context.Background(), f, transfer.Options{Checkpoint: "bench", BatchSize: batchSize})
				b.StopTimer()
				f.Close()
				if err != nil || sum.Imported != n {
					b.Fatalf("%+v %v", sum, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}
