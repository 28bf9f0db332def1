package transfer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Input formats a file can be in ("" or "auto" guesses).
var Formats = []string{"auto", FormatClerkCSV, FormatJSONL, ShapeCreate, ShapeSupabase, ShapeAuth0}

// File is an opened import file.
type File struct {
	Source
	// Format is the format the file is read as.
	Format string
	// Fingerprint identifies the file's content, for its checkpoint.
	Fingerprint string
	// Size and Read tell how far reading has come, in bytes.
	Size int64
	read *countingReader
	f    *os.File
	// Header is a CSV file's header row, for its error file.
	Header []string
}

// Read is how many bytes of the file have been read.
func (f *File) Read() int64 { return f.read.n }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// OpenFile opens path for import in format ("" or "auto": a .csv file is
// Clerk's CSV, anything else JSON, its shape guessed from its first
// record). The fingerprint hashes the whole file, so an edited file is a
// new source with a checkpoint of its own.
func OpenFile(path, format string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	out := &File{f: f, Size: fi.Size(), read: &countingReader{r: f}, Fingerprint: hex.EncodeToString(h.Sum(nil))}
	br := bufio.NewReaderSize(out.read, 256<<10)
	if format == "" || format == "auto" {
		format = guessFormat(path, br)
	}
	out.Format = format
	switch format {
	case FormatClerkCSV:
		src, err := newCSVSource(br)
		if err != nil {
			f.Close()
			return nil, err
		}
		out.Source, out.Header = src, src.Header()
	case FormatJSONL, ShapeUser, ShapeCreate, ShapeSupabase, ShapeAuth0:
		shape := format
		if format == FormatJSONL {
			shape = "" // guessed from the first record
		}
		src, err := newJSONSource(br, shape)
		if err != nil {
			f.Close()
			return nil, err
		}
		out.Source = src
	default:
		f.Close()
		return nil, fmt.Errorf("unknown format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	return out, nil
}

func guessFormat(path string, br *bufio.Reader) string {
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		return FormatClerkCSV
	}
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(head, "\ufeff \t\r\n")
	if len(head) > 0 && head[0] != '{' && head[0] != '[' {
		return FormatClerkCSV
	}
	return FormatJSONL
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
