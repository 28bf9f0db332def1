package transfer

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ClerkCSVColumns are the columns of Clerk's dashboard user export, in
// its order; an export from Concierge writes exactly these.
var ClerkCSVColumns = []string{"id", "first_name", "last_name", "username", "email_addresses", "phone_numbers",
	"totp_secret", "password_digest", "password_hasher", "unsafe_metadata", "public_metadata", "private_metadata"}

// errorColumns are added to the rows of an error file; reading ignores
// them, so a corrected error file imports as it is.
var errorColumns = []string{"import_line", "import_error"}

// csvSource reads Clerk's dashboard export. A cell may hold several email
// addresses or phone numbers separated by "|"; Clerk does not mark the
// primary one, so the first is made primary. The file's addresses are
// taken as verified: Clerk exports the identifiers a user signs in with.
type csvSource struct {
	r      *csv.Reader
	header []string
	col    map[string]int
	seq    int64
}

func newCSVSource(r io.Reader) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the CSV file is empty: it needs a header row with %s", strings.Join(ClerkCSVColumns, ","))
		}
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	s := &csvSource{r: cr, header: header, col: map[string]int{}}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		header[i] = h
		s.col[h] = i
	}
	var missing []string
	for _, c := range []string{"id", "email_addresses"} {
		if _, ok := s.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the CSV file is not a Clerk user export: no %s column (its columns: %s; expected %s)",
			strings.Join(missing, ", "), strings.Join(header, ","), strings.Join(ClerkCSVColumns, ","))
	}
	known := map[string]bool{}
	for _, c := range append(append([]string{}, ClerkCSVColumns...), errorColumns...) {
		known[c] = true
	}
	for _, h := range header {
		if !known[h] {
			return nil, fmt.Errorf("the CSV file has a column Clerk's export does not: %q (expected %s)", h, strings.Join(ClerkCSVColumns, ","))
		}
	}
	return s, nil
}

func (s *csvSource) Header() []string { return s.header }

func (s *csvSource) Next() (*Item, error) {
	row, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		// A broken quote makes the rest of the file unreadable.
		return nil, fmt.Errorf("reading the CSV file: %w", err)
	}
	s.seq++
	line, _ := s.r.FieldPos(0)
	it := &Item{Seq: s.seq, Line: line, Raw: row}
	if len(row) != len(s.header) {
		it.Err = fmt.Errorf("the row has %d cells, the header %d", len(row), len(s.header))
		return it, nil
	}
	it.Rec, it.Err = s.record(row)
	return it, nil
}

func (s *csvSource) cell(row []string, name string) string {
	if i, ok := s.col[name]; ok {
		return strings.TrimSpace(row[i])
	}
	return ""
}

func (s *csvSource) record(row []string) (*Record, error) {
	r := &Record{ID: s.cell(row, "id")}
	for name, dst := range map[string]**string{"first_name": &r.FirstName, "last_name": &r.LastName, "username": &r.Username} {
		if v := s.cell(row, name); v != "" {
			*dst = &v
		}
	}
	for _, v := range splitCell(s.cell(row, "email_addresses")) {
		r.EmailAddresses = append(r.EmailAddresses, Ident{EmailAddress: v})
	}
	for _, v := range splitCell(s.cell(row, "phone_numbers")) {
		r.PhoneNumbers = append(r.PhoneNumbers, Ident{PhoneNumber: v})
	}
	r.TOTPSecret = s.cell(row, "totp_secret")
	r.PasswordDigest, r.PasswordHasher = s.cell(row, "password_digest"), s.cell(row, "password_hasher")
	for _, m := range []struct {
		name string
		dst  *json.RawMessage
	}{{"unsafe_metadata", &r.UnsafeMetadata}, {"public_metadata", &r.PublicMetadata}, {"private_metadata", &r.PrivateMetadata}} {
		v := s.cell(row, m.name)
		if v == "" {
			continue
		}
		if !json.Valid([]byte(v)) || !strings.HasPrefix(v, "{") {
			return nil, fmt.Errorf("%s is not a JSON object: %s", m.name, clip(v))
		}
		*m.dst = json.RawMessage(v)
	}
	return r, nil
}

func splitCell(v string) []string {
	var out []string
	for _, p := range strings.Split(v, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
