package delivery

import "context"

// Switch sends through whichever transport Current picks at that moment:
// the transports are instance settings, which the dashboard may change
// while the server runs.
type Switch struct {
	Current func(ctx context.Context) Transport
}

// Send implements Transport.
func (s *Switch) Send(ctx context.Context, m *Message) error { return s.Current(ctx).Send(ctx, m) }

// Name implements Transport: the name of the transport in use now.
func (s *Switch) Name() string { return s.Current(context.Background()).Name() }
