package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// TestWebhookEndpoints: an operator adds an endpoint (a private address
// refused until allowed), sees its secret, sends a test event, rotates
// the secret, disables and deletes it.
func TestWebhookEndpoints(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		c := e.client()
		post := c.operator("op@example.com")
		if st, body := post("/dashboard/webhooks", url.Values{"url": {"http://127.0.0.1:9/hook"}}); st != 422 || !strings.Contains(body, "private") {
			t.Fatalf("private endpoint: %d", st)
		}
		if err := e.app.Settings.Set(ctx, instance.WebhookAllowPrivate, "true"); err != nil {
			t.Fatal(err)
		}
		if st, _ := post("/dashboard/webhooks", url.Values{"url": {"http://127.0.0.1:9/hook"}, "description": {"sync"},
			"events": {"user.created", "user.deleted"}}); st != 303 {
			t.Fatalf("add: %d", st)
		}
		eps, err := e.app.API.Webhooks.List(ctx)
		if err != nil || len(eps) != 1 || len(eps[0].Events) != 2 {
			t.Fatalf("endpoints: %v %+v", err, eps)
		}
		id := eps[0].ID
		full, _ := e.app.API.Webhooks.Get(ctx, id)
		_, body, _ := c.get("/dashboard/webhooks")
		// (html/template writes + in attributes as &#43;.)
		if !strings.Contains(body, strings.ReplaceAll(full.Secret, "+", "&#43;")) || !strings.Contains(body, "user.created, user.deleted") {
			t.Fatal("the page lacks the endpoint or its secret")
		}
		for _, action := range []string{"test", "rotate", "disable"} {
			if st, _ := post("/dashboard/webhooks/"+id+"/"+action, url.Values{}); st != 303 {
				t.Fatalf("%s: %d", action, st)
			}
		}
		after, _ := e.app.API.Webhooks.Get(ctx, id)
		if after.Secret == full.Secret || after.OldSecret != full.Secret || !after.Disabled {
			t.Fatalf("after rotate and disable: %+v", after)
		}
		ds, _ := e.app.API.Webhooks.Deliveries(ctx, id, 10)
		if len(ds) != 1 || ds[0].Type != "webhook.test" {
			t.Fatalf("test event: %+v", ds)
		}
		if st, _ := post("/dashboard/webhook-deliveries/"+ds[0].ID+"/replay", url.Values{}); st != 303 {
			t.Fatalf("replay: %d", st)
		}
		if st, _ := post("/dashboard/webhooks/"+id+"/delete", url.Values{}); st != 303 {
			t.Fatalf("delete: %d", st)
		}
		if eps, _ = e.app.API.Webhooks.List(ctx); len(eps) != 0 {
			t.Fatal("the endpoint survived")
		}
	})
}
