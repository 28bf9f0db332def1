package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Dispatcher sends due deliveries, one process or several on one
// database (each claims under a lease).
type Dispatcher struct {
	Service *Service
	Log     *slog.Logger
	// Poll is how often due deliveries are looked for without a Wake.
	Poll time.Duration
	// Timeout bounds one attempt (Svix: 15 s).
	Timeout time.Duration
	Workers int
	Now     func() time.Time
	// Client sends; NewDispatcher's refuses private addresses at dial
	// time unless the service allows them.
	Client *http.Client

	wakeOnce sync.Once
	wake     chan struct{}
}

// NewDispatcher returns a Dispatcher with Svix's time-out.
func NewDispatcher(s *Service, log *slog.Logger) *Dispatcher {
	d := &Dispatcher{Service: s, Log: log, Poll: time.Second, Timeout: 15 * time.Second, Workers: 4, Now: time.Now}
	d.Client = SafeClient(d.Timeout, s.AllowPrivate)
	return d
}

// SafeClient returns an HTTP client for addresses a user chose: it
// refuses private addresses at dial time unless allowPrivate says so,
// follows no redirects, and gives up after timeout.
func SafeClient(timeout time.Duration, allowPrivate func(context.Context) bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		// The address is checked as connected, after any DNS answer: a
		// name that resolved to a public address at save time cannot
		// be pointed inward later.
		if allowPrivate != nil && allowPrivate(context.Background()) {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !Public(ap.Addr()) {
			return errors.New("address resolves to a private address")
		}
		return nil
	}}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil,
		MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Wake tells the dispatcher deliveries were queued; it never blocks.
func (d *Dispatcher) Wake() {
	d.wakeOnce.Do(func() { d.wake = make(chan struct{}, 1) })
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends deliveries until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) {
	d.wakeOnce.Do(func() { d.wake = make(chan struct{}, 1) })
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		full, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("webhooks: claiming deliveries failed", "err", err)
		}
		if full && err == nil {
			continue
		}
		t.Reset(d.Poll)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// RunOnce sends one batch of due deliveries.
func (d *Dispatcher) RunOnce(ctx context.Context) (bool, error) {
	now := d.Now()
	batch, err := d.Service.Store.ClaimDeliveries(ctx, now.UnixMilli(), now.Add(d.Timeout+30*time.Second).UnixMilli(), d.Workers)
	if err != nil {
		return false, err
	}
	work := context.WithoutCancel(ctx)
	// Each endpoint is read (and its secrets opened) once per batch, not
	// once per delivery; the deliveries only read it.
	eps := map[string]*Endpoint{}
	var wg sync.WaitGroup
	for _, del := range batch {
		ep, ok := eps[del.EndpointID]
		if !ok {
			if ep, err = d.Service.Get(work, del.EndpointID); err != nil {
				d.Log.Error("webhooks: loading an endpoint failed", "endpoint", del.EndpointID, "err", err)
				continue // the lease runs out; tried again
			}
			eps[del.EndpointID] = ep
		}
		wg.Add(1)
		go func() { defer wg.Done(); d.deliver(work, ep, del) }()
	}
	wg.Wait()
	return len(batch) == d.Workers, nil
}

// deliver makes one attempt and records it, disabling an endpoint that
// has failed everything for FailingFor.
func (d *Dispatcher) deliver(ctx context.Context, ep *Endpoint, del *Delivery) {
	now := d.Now()
	if ep.Disabled {
		// Nothing goes to a disabled endpoint; replay_failed sends it
		// again once the endpoint is enabled.
		del.Status, del.LastStatus, del.LastResponse, del.UpdatedAt = Failed, 0, "endpoint disabled", now.UnixMilli()
		if err := d.Service.Store.SettleDelivery(ctx, del); err != nil {
			d.Log.Error("webhooks: recording an attempt failed", "delivery", del.ID, "err", err)
		}
		return
	}
	status, excerpt, sendErr := d.send(ctx, ep, del, now)
	del.LastStatus, del.LastResponse, del.UpdatedAt = status, excerpt, d.Now().UnixMilli()
	ok := sendErr == nil && status >= 200 && status < 300
	if ok {
		del.Status = Succeeded
	} else if next, more := Next(del.Attempts, d.Now()); more {
		del.NextAttemptAt = next.UnixMilli()
	} else {
		del.Status = Failed
	}
	if ok != (ep.FailingSince == nil) || (!ok && now.Sub(time.UnixMilli(*ep.FailingSince)) >= FailingFor) {
		d.recordHealth(ctx, ep.ID, ok, now)
	}
	if err := d.Service.Store.SettleDelivery(ctx, del); err != nil {
		d.Log.Error("webhooks: recording an attempt failed", "delivery", del.ID, "err", err)
	}
}

// recordHealth notes a success (no longer failing) or a failure (failing
// since now; disabled once failing for FailingFor) on the stored
// endpoint.
func (d *Dispatcher) recordHealth(ctx context.Context, epID string, ok bool, now time.Time) {
	err := d.Service.Store.UpdateEndpointState(ctx, epID, func(ep *Endpoint) {
		switch {
		case ok:
			ep.FailingSince = nil
		case ep.FailingSince == nil:
			ms := now.UnixMilli()
			ep.FailingSince = &ms
		case !ep.Disabled && now.Sub(time.UnixMilli(*ep.FailingSince)) >= FailingFor:
			ep.Disabled, ep.DisabledReason = true, "failing"
			d.Log.Warn("webhooks: endpoint disabled after failing for 5 days", "endpoint", ep.ID)
		}
	})
	if err != nil {
		d.Log.Error("webhooks: recording an endpoint's state failed", "endpoint", epID, "err", err)
	}
}

// send posts the event, signed with the current secret and, during a
// rotation, the previous one.
func (d *Dispatcher) send(ctx context.Context, ep *Endpoint, del *Delivery, now time.Time) (int, string, error) {
	// Receivers check svix-timestamp against their own clocks (Svix
	// allows 5 minutes): it is the wall clock, whatever clock schedules.
	ts := time.Now().Unix()
	sig, err := Sign(ep.Secret, del.EventID, ts, del.Payload)
	if err != nil {
		return 0, "bad secret", err
	}
	if ep.OldSecret != "" && now.UnixMilli() < ep.OldSecretUntil {
		if old, err := Sign(ep.OldSecret, del.EventID, ts, del.Payload); err == nil {
			sig += " " + old
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(del.Payload))
	if err != nil {
		return 0, err.Error(), err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Concierge-Webhooks/1")
	req.Header.Set("svix-id", del.EventID)
	req.Header.Set("svix-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("svix-signature", sig)
	res, err := d.Client.Do(req)
	if err != nil {
		return 0, excerptOf(err.Error()), err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	return res.StatusCode, excerptOf(string(body)), nil
}

func excerptOf(s string) string {
	if len(s) > 1024 {
		s = s[:1024]
	}
	return s
}
