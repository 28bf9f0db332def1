package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"

	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/password"
	"github.com/conciergehq/concierge/internal/transfer"
)

// writeImportFile writes n users as Clerk's dashboard export CSV, for
// timing "concierge import": Clerk-style IDs, one or two email addresses,
// a phone number on every third user, names, metadata, and a bcrypt digest
// (one digest for all: an import stores digests, it does not hash them).
func writeImportFile(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(transfer.ClerkCSVColumns); err != nil {
		return err
	}
	digest, err := password.Hash("correct horse battery")
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		emails := fmt.Sprintf("user%d@example.com", i)
		if i%4 == 0 {
			emails += fmt.Sprintf("|user%d.work@example.org", i)
		}
		phone := ""
		if i%3 == 0 {
			phone = fmt.Sprintf("+1415%07d", 2000000+i%8000000)
		}
		username := ""
		if i%2 == 0 {
			username = "user_" + strconv.Itoa(i)
		}
		row := []string{id.New(id.User), "First" + strconv.Itoa(i%5000), "Last" + strconv.Itoa(i%7919), username,
			emails, phone, "", digest, "bcrypt", "{}", fmt.Sprintf(`{"plan":"p%d"}`, i%3), "{}"}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
