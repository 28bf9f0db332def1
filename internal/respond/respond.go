// Package respond writes JSON responses and is the one place where an
// error becomes an HTTP status and Clerk's error envelope.
package respond

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/conciergehq/concierge/internal/errs"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
)

// WithRequest stores the request ID and a logger in ctx.
func WithRequest(ctx context.Context, requestID string, log *slog.Logger) context.Context {
	ctx = context.WithValue(ctx, requestIDKey, requestID)
	return context.WithValue(ctx, loggerKey, log)
}

// RequestID returns the request ID stored in ctx, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// Logger returns the request's logger, or a discarding one.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// JSON writes v with status. The Content-Type is exactly
// "application/json": Clerk's Node SDKs compare it with ===.
func JSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"Oops, an unexpected error occurred","long_message":"Oops, an unexpected error occurred","code":"internal_clerk_error"}]}`)
	}
	Raw(w, status, b)
}

// Raw writes b, JSON already encoded, with status and the headers JSON
// writes.
func Raw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// Status maps an error kind to its HTTP status.
func Status(k errs.Kind) int {
	switch k {
	case errs.BadRequest:
		return http.StatusBadRequest
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case errs.Conflict:
		return http.StatusConflict
	case errs.Gone:
		return http.StatusGone
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.UnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.TooManyRequests:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Errors  []errorItem `json:"errors"`
	TraceID string      `json:"clerk_trace_id,omitempty"`
}

type errorItem struct {
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Code        string         `json:"code"`
	Meta        map[string]any `json:"meta,omitempty"`
}

// Error writes err as Clerk's error envelope. An error that is not an
// *errs.Error (or is of kind Internal) is logged with the request ID and
// answered with a generic 500: its text never reaches the client. Two
// are not the server's faults: a client that hung up is answered with
// nothing (see Gone), and a deadline the server set is a 503.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	if Gone(w, r) {
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.Internal {
		if Unavailable != nil && Unavailable(err) {
			Logger(r.Context()).Error("database unavailable", "err", err)
			e = errs.New(errs.Unavailable, "service_unavailable", "Service unavailable",
				"The service is briefly unavailable; try again shortly.")
			e.RetryAfter = retryUnavailable
		} else if errors.Is(err, context.DeadlineExceeded) {
			Logger(r.Context()).Error("request timed out", "err", err)
			e = errs.New(errs.Unavailable, "service_unavailable", "Service unavailable",
				"The request took too long; try again shortly.")
		} else {
			Logger(r.Context()).Error("internal error", "err", err)
			e = errs.New(errs.Internal, "internal_clerk_error", "Oops, an unexpected error occurred", "")
		}
	}
	if (e.Kind == errs.TooManyRequests || e.Kind == errs.Unavailable) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	JSON(w, Status(e.Kind), errorBody{
		Errors:  []errorItem{{Message: e.Message, LongMessage: e.LongMessage, Code: e.Code, Meta: e.Meta}},
		TraceID: RequestID(r.Context()),
	})
}

// Unavailable, if set, recognises errors that mean the database cannot
// be reached just now (sqlstore.IsUnavailable): answered 503 with
// Retry-After, not 500. Set once by the wiring, before serving.
var Unavailable func(error) bool

// retryUnavailable is the Retry-After of such a 503, in seconds.
const retryUnavailable = 5

// StatusClientClosed is the access log's status for a request whose
// client went away before its answer (nginx's convention): not a 5xx, as
// nothing went wrong on the server's side.
const StatusClientClosed = 499

// abandoner is what the access log's writer implements to hear of it.
type abandoner interface{ Abandon() }

// Gone reports whether r's client has gone away: net/http cancels the
// request's context when its connection closes, and whatever error the
// work then ended in (context.Canceled, or a driver's "interrupted") is
// the hang-up's doing. If so, w is marked for the access log (status
// StatusClientClosed, info level) and nothing is written to the dead
// connection. A deadline is not a hang-up: only cancellation counts.
func Gone(w http.ResponseWriter, r *http.Request) bool {
	if !errors.Is(r.Context().Err(), context.Canceled) {
		return false
	}
	for w != nil {
		if a, ok := w.(abandoner); ok {
			a.Abandon()
			break
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return true
}
