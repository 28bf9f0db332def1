package organization

import (
	"context"
	"io"

	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/images"
)

// SetLogo replaces an organization's logo with the uploaded image,
// re-encoded; the previous upload, if any, is deleted.
func (s *Service) SetLogo(ctx context.Context, idOrSlug string, file io.Reader) (*Organization, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	data, err := images.Normalize(file)
	if err != nil {
		return nil, err
	}
	img := &images.Image{ID: id.New("img_"), ContentType: "image/png", Data: data, CreatedAt: s.Now().UnixMilli()}
	if err := s.Images.SaveImage(ctx, img); err != nil {
		return nil, err
	}
	url := s.PublicURL + images.Path(img.ID)
	return s.replaceImage(ctx, o.ID, &url, img.ID)
}

// RemoveLogo goes back to the generated image.
func (s *Service) RemoveLogo(ctx context.Context, idOrSlug string) (*Organization, error) {
	o, err := s.Store.Organization(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	return s.replaceImage(ctx, o.ID, nil, "")
}

// replaceImage points the organization at url and deletes the image it
// pointed at before; a failed update deletes the new one instead, so no
// upload is left unreferenced.
func (s *Service) replaceImage(ctx context.Context, orgID string, url *string, newID string) (*Organization, error) {
	var old string
	o, err := s.Store.UpdateOrganization(ctx, orgID, func(o *Organization) error {
		old = ""
		if o.ImageURL != nil {
			old = images.IDFromURL(s.PublicURL, *o.ImageURL)
		}
		o.ImageURL, o.UpdatedAt = url, s.Now().UnixMilli()
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
	return o, nil
}
