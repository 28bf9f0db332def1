package frontendapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
)

var errMalformed = errs.New(errs.BadRequest, "malformed_request_parameters", "Malformed request parameters",
	"The request parameters are malformed and could not be parsed.")

// params reads a call's parameters: the query string and a form-encoded
// (what clerk-js sends) or JSON body (what servers and native apps may
// send), as one set of values. Unknown parameters are the caller's
// business: clerk-js sends several the API does not use.
func params(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	var v url.Values
	switch {
	case mt == "application/json":
		v = r.URL.Query()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, tooLargeOr(err)
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, errs.BodyInvalid("The request body is not a JSON object.")
			}
			for k, x := range m {
				addJSON(v, k, x)
			}
		}
	case mt == "" || mt == "application/x-www-form-urlencoded" || mt == "text/plain":
		if mt == "text/plain" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if err := r.ParseForm(); err != nil {
			return nil, tooLargeOr(err)
		}
		v = r.Form
	default:
		return nil, errs.New(errs.UnsupportedMedia, "unsupported_content_type", "Unsupported content type",
			"Content-Type "+ct+" is not supported: send a form (application/x-www-form-urlencoded) or JSON.")
	}
	if !httpcheck.CleanValues(v) {
		return nil, errMalformed
	}
	return v, nil
}

func tooLargeOr(err error) error {
	var tl *http.MaxBytesError
	if errors.As(err, &tl) {
		return errs.New(errs.TooLarge, "request_body_too_large", "Request body too large", "The request body must be at most 1 MiB.")
	}
	return errMalformed
}

// addJSON flattens a JSON value the way clerk-js encodes forms: objects
// as JSON text, arrays as repeated keys, null as empty.
func addJSON(v url.Values, k string, x any) {
	switch t := x.(type) {
	case nil:
		v.Add(k, "")
	case string:
		v.Add(k, t)
	case []any:
		for _, e := range t {
			addJSON(v, k, e)
		}
	case map[string]any:
		b, _ := json.Marshal(t)
		v.Add(k, string(b))
	default:
		v.Add(k, fmt.Sprint(t))
	}
}

// opt returns a pointer to a parameter's value, nil when absent.
func opt(v url.Values, k string) *string {
	if _, ok := v[k]; !ok {
		return nil
	}
	s := v.Get(k)
	return &s
}
