// Package blocklist holds the instance's blocklist: email addresses,
// phone numbers, web3 wallets and wildcard email domains that may
// neither sign up nor sign in.
package blocklist

import (
	"context"
	"time"

	"github.com/conciergehq/concierge/internal/allowlist"
	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
)

// Identifier is one blocklist entry. Times are Unix milliseconds.
type Identifier struct {
	ID         string
	Identifier string
	Type       string
	CreatedAt  int64
	UpdatedAt  int64
}

// Store persists entries; the identifier text is unique, and a duplicate
// is reported as 400 duplicate_record.
type Store interface {
	CreateBlocklistIdentifier(ctx context.Context, i *Identifier) error
	// BlocklistIdentifiers returns a page, newest first, and the total.
	BlocklistIdentifiers(ctx context.Context, limit, offset int) ([]Identifier, int64, error)
	DeleteBlocklistIdentifier(ctx context.Context, id string) error
}

// Service applies the blocklist rules on a Store.
type Service struct {
	Store Store
	Now   func() time.Time
}

// Create adds an entry: the same identifiers the allowlist takes.
func (s *Service) Create(ctx context.Context, raw string) (*Identifier, error) {
	value, typ, err := allowlist.Normalize(raw)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	ms := now.UnixMilli()
	i := &Identifier{ID: id.NewAt(id.Blocklist, now), Identifier: value, Type: typ, CreatedAt: ms, UpdatedAt: ms}
	if err := s.Store.CreateBlocklistIdentifier(ctx, i); err != nil {
		return nil, err
	}
	return i, nil
}

// List returns a page of entries, newest first, and the total count.
func (s *Service) List(ctx context.Context, limit, offset int) ([]Identifier, int64, error) {
	return s.Store.BlocklistIdentifiers(ctx, limit, offset)
}

// Delete removes an entry.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.Store.DeleteBlocklistIdentifier(ctx, id)
}

// Duplicate is the error for an identifier already on the list.
func Duplicate(value string) error {
	return errs.New(errs.BadRequest, "duplicate_record", "duplicate blocklist identifier",
		"the identifier "+value+" already exists")
}

// NotFound is the error for an unknown entry ID.
func NotFound(id string) error {
	return errs.ResourceNotFound("Identifier not found", "No identifier was found with id "+id)
}
