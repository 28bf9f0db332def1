// Package images holds the pictures users upload (organization logos,
// and later profile images): each is decoded and re-encoded as PNG before
// it is stored, so that what is served back is only pixels, whatever the
// upload carried; and it is served from Concierge's own /images/ path.
package images

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif" // the formats accepted
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
)

// NotFound is the 404 of an unknown image.
func NotFound(id string) error {
	return errs.ResourceNotFound("not found", "No image was found with id "+id+".")
}

// Bounds of an upload: Clerk's 10 MB, and a pixel count that keeps a
// small file from decoding into gigabytes.
const (
	MaxBytes  = 10 << 20
	MaxPixels = 25_000_000
	MaxSide   = 8192
)

// Image is a stored picture.
type Image struct {
	ID          string
	ContentType string
	Data        []byte
	CreatedAt   int64
}

// Store keeps images.
type Store interface {
	SaveImage(ctx context.Context, img *Image) error
	Image(ctx context.Context, id string) (*Image, error)
	DeleteImage(ctx context.Context, id string) error
}

// ErrInvalid refuses what is not a PNG, JPEG or GIF image.
var ErrInvalid = errs.New(errs.Invalid, "form_param_format_invalid", "Invalid image",
	"The file must be a PNG, JPEG or GIF image of at most 8192×8192 pixels.").WithParam("file")

// ErrTooLarge refuses a file over MaxBytes.
var ErrTooLarge = errs.New(errs.TooLarge, "request_body_too_large", "Image too large", "The image must be at most 10 MB.")

// Normalize reads an uploaded image and returns it re-encoded as PNG.
func Normalize(r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		var tl *http.MaxBytesError
		if errors.As(err, &tl) {
			return nil, ErrTooLarge
		}
		return nil, ErrInvalid
	}
	if len(raw) > MaxBytes {
		return nil, ErrTooLarge
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide ||
		cfg.Width*cfg.Height > MaxPixels {
		return nil, ErrInvalid
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, ErrInvalid
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Path is where an image is served, under a public URL.
func Path(id string) string { return "/images/" + id + ".png" }

// IDFromURL returns the ID of an image Concierge serves at publicURL, or
// "" for any other URL.
func IDFromURL(publicURL, u string) string {
	rest, ok := strings.CutPrefix(u, publicURL+"/images/")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(rest, ".png")
}

// Handler serves stored images at /images/{file}: immutable (a new
// upload gets a new ID), readable cross-origin as Clerk's image host is.
func Handler(s Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimSuffix(r.PathValue("file"), ".png")
		img, err := s.Image(r.Context(), id)
		if err != nil {
			respond.Error(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", img.ContentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("Access-Control-Allow-Origin", "*")
		w.Write(img.Data)
	})
}
