package backendapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
	"github.com/conciergehq/concierge/internal/webhook"
)

// BenchmarkWebhookDeliveries: how many signed deliveries one process's
// dispatcher makes per second to a receiver that answers 200 at once:
// claim under a lease, sign, POST over keep-alive, record. b.N events
// are queued first, then the clock runs until every one succeeded.
//
//	go test -run XXX -bench WebhookDeliveries -benchtime 5000x ./internal/backendapi/
func BenchmarkWebhookDeliveries(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(engine, func(b *testing.B) { benchDeliveries(b, engine) })
	}
}

func benchDeliveries(b *testing.B, engine string) {
	{
		var got atomic.Int64
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			got.Add(1)
		}))
		defer rcv.Close()
		e := newEnv(b, engine, withSettings(map[string]string{instance.WebhookAllowPrivate: "true"}), withoutDispatcher())
		ctx := context.Background()
		url := rcv.URL + "/hook"
		ep, err := e.app.API.Webhooks.Create(ctx, webhook.Params{URL: &url})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if _, err := e.app.API.Webhooks.Test(ctx, ep.ID); err != nil {
				b.Fatal(err)
			}
		}
		d := e.app.Webhooks
		d.Workers = 16
		b.ResetTimer()
		start := time.Now()
		for got.Load() < int64(b.N) {
			if _, err := d.RunOnce(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	}
}
