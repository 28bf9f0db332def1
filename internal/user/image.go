package user

import (
	"context"
	"io"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/images"
)

// SetImage makes an upload the user's profile image. The file is decoded
// and re-encoded as PNG (images.Normalize) before it is stored, so what
// is served back is never the bytes a client sent.
func (s *Service) SetImage(ctx context.Context, userID string, file io.Reader) (*User, *images.Image, error) {
	if _, err := s.Get(ctx, userID); err != nil {
		return nil, nil, err
	}
	data, err := images.Normalize(file)
	if err != nil {
		return nil, nil, err
	}
	img := &images.Image{ID: id.New("img_"), ContentType: "image/png", Data: data, CreatedAt: s.nowMillis()}
	if err := s.Images.SaveImage(ctx, img); err != nil {
		return nil, nil, err
	}
	url := s.PublicURL + images.Path(img.ID)
	u, err := s.replaceImage(ctx, userID, &url, img.ID)
	return u, img, err
}

// RemoveImage goes back to the generated image.
func (s *Service) RemoveImage(ctx context.Context, userID string) (*User, error) {
	u, err := s.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.ImageURL == nil {
		return nil, errs.New(errs.BadRequest, "image_not_set", "no image", "The user has no uploaded profile image.")
	}
	return s.replaceImage(ctx, userID, nil, "")
}

// replaceImage points the user at url and deletes the image it pointed
// at before; a failed update deletes the new one instead, so no upload
// is left unreferenced.
func (s *Service) replaceImage(ctx context.Context, userID string, url *string, newID string) (*User, error) {
	var old string
	u, err := s.Store.UpdateUser(ctx, userID, func(u *User) error {
		old = ""
		if u.ImageURL != nil {
			old = images.IDFromURL(s.PublicURL, *u.ImageURL)
		}
		u.ImageURL = url
		u.Touch(s.nowMillis())
		return nil
	})
	if err != nil {
		if newID != "" {
			s.Images.DeleteImage(context.WithoutCancel(ctx), newID)
		}
		return nil, err
	}
	if old != "" {
		if err := s.Images.DeleteImage(ctx, old); err != nil {
			return nil, err
		}
	}
	return u, nil
}
