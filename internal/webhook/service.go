package webhook

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/id"
	"github.com/conciergehq/concierge/internal/seal"
)

// Service manages endpoints: their set-up, secrets and deliveries.
type Service struct {
	Store Store
	// Key seals the endpoints' secrets at rest.
	Key []byte
	// AllowPrivate accepts endpoints on loopback and private networks
	// (development).
	AllowPrivate func(context.Context) bool
	InstanceID   string
	Wake         func()
	Now          func() time.Time
}

// Params are the fields of create and update; nil is absent.
type Params struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Events      *[]string `json:"events"`
	Disabled    *bool     `json:"disabled"`
}

// RotationOverlap is how long a replaced secret keeps signing beside the
// new one.
const RotationOverlap = 24 * time.Hour

func (s *Service) sealSecret(secret string) (string, error) {
	b, err := seal.Seal(s.Key, []byte(secret), nil)
	return base64.RawStdEncoding.EncodeToString(b), err
}

func (s *Service) openSecret(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", err
	}
	plain, err := seal.Open(s.Key, b, nil)
	return string(plain), err
}

// open returns ep with its secrets readable.
func (s *Service) open(ep *Endpoint) (*Endpoint, error) {
	var err error
	if ep.Secret, err = s.openSecret(ep.Secret); err != nil {
		return nil, err
	}
	if ep.OldSecret, err = s.openSecret(ep.OldSecret); err != nil {
		return nil, err
	}
	return ep, nil
}

// save stores ep with its secrets sealed: a new one (create), or over
// the one that exists.
func (s *Service) save(ctx context.Context, ep *Endpoint, create bool) error {
	out := *ep
	var err error
	if out.Secret, err = s.sealSecret(ep.Secret); err != nil {
		return err
	}
	if ep.OldSecret != "" {
		if out.OldSecret, err = s.sealSecret(ep.OldSecret); err != nil {
			return err
		}
	}
	return s.Store.SaveEndpoint(ctx, &out, create)
}

func (s *Service) apply(ctx context.Context, ep *Endpoint, p Params) error {
	if p.URL != nil {
		if err := CheckURL(ctx, strings.TrimSpace(*p.URL), s.AllowPrivate != nil && s.AllowPrivate(ctx)); err != nil {
			return err
		}
		ep.URL = strings.TrimSpace(*p.URL)
	}
	if p.Description != nil {
		if len(*p.Description) > 500 {
			return errs.ParamFormat("description", "description must be at most 500 characters.")
		}
		ep.Description = *p.Description
	}
	if p.Events != nil {
		for _, t := range *p.Events {
			if !slices.Contains(Types, t) {
				return errs.ParamValue("events", t)
			}
		}
		ep.Events = slices.Clone(*p.Events)
	}
	if p.Disabled != nil {
		ep.Disabled = *p.Disabled
		if !ep.Disabled {
			ep.DisabledReason, ep.FailingSince = "", nil
		}
	}
	return nil
}

// Create makes an endpoint with a new secret.
func (s *Service) Create(ctx context.Context, p Params) (*Endpoint, error) {
	if p.URL == nil {
		return nil, errs.ParamMissing("url")
	}
	ms := s.Now().UnixMilli()
	ep := &Endpoint{ID: id.New(id.WebhookEndpoint), Events: []string{}, Secret: NewSecret(), CreatedAt: ms, UpdatedAt: ms}
	if err := s.apply(ctx, ep, p); err != nil {
		return nil, err
	}
	return ep, s.save(ctx, ep, true)
}

// Get returns an endpoint with its secrets.
func (s *Service) Get(ctx context.Context, epID string) (*Endpoint, error) {
	ep, err := s.Store.Endpoint(ctx, epID)
	if err != nil {
		return nil, err
	}
	return s.open(ep)
}

// List returns every endpoint (secrets not opened).
func (s *Service) List(ctx context.Context) ([]*Endpoint, error) { return s.Store.Endpoints(ctx) }

// Update changes an endpoint.
func (s *Service) Update(ctx context.Context, epID string, p Params) (*Endpoint, error) {
	ep, err := s.Get(ctx, epID)
	if err != nil {
		return nil, err
	}
	if err := s.apply(ctx, ep, p); err != nil {
		return nil, err
	}
	ep.UpdatedAt = s.Now().UnixMilli()
	return ep, s.save(ctx, ep, false)
}

// Delete removes an endpoint and its deliveries.
func (s *Service) Delete(ctx context.Context, epID string) error {
	return s.Store.DeleteEndpoint(ctx, epID)
}

// Rotate gives an endpoint a new secret; the old one keeps signing
// beside it for RotationOverlap.
func (s *Service) Rotate(ctx context.Context, epID string) (*Endpoint, error) {
	ep, err := s.Get(ctx, epID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	ep.OldSecret, ep.OldSecretUntil, ep.Secret = ep.Secret, now.Add(RotationOverlap).UnixMilli(), NewSecret()
	ep.UpdatedAt = now.UnixMilli()
	return ep, s.save(ctx, ep, false)
}

// Test queues a test event (Svix's "test" type) for one endpoint.
func (s *Service) Test(ctx context.Context, epID string) (*Delivery, error) {
	if _, err := s.Store.Endpoint(ctx, epID); err != nil {
		return nil, err
	}
	now := s.Now()
	payload, err := NewPayload("webhook.test", s.InstanceID, map[string]any{"object": "test", "message": "A test event from Concierge."}, now)
	if err != nil {
		return nil, err
	}
	return s.queue(ctx, &Delivery{EventID: id.New(id.WebhookEvent), EndpointID: epID, Type: "webhook.test", Payload: payload}, now)
}

// Replay queues a delivery's event again, under the same event ID so
// receivers can drop a duplicate.
func (s *Service) Replay(ctx context.Context, deliveryID string) (*Delivery, error) {
	d, err := s.Store.Delivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	return s.queue(ctx, &Delivery{EventID: d.EventID, EndpointID: d.EndpointID, Type: d.Type, Payload: d.Payload, ReplayOf: d.ID}, s.Now())
}

// ReplayFailed queues again every delivery to an endpoint that failed
// since (Unix ms), and returns how many.
func (s *Service) ReplayFailed(ctx context.Context, epID string, since int64) (int, error) {
	if _, err := s.Store.Endpoint(ctx, epID); err != nil {
		return 0, err
	}
	failed, err := s.Store.FailedDeliveries(ctx, epID, since)
	if err != nil {
		return 0, err
	}
	now := s.Now()
	for _, d := range failed {
		if _, err := s.queue(ctx, &Delivery{EventID: d.EventID, EndpointID: d.EndpointID, Type: d.Type, Payload: d.Payload,
			ReplayOf: d.ID}, now); err != nil {
			return 0, err
		}
	}
	return len(failed), nil
}

func (s *Service) queue(ctx context.Context, d *Delivery, now time.Time) (*Delivery, error) {
	ms := now.UnixMilli()
	d.ID, d.Status, d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = id.New(id.WebhookDelivery), Pending, ms, ms, ms
	if err := s.Store.QueueDelivery(ctx, d); err != nil {
		return nil, err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return d, nil
}

// Deliveries lists an endpoint's latest deliveries.
func (s *Service) Deliveries(ctx context.Context, epID string, limit int) ([]*Delivery, error) {
	if _, err := s.Store.Endpoint(ctx, epID); err != nil {
		return nil, err
	}
	return s.Store.Deliveries(ctx, epID, limit)
}
