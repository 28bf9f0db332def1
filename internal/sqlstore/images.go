package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/conciergehq/concierge/internal/images"
)

var _ images.Store = (*DB)(nil)

// SaveImage stores an image.
func (db *DB) SaveImage(ctx context.Context, img *images.Image) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "INSERT INTO images (id, content_type, data, created_at) VALUES (?, ?, ?, ?)",
			img.ID, img.ContentType, img.Data, img.CreatedAt)
		return err
	})
}

// Image returns a stored image.
func (db *DB) Image(ctx context.Context, id string) (*images.Image, error) {
	img := &images.Image{ID: id}
	err := db.reader().QueryRowContext(ctx, "SELECT content_type, data, created_at FROM images WHERE id = ?", id).
		Scan(&img.ContentType, &img.Data, &img.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, images.NotFound(id)
	}
	return img, err
}

// DeleteImage removes an image; an unknown one is no error.
func (db *DB) DeleteImage(ctx context.Context, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := db.in(tx).ExecContext(ctx, "DELETE FROM images WHERE id = ?", id)
		return err
	})
}
