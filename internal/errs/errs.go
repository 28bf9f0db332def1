// Package errs holds Concierge's one error type. Every failure a client may
// see is an *Error with a Kind (which decides the HTTP status) and Clerk's
// code, message and long_message; anything else is an internal error whose
// text never leaves the server.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error; the HTTP layer maps each kind to one status.
type Kind int

// The closed set of error kinds.
const (
	Internal         Kind = iota // 500: a bug or an unavailable dependency
	BadRequest                   // 400: a business rule or an unreadable request
	Unauthenticated              // 401
	Forbidden                    // 403
	NotFound                     // 404
	MethodNotAllowed             // 405
	Conflict                     // 409
	Gone                         // 410
	TooLarge                     // 413
	UnsupportedMedia             // 415
	Invalid                      // 422: a parameter failed validation
	TooManyRequests              // 429
	Unavailable                  // 503
)

// Error is an error that is safe to show to a client.
type Error struct {
	Kind        Kind
	Code        string
	Message     string
	LongMessage string
	// Meta is Clerk's optional per-error meta object, e.g. {"param_name": "email_address"}.
	Meta map[string]any
	// RetryAfter is the number of seconds a rate-limited client should wait.
	RetryAfter int
	// Cause is kept for logs only.
	Cause error
}

func (e *Error) Error() string {
	if e.LongMessage != "" {
		return e.Code + ": " + e.LongMessage
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an error of the given kind and code; long defaults to message.
func New(kind Kind, code, message, long string) *Error {
	if long == "" {
		long = message
	}
	return &Error{Kind: kind, Code: code, Message: message, LongMessage: long}
}

// WithParam sets meta.param_name and returns e for chaining.
func (e *Error) WithParam(name string) *Error {
	if e.Meta == nil {
		e.Meta = map[string]any{}
	}
	e.Meta["param_name"] = name
	return e
}

// As reports whether err is (or wraps) an *Error and returns it.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ParamMissing is Clerk's 422 form_param_missing.
func ParamMissing(param string) *Error {
	return New(Invalid, "form_param_missing", "is missing", param+" must be included.").WithParam(param)
}

// ParamFormat is Clerk's 422 form_param_format_invalid.
func ParamFormat(param, long string) *Error {
	if long == "" {
		long = param + " is invalid."
	}
	return New(Invalid, "form_param_format_invalid", "is invalid", long).WithParam(param)
}

// ParamValue is Clerk's 422 form_param_value_invalid.
func ParamValue(param, value string) *Error {
	return New(Invalid, "form_param_value_invalid", "is invalid",
		fmt.Sprintf("%s does not match one of the allowed values for parameter %s", value, param)).WithParam(param)
}

// ParamUnknown is Clerk's 422 form_param_unknown.
func ParamUnknown(param, long string) *Error {
	if long == "" {
		long = param + " is not a valid parameter for this request."
	}
	return New(Invalid, "form_param_unknown", "is unknown", long).WithParam(param)
}

// IdentifierExists is Clerk's 422 form_identifier_exists; what names the
// kind of identifier in the message ("email address", "username", ...).
func IdentifierExists(param, what string) *Error {
	msg := "That " + what + " is taken. Please try another."
	return New(Invalid, "form_identifier_exists", msg, msg).WithParam(param)
}

// ResourceNotFound is Clerk's 404 resource_not_found.
func ResourceNotFound(message, long string) *Error {
	return New(NotFound, "resource_not_found", message, long)
}

// BodyInvalid is Clerk's 400 request_body_invalid.
func BodyInvalid(long string) *Error {
	if long == "" {
		long = "The request body is invalid. Please consult the API documentation for more information."
	}
	return New(BadRequest, "request_body_invalid", "Request body invalid", long)
}
