package delivery

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Transport sends one message. An error marked Permanent fails the
// message; any other error is retried.
type Transport interface {
	Send(ctx context.Context, m *Message) error
	// Name is recorded as the message's transport, e.g. "smtp".
	Name() string
}

// Dispatcher sends due messages from the Store. Several dispatchers (one
// per process) may share a database: each claims messages under a lease,
// so a message is sent by one of them at a time, and a message whose
// dispatcher died is claimed again once its lease runs out.
type Dispatcher struct {
	Store Store
	Email Transport
	SMS   Transport
	Log   *slog.Logger

	// MaxAttempts bounds the tries of one message before it fails.
	MaxAttempts int
	// BaseDelay is the wait after the first failure; it doubles with
	// each failure up to MaxDelay, with ±20% jitter so that messages
	// that failed together do not retry in lockstep.
	BaseDelay, MaxDelay time.Duration
	// Poll is how often the store is checked for due messages when no
	// Wake came: for retries and for messages other processes queued.
	Poll time.Duration
	// SendTimeout bounds one attempt; the lease outlasts it.
	SendTimeout time.Duration
	// Workers is how many messages are sent at once.
	Workers int
	Now     func() time.Time

	wakeOnce sync.Once
	wake     chan struct{}

	// Counts of this process's attempts, for /metrics.
	sent, retried, failed atomic.Uint64
}

// Attempts counts this process's delivery attempts by outcome: sent,
// failed and retried (to be tried again), and failed for good.
func (d *Dispatcher) Attempts() (sent, retried, failed uint64) {
	return d.sent.Load(), d.retried.Load(), d.failed.Load()
}

// NewDispatcher returns a Dispatcher with production defaults: 12
// attempts over about three and a half hours.
func NewDispatcher(store Store, email, sms Transport, log *slog.Logger) *Dispatcher {
	return &Dispatcher{Store: store, Email: email, SMS: sms, Log: log,
		MaxAttempts: 12, BaseDelay: 10 * time.Second, MaxDelay: time.Hour,
		Poll: time.Second, SendTimeout: 30 * time.Second, Workers: 4, Now: time.Now}
}

func (d *Dispatcher) wakeChan() chan struct{} {
	d.wakeOnce.Do(func() { d.wake = make(chan struct{}, 1) })
	return d.wake
}

// Wake tells the dispatcher that messages were queued, so it need not
// wait for its next poll. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wakeChan() <- struct{}{}:
	default:
	}
}

// Run sends messages until ctx is done. Sends in flight when ctx ends are
// finished and recorded (each is bounded by SendTimeout).
func (d *Dispatcher) Run(ctx context.Context) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		full, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("outbox: claiming messages failed", "err", err)
		}
		if full && err == nil {
			continue // more may be due
		}
		poll.Reset(d.Poll)
		select {
		case <-ctx.Done():
			return
		case <-d.wakeChan():
		case <-poll.C:
		}
	}
}

// RunOnce claims one batch of due messages, sends them and records the
// outcomes. full reports whether the batch was full.
func (d *Dispatcher) RunOnce(ctx context.Context) (full bool, err error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	now := d.Now()
	// One message per worker: all are sent at once, so each lease needs
	// to outlast one send only.
	batch := d.Workers
	msgs, err := d.Store.ClaimMessages(ctx, now.UnixMilli(), now.Add(d.SendTimeout+30*time.Second).UnixMilli(), batch)
	if err != nil {
		return false, err
	}
	// Claimed messages are sent even if ctx ends meanwhile: their
	// leases are taken, and giving up now would only delay them.
	work := context.WithoutCancel(ctx)
	sem := make(chan struct{}, d.Workers)
	var wg sync.WaitGroup
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.deliver(work, m)
		}()
	}
	wg.Wait()
	return len(msgs) == batch, nil
}

func (d *Dispatcher) transport(m *Message) Transport {
	if m.Channel == SMS {
		return d.SMS
	}
	return d.Email
}

// deliver makes one attempt at m and records it.
func (d *Dispatcher) deliver(ctx context.Context, m *Message) {
	t := d.transport(m)
	sendCtx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	err := t.Send(sendCtx, m)
	cancel()

	now := d.Now()
	name := t.Name()
	m.Transport = &name
	log := d.Log.With("message_id", m.ID, "channel", m.Channel, "transport", name, "attempt", m.Attempts)
	switch {
	case err == nil:
		m.Status, m.LastError = Sent, nil
		sent := now.UnixMilli()
		m.SentAt = &sent
		d.sent.Add(1)
		log.Debug("outbox: sent")
	case IsPermanent(err) || m.Attempts >= d.MaxAttempts:
		msg := oneLine(err)
		m.Status, m.LastError = Failed, &msg
		d.failed.Add(1)
		log.Error("outbox: message failed, not retrying", "err", msg)
	default:
		msg := oneLine(err)
		m.LastError = &msg
		m.NextAttemptAt = now.Add(d.backoff(m.Attempts)).UnixMilli()
		d.retried.Add(1)
		log.Warn("outbox: attempt failed, will retry", "err", msg, "retry_at", time.UnixMilli(m.NextAttemptAt).UTC())
	}
	m.UpdatedAt = now.UnixMilli()
	settleCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.Store.SettleMessage(settleCtx, m); err != nil {
		// The lease runs out and the message is tried again: at least once.
		log.Error("outbox: recording the attempt failed", "err", err)
	}
}

// backoff is the wait after the n-th failed attempt.
func (d *Dispatcher) backoff(n int) time.Duration {
	delay := d.BaseDelay
	for i := 1; i < n && delay < d.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, d.MaxDelay)
	jitter := time.Duration(float64(delay) * (rand.Float64()*0.4 - 0.2))
	return delay + jitter
}
