package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/transfer"
)

// The import and export page: upload a file of users (what concierge
// import reads) and import it while the operator waits; download every
// user as JSON Lines or Clerk's CSV (what concierge export writes).

// defaultMaxUpload bounds an upload when MaxUpload is 0. The import runs
// within the request, so a file much bigger than this is better imported
// with concierge import, which resumes where an interrupted run stopped.
const defaultMaxUpload = 64 << 20

// transferTimeout replaces the server's read and write time-outs, sized
// for forms, on an upload and an export: a big file on a slow link, or an
// import that hashes plain passwords, takes minutes.
const transferTimeout = 30 * time.Minute

// maxListedFailures bounds the failures the page lists; the rest are
// counted.
const maxListedFailures = 100

// formatLabels describe transfer.Formats in the format menu.
var formatLabels = map[string]string{
	"auto":                  "Guess from the file",
	transfer.FormatClerkCSV: "Clerk's dashboard export (CSV)",
	transfer.FormatJSONL:    "JSON Lines or array of Clerk user objects (a Concierge export)",
	transfer.ShapeCreate:    "JSON of Backend API create-user bodies",
	transfer.ShapeSupabase:  "JSON of Supabase Auth users",
	transfer.ShapeAuth0:     "JSON of Auth0 users (bulk or password-hash export)",
}

// exportFormats are the downloads: content type and file extension.
var exportFormats = map[string]struct{ ContentType, Ext string }{
	transfer.FormatJSONL:    {"application/x-ndjson", "jsonl"},
	transfer.FormatClerkCSV: {"text/csv; charset=utf-8", "csv"},
}

type formatOption struct{ Value, Label string }

type transferData struct {
	Formats        []formatOption
	Format         string
	Update, DryRun bool
	MaxUpload      string
	Result         *importResult
}

// importResult is what an upload did.
type importResult struct {
	Sum          transfer.Summary
	File, Format string
	DryRun       bool
	Failures     []importFailure
	// Unlisted counts the failures beyond maxListedFailures.
	Unlisted int64
}

type importFailure struct {
	Line   int
	Seq    int64
	Reason string
}

func (res *importResult) fail(it *transfer.Item, err error) {
	if len(res.Failures) == maxListedFailures {
		res.Unlisted++
		return
	}
	res.Failures = append(res.Failures, importFailure{Line: it.Line, Seq: it.Seq, Reason: transfer.Reason(err)})
}

// Took is the import's duration as the page shows it.
func (res *importResult) Took() string { return res.Sum.Elapsed.Round(time.Millisecond).String() }

func (d *Dashboard) maxUpload() int64 {
	if d.MaxUpload > 0 {
		return d.MaxUpload
	}
	return defaultMaxUpload
}

// renderTransfer shows the page with data's choices kept, and msg as its
// error.
func (d *Dashboard) renderTransfer(w http.ResponseWriter, r *http.Request, status int, data transferData, msg string) error {
	if data.Format == "" {
		data.Format = "auto"
	}
	data.MaxUpload = byteSize(d.maxUpload())
	for _, f := range transfer.Formats {
		label := formatLabels[f]
		if label == "" {
			label = f
		}
		data.Formats = append(data.Formats, formatOption{Value: f, Label: label})
	}
	return d.render(w, r, "transfer", status, view{Title: "Import & export", Nav: "transfer", Error: msg, Data: data})
}

func (d *Dashboard) transferPage(w http.ResponseWriter, r *http.Request) error {
	return d.renderTransfer(w, r, http.StatusOK, transferData{}, "")
}

// importUpload imports the uploaded file and shows what it did. A file
// that cannot be read as its format is shown as an error (422); a bad
// record fails alone and is listed.
func (d *Dashboard) importUpload(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	data := transferData{Format: f.Get("format"), Update: f.Get("update") == "true", DryRun: f.Get("dry_run") == "true"}
	if data.Format == "" {
		data.Format = "auto"
	}
	if !slices.Contains(transfer.Formats, data.Format) {
		return d.renderTransfer(w, r, http.StatusUnprocessableEntity, data,
			fmt.Sprintf("Unknown format %q: choose one of %s.", data.Format, strings.Join(transfer.Formats, ", ")))
	}
	part := fileOf(r)
	if part == nil {
		return d.renderTransfer(w, r, http.StatusUnprocessableEntity, data, "Choose a file to import.")
	}
	path, err := saveUpload(part)
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return d.renderTransfer(w, r, http.StatusRequestEntityTooLarge, data, fmt.Sprintf(
				"The file is larger than the %s upload limit. Import it on the server's command line instead: concierge import FILE.",
				byteSize(d.maxUpload())))
		}
		return err
	}
	defer os.Remove(path)
	res, err := d.importFile(r.Context(), path, data)
	if res != nil {
		res.File = part.FileName()
	}
	data.Result = res
	if err != nil {
		msg, ok := message(err)
		if !ok {
			return err
		}
		return d.renderTransfer(w, r, http.StatusUnprocessableEntity, data, msg)
	}
	return d.renderTransfer(w, r, http.StatusOK, data, "")
}

// saveUpload copies an uploaded file to a temporary file (readable by
// this process's user only: it holds password digests) and returns its
// path. transfer.OpenFile needs a file: it hashes it, then reads it. A .csv
// name is kept, as OpenFile guesses the format from it.
func saveUpload(part *multipart.Part) (string, error) {
	pattern := "concierge-import-*"
	if strings.HasSuffix(strings.ToLower(part.FileName()), ".csv") {
		pattern += ".csv"
	}
	tmp, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(tmp, part)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// importFile imports the file at path as the CLI does, and returns what
// it did, also when it stops part-way (the batches before stay
// committed). An error that is the file's fault (an unknown format, wrong
// columns, a broken quote) is an errs.Invalid with its message.
func (d *Dashboard) importFile(ctx context.Context, path string, in transferData) (*importResult, error) {
	f, err := transfer.OpenFile(path, in.Format)
	if err != nil {
		return nil, fileFault(err)
	}
	defer f.Close()
	res := &importResult{Format: f.Format, DryRun: in.DryRun}
	// No checkpoint: a checkpoint lets a run resume the same file, but the
	// uploaded copy is removed when this request ends. Uploading the file
	// again after an interruption is safe: the users committed come back
	// as duplicates, found by their IDs.
	o := transfer.Options{Checkpoint: "", Update: in.Update, DryRun: in.DryRun, Failure: res.fail}
	// The source's name is the format, as for concierge import, so that
	// the IDs derived for records that have no Clerk ID are the same
	// whichever way a file comes in.
	im := &transfer.Importer{Store: d.Transfer, Builder: &transfer.Builder{Source: f.Format, Key: d.MFAKey, Now: d.Now}}
	src := &watchedSource{Source: f}
	res.Sum, err = im.Run(ctx, src, o)
	if err != nil && src.err != nil {
		// Reading the file failed, not the store.
		return res, fileFault(err)
	}
	return res, err
}

// watchedSource remembers a reading error of its source, which is the
// file's fault, apart from the store's errors, which are not.
type watchedSource struct {
	transfer.Source
	err error
}

func (s *watchedSource) Next() (*transfer.Item, error) {
	it, err := s.Source.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return it, err
}

// fileFault makes err, the file's fault, an error to show, unless it is
// the system's (the temporary file could not be read).
func fileFault(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return err
	}
	return &errs.Error{Kind: errs.Invalid, Code: "import_file_invalid", Message: "The file cannot be imported",
		LongMessage: err.Error(), Cause: err}
}

// exportDownload writes every user, with password digests and second
// factors, as a file to download. It is a form post, not a link: an
// export is a deliberate act, and a link could be followed by a crawler or
// a prefetch.
func (d *Dashboard) exportDownload(w http.ResponseWriter, r *http.Request) error {
	format := r.PostForm.Get("format")
	if format == "" {
		format = r.URL.Query().Get("format")
	}
	kind, ok := exportFormats[format]
	if !ok {
		return d.render(w, r, "error", http.StatusBadRequest, view{Title: "Error",
			Error: fmt.Sprintf("Unknown export format %q: jsonl or clerk-csv.", format)})
	}
	extendDeadlines(w)
	name := fmt.Sprintf("concierge-users-%s.%s", d.Now().UTC().Format("2006-01-02"), kind.Ext)
	out := &download{w: w, contentType: kind.ContentType, name: name}
	n, err := (&transfer.Exporter{Store: d.Transfer, Key: d.MFAKey, Audit: d.Audit}).Export(r.Context(), out, format, nil)
	if err != nil {
		if out.started {
			// Part of the file is sent, with a 200: breaking the connection
			// is the only way left to tell the browser the download
			// failed, rather than let it keep a truncated file.
			if r.Context().Err() == nil { // (not the browser going away)
				respond.Logger(r.Context()).Error("dashboard export failed", "format", format, "users", n, "err", err)
			}
			panic(http.ErrAbortHandler)
		}
		return err
	}
	out.start() // an export of no users writes no bytes, yet is a file
	return nil
}

// download is a response that is a file. Its headers are set with its
// first byte, so that an export failing before then still gets an error
// page, not a file named .csv holding one.
type download struct {
	w                 http.ResponseWriter
	contentType, name string
	started           bool
}

func (d *download) start() {
	if d.started {
		return
	}
	d.started = true
	h := d.w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
	h.Set("Cache-Control", "no-store") // (base sets it too: it matters most here)
}

func (d *download) Write(p []byte) (int, error) {
	d.start()
	return d.w.Write(p)
}

// extendDeadlines lifts the server's time-outs for an upload or export.
// An error only means the connection does not support deadlines.
func extendDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(transferTimeout))
	rc.SetWriteDeadline(time.Now().Add(transferTimeout))
}

// Uploads. base hands an upload route's multipart form over here: its
// fields go into r.PostForm, to be checked (CSRF token included) like any
// form's, before a byte of the file is read; the file is left in the
// request's context for the handler to stream. So the fields must come
// before the file, as they do in the page's form; fields after it are not
// read.

type fileKey struct{}

// maxFields and maxFieldSize bound the fields of an upload form.
const (
	maxFields    = 20
	maxFieldSize = 8 << 10
)

func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// readFields reads r's multipart form up to its first file into
// r.PostForm, and returns ctx with the file (if there is one) to read.
func readFields(ctx context.Context, r *http.Request) (context.Context, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return ctx, err
	}
	r.PostForm = url.Values{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return ctx, nil
		}
		if err != nil {
			return ctx, err
		}
		// A file input left empty is sent as a file with no name.
		if part.FileName() != "" {
			return context.WithValue(ctx, fileKey{}, part), nil
		}
		if n == maxFields {
			return ctx, errors.New("too many form fields")
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
		if err != nil {
			return ctx, err
		}
		if len(v) > maxFieldSize {
			return ctx, fmt.Errorf("form field %q is too long", part.FormName())
		}
		r.PostForm.Add(part.FormName(), string(v))
	}
}

// fileOf is the file of an upload, or nil.
func fileOf(r *http.Request) *multipart.Part {
	p, _ := r.Context().Value(fileKey{}).(*multipart.Part)
	return p
}

// byteSize is n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
