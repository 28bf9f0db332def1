package sdk

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// ErrorDetail is one entry of an error answer's errors array.
type ErrorDetail struct {
	Code        string         `json:"code"`
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Meta        map[string]any `json:"meta,omitempty"`
}

// APIError is an error answer of the Backend API. Its fields repeat the
// first entry of Errors, which is the one that matters in practice.
type APIError struct {
	Status      int
	Code        string
	Message     string
	LongMessage string
	Meta        map[string]any
	TraceID     string
	// RetryAfter is the Retry-After of a 429, in seconds.
	RetryAfter int
	Errors     []ErrorDetail
}

func (e *APIError) Error() string {
	msg := e.LongMessage
	if msg == "" {
		msg = e.Message
	}
	return "concierge: " + strconv.Itoa(e.Status) + " " + e.Code + ": " + msg
}

// Param is the meta.param_name of the error, the parameter it is about.
func (e *APIError) Param() string {
	s, _ := e.Meta["param_name"].(string)
	return s
}

// Sentinels for errors.Is.
var (
	// ErrNotFound matches 404 answers.
	ErrNotFound = errors.New("concierge: not found")
	// ErrIdentifierExists matches answers refusing a value that is taken:
	// an identifier of another user, a duplicate record, a conflict.
	ErrIdentifierExists = errors.New("concierge: identifier exists")
	// ErrUnauthorized matches 401 and 403 answers.
	ErrUnauthorized = errors.New("concierge: unauthorized")
	// ErrRateLimited matches 429 answers; APIError.RetryAfter says when
	// to try again.
	ErrRateLimited = errors.New("concierge: rate limited")
)

// Is lets errors.Is match an *APIError against the sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrIdentifierExists:
		return e.Status == http.StatusConflict || e.Code == "form_identifier_exists" || e.Code == "duplicate_record"
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	}
	return false
}

func decodeError(res *http.Response, raw []byte) error {
	e := &APIError{Status: res.StatusCode, TraceID: res.Header.Get("Clerk-Trace-Id")}
	var body struct {
		Errors  []ErrorDetail `json:"errors"`
		TraceID string        `json:"clerk_trace_id"`
	}
	if json.Unmarshal(raw, &body) == nil && len(body.Errors) > 0 {
		e.Errors = body.Errors
		first := body.Errors[0]
		e.Code, e.Message, e.LongMessage, e.Meta = first.Code, first.Message, first.LongMessage, first.Meta
		if body.TraceID != "" {
			e.TraceID = body.TraceID
		}
	} else {
		e.Code = "unexpected_response"
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
	}
	if s := res.Header.Get("Retry-After"); s != "" {
		e.RetryAfter, _ = strconv.Atoi(s)
	}
	return e
}
