package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/transfer"
)

// progress shows an import's progress: on a terminal, one line redrawn
// with a bar, the rate and the time left; otherwise a plain line every
// few seconds, for logs.
type progress struct {
	w        io.Writer
	name     string
	fraction func() (float64, bool)
	tty      bool
	start    time.Time
	last     time.Time
	drawn    bool
}

func newProgress(w io.Writer, name string, fraction func() (float64, bool)) *progress {
	p := &progress{w: w, name: name, fraction: fraction, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(s transfer.Summary) {
	now := time.Now()
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(s.Read) / max(elapsed, 0.001)
	frac, known := p.fraction()
	eta := ""
	if known && frac > 0 && frac < 1 {
		left := time.Duration(elapsed * (1 - frac) / frac * float64(time.Second))
		eta = " ETA " + left.Round(time.Second).String()
	}
	counts := fmt.Sprintf("%d read, %d imported, %d updated, %d duplicates, %d failed, %.0f/s",
		s.Read, s.Imported, s.Updated, s.Duplicates, s.Failed, rate)
	if !p.tty {
		pct := ""
		if known {
			pct = fmt.Sprintf(" %.1f%%", 100*frac)
		}
		fmt.Fprintf(p.w, "%s:%s %s%s\n", p.name, pct, counts, eta)
		return
	}
	bar := ""
	if known {
		const width = 24
		n := int(frac * width)
		bar = fmt.Sprintf("[%s%s] %5.1f%% ", strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac)
	}
	fmt.Fprintf(p.w, "\r\033[K%s%s%s", bar, counts, eta)
	p.drawn = true
}

// done ends the progress line, so the summary starts on its own.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// errorFile collects the records that failed, in the source's format with
// the line and the reason added (import_line, import_error), so that the
// file, once corrected, imports as it is. It is created at the first
// failure only.
type errorFile struct {
	// appending continues the file of an interrupted run being resumed,
	// which holds the failures of the records before the checkpoint.
	appending bool
	path      string
	format    string
	header    []string
	f         *os.File
	csv       *csv.Writer
	n         int64
	err       error
}

func newErrorFile(path, source, format string, header []string, appending bool) *errorFile {
	if path == "" {
		base := strings.TrimSuffix(source, ".csv")
		base = strings.TrimSuffix(strings.TrimSuffix(base, ".jsonl"), ".json")
		ext := ".jsonl"
		if format == transfer.FormatClerkCSV {
			ext = ".csv"
		}
		path = base + ".errors" + ext
	}
	return &errorFile{path: path, format: format, header: header, appending: appending}
}

// add returns the Failure callback of an import: it writes the record and
// tells the terminal which line failed and why.
func (e *errorFile) add(stderr io.Writer, tty bool) func(*transfer.Item, error) {
	clear := ""
	if tty {
		clear = "\r\033[K" // over the progress line
	}
	return func(it *transfer.Item, err error) {
		reason := transfer.Reason(err)
		where := fmt.Sprintf("record %d", it.Seq)
		if it.Line > 0 {
			where = fmt.Sprintf("line %d", it.Line)
		}
		if e.n < 20 {
			fmt.Fprintf(stderr, "%s%s: %s\n", clear, where, reason)
		} else if e.n == 20 {
			fmt.Fprintf(stderr, "%s(more failures: see %s)\n", clear, e.path)
		}
		e.n++
		if e.err != nil {
			return
		}
		if e.f == nil {
			mode := os.O_TRUNC
			if e.appending {
				mode = os.O_APPEND
			}
			if e.f, e.err = os.OpenFile(e.path, os.O_CREATE|os.O_WRONLY|mode, 0o600); e.err != nil {
				return
			}
			if e.format == transfer.FormatClerkCSV {
				e.csv = csv.NewWriter(e.f)
				if fi, err := e.f.Stat(); err == nil && fi.Size() == 0 {
					e.err = e.csv.Write(append(stripErrorColumns(e.header), "import_line", "import_error"))
				}
			}
		}
		if e.csv != nil {
			row := it.Raw
			if len(row) > len(e.header) {
				row = row[:len(e.header)]
			}
			e.err = e.csv.Write(append(stripErrorColumnsOf(e.header, row), strconv.Itoa(it.Line), reason))
			return
		}
		line := []byte("{}")
		if len(it.Raw) > 0 {
			line = []byte(it.Raw[0])
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(line, &obj) != nil {
			obj = map[string]json.RawMessage{"import_raw": mustJSON(string(line))}
		}
		obj["import_line"] = mustJSON(it.Line)
		obj["import_error"] = mustJSON(reason)
		b, _ := json.Marshal(obj)
		_, e.err = e.f.Write(append(b, '\n'))
	}
}

func (e *errorFile) close() {
	if e.csv != nil {
		e.csv.Flush()
		if err := e.csv.Error(); err != nil && e.err == nil {
			e.err = err
		}
	}
	if e.f != nil {
		e.f.Close()
	}
}

// stripErrorColumns drops an earlier run's import_line/import_error, so
// that re-importing an error file makes a clean one.
func stripErrorColumns(header []string) []string {
	var out []string
	for _, h := range header {
		if h != "import_line" && h != "import_error" {
			out = append(out, h)
		}
	}
	return out
}

func stripErrorColumnsOf(header, row []string) []string {
	var out []string
	for i, h := range header {
		if h != "import_line" && h != "import_error" && i < len(row) {
			out = append(out, row[i])
		}
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
