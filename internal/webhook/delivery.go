package webhook

import (
	"context"
	"time"
)

// Delivery statuses.
const (
	Pending   = "pending"
	Succeeded = "succeeded"
	Failed    = "failed"
)

// Delivery is one event for one endpoint, and its attempts.
type Delivery struct {
	ID            string `json:"id"`
	EventID       string `json:"event_id"`
	EndpointID    string `json:"endpoint_id"`
	Type          string `json:"type"`
	Payload       []byte `json:"-"`
	Status        string `json:"status"`
	Attempts      int    `json:"attempts"`
	NextAttemptAt int64  `json:"next_attempt_at"`
	LastStatus    int    `json:"last_status_code"`
	// LastResponse is the start of the endpoint's last answer (or the
	// error that stopped the attempt).
	LastResponse string `json:"last_response"`
	CreatedAt    int64  `json:"created_at"`
	UpdatedAt    int64  `json:"updated_at"`
	// ReplayOf is, on a delivery being queued as a replay, the one it
	// sends again (for the audit log; not stored).
	ReplayOf string `json:"-"`
}

// Store keeps endpoints and deliveries.
type Store interface {
	// SaveEndpoint creates (create) or replaces an existing endpoint.
	SaveEndpoint(ctx context.Context, ep *Endpoint, create bool) error
	// UpdateEndpointState applies fn to the stored endpoint's state.
	UpdateEndpointState(ctx context.Context, id string, fn func(*Endpoint)) error
	Endpoints(ctx context.Context) ([]*Endpoint, error)
	Endpoint(ctx context.Context, id string) (*Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error
	QueueDelivery(ctx context.Context, d *Delivery) error
	ClaimDeliveries(ctx context.Context, now, leaseUntil int64, limit int) ([]*Delivery, error)
	SettleDelivery(ctx context.Context, d *Delivery) error
	Deliveries(ctx context.Context, endpointID string, limit int) ([]*Delivery, error)
	Delivery(ctx context.Context, id string) (*Delivery, error)
	// FailedDeliveries lists an endpoint's failed deliveries since (ms).
	FailedDeliveries(ctx context.Context, endpointID string, since int64) ([]*Delivery, error)
}

// Next is when a delivery that failed its n-th attempt is tried again,
// and false when Svix's schedule is spent.
func Next(n int, now time.Time) (time.Time, bool) {
	if n >= len(Schedule) {
		return time.Time{}, false
	}
	return now.Add(Schedule[n]), true
}
