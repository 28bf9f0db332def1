package backendapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

var errTooLarge = errs.New(errs.TooLarge, "request_body_too_large", "Request body too large",
	"The request body must be at most 1 MiB.")

// decode reads a JSON object body into dst. An empty body or the literal
// null (which clerk-sdk-go sends for parameterless calls) leaves dst as is.
// Unknown fields are ignored, as the official SDKs send some that this
// server does not use.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return errs.BodyInvalid("The request body could not be read.")
	}
	return decodeBytes(r.Header.Get("Content-Type"), body, dst)
}

// decodeBytes is decode's pure part, shared with the fuzz tests.
func decodeBytes(contentType string, body []byte, dst any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return nil
	}
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errs.New(errs.UnsupportedMedia, "unsupported_content_type", "Content-Type is unsupported",
				"Content-Type "+contentType+" is unsupported. You should use application/json instead.")
		}
	}
	// JSON may spell NUL as \u0000, which PostgreSQL cannot store in text.
	if escapesNUL(body) {
		return errs.BodyInvalid("The request body must not contain NUL characters (\\u0000).")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errs.BodyInvalid("The request body must hold a single JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.BodyInvalid("The request body must hold a single JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return errs.BodyInvalid("The request body must be a JSON object.")
		}
		field := typeErr.Field
		if i := strings.IndexByte(field, '.'); i >= 0 {
			field = field[:i]
		}
		return errs.ParamFormat(field, field+" must be of type "+jsonType(typeErr.Type.String())+", not "+typeErr.Value+".")
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errs.BodyInvalid("The request body is not valid JSON.")
	}
	return errs.BodyInvalid("")
}

// jsonType names a Go type the way an API user thinks of it.
func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case strings.Contains(goType, "map[") || strings.Contains(goType, "RawMessage"):
		return "object"
	case strings.Contains(goType, "bool"):
		return "boolean"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "number"
	case strings.Contains(goType, "string"):
		return "string"
	}
	return goType
}

// escapesNUL reports whether body holds the JSON escape \u0000: an odd run
// of backslashes before "u0000" (an even run is an escaped backslash
// followed by plain text).
func escapesNUL(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		at := i + j
		n := 0
		for k := at - 1; k >= 0 && body[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = at + 1
	}
}
