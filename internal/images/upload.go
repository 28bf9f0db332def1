package images

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
)

// errNoFile refuses an upload without its file.
var errNoFile = errs.New(errs.Invalid, "form_param_missing", "is missing", "Send the image as the multipart field file.").WithParam("file")

// Upload finds the uploaded file of a request as Clerk's clients send
// it: the multipart field "file", or (clerk-js given a string) the body
// itself, raw or as a base64 data: URL. Other multipart fields are
// returned as fields. The body is bounded to MaxBytes plus room for the
// fields.
func Upload(w http.ResponseWriter, r *http.Request) (io.Reader, map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBytes+64<<10)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	fields := map[string]string{}
	switch mt {
	case "multipart/form-data":
		mr, err := multipartReader(r, params)
		if err != nil {
			return nil, nil, err
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, nil, errNoFile
			}
			if err != nil {
				return nil, nil, tooLargeOr(err)
			}
			if part.FormName() == "file" {
				return part, fields, nil
			}
			v, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				return nil, nil, tooLargeOr(err)
			}
			fields[part.FormName()] = string(v)
		}
	case "application/octet-stream", "text/plain", "":
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, tooLargeOr(err)
		}
		if len(raw) == 0 {
			return nil, nil, errNoFile
		}
		if s := string(raw); strings.HasPrefix(s, "data:") {
			comma := strings.IndexByte(s, ',')
			if comma < 0 || !strings.HasSuffix(s[:comma], ";base64") {
				return nil, nil, ErrInvalid
			}
			dec, err := base64.StdEncoding.DecodeString(s[comma+1:])
			if err != nil {
				return nil, nil, ErrInvalid
			}
			raw = dec
		}
		return bytes.NewReader(raw), fields, nil
	}
	return nil, nil, errs.New(errs.UnsupportedMedia, "unsupported_content_type", "Unsupported content type",
		"Send the image as multipart/form-data (field file) or application/octet-stream.")
}

func tooLargeOr(err error) error {
	var tl *http.MaxBytesError
	if errors.As(err, &tl) {
		return ErrTooLarge
	}
	return errs.BodyInvalid("The multipart body could not be read.")
}

func multipartReader(r *http.Request, params map[string]string) (*multipart.Reader, error) {
	if params["boundary"] == "" {
		return nil, errs.BodyInvalid("The multipart body has no boundary.")
	}
	return multipart.NewReader(r.Body, params["boundary"]), nil
}
