package backendapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/conciergehq/concierge/internal/app"
	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

// receiver is testdata/node/webhooks.mjs, verifying with svix and
// @clerk/backend.
type receiver struct {
	t   *testing.T
	url string
}

func startReceiver(t *testing.T) *receiver {
	t.Helper()
	dir := filepath.Join("testdata", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "svix")); err != nil {
		if os.Getenv("CONCIERGE_TEST_NODE") != "" {
			t.Fatal("CONCIERGE_TEST_NODE is set but svix is missing (npm ci in testdata/node)")
		}
		t.Skip("node packages not installed (npm ci in testdata/node)")
	}
	port := strings.TrimPrefix(freePort(t), "127.0.0.1:")
	cmd := exec.Command("node", "webhooks.mjs", port)
	cmd.Dir = dir
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening") {
		t.Fatalf("receiver: %q %v", line, err)
	}
	return &receiver{t: t, url: "http://127.0.0.1:" + port}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (r *receiver) post(path, body string) {
	r.t.Helper()
	res, err := http.Post(r.url+path, "text/plain", strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
}

func (r *receiver) events() []map[string]any {
	r.t.Helper()
	res, err := http.Get(r.url + "/events")
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var out []map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return out
}

// wait waits until the receiver has n deliveries.
func (r *receiver) wait(n int) []map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ev := r.events(); len(ev) >= n {
			return ev
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d deliveries, want %d: %v", len(r.events()), n, r.events())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clock is the dispatcher's injected time.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// TestWebhooks: user events reach an endpoint signed as Svix signs,
// verified by svix and @clerk/backend; a change that fails emits none;
// a receiver that is down is retried on Svix's schedule; replays, test
// events, secret rotation, auto-disable after five days of failures,
// and endpoint URLs into private networks refused.
func TestWebhooks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		rcv := startReceiver(t)
		clk := &clock{}
		e := newEnv(t, engine, withApp(func(a *app.App) { a.Webhooks.Now = clk.now }))
		ctx := context.Background()

		// Private addresses are refused unless the instance allows them.
		for _, u := range []string{rcv.url + "/hook", "http://169.254.169.254/latest", "http://10.0.0.1/", "ftp://example.com/", "http://u:p@example.com/"} {
			if st, body := e.do("POST", "/v1/webhook_endpoints", map[string]any{"url": u}); st != 422 {
				t.Fatalf("%s: %d %s", u, st, body)
			}
		}
		if err := e.app.Settings.Set(ctx, instance.WebhookAllowPrivate, "true"); err != nil {
			t.Fatal(err)
		}
		st, body := e.do("POST", "/v1/webhook_endpoints", map[string]any{"url": rcv.url + "/hook", "description": "sync",
			"events": []string{"user.created", "user.updated", "user.deleted"}})
		var ep struct{ ID, Secret string }
		if st != 200 || json.Unmarshal(body, &ep) != nil || !strings.HasPrefix(ep.Secret, "whsec_") {
			t.Fatalf("create endpoint: %d %s", st, body)
		}
		if st, _ := e.do("POST", "/v1/webhook_endpoints", map[string]any{"url": rcv.url, "events": []string{"user.exploded"}}); st != 422 {
			t.Fatalf("unknown event type: %d", st)
		}
		rcv.post("/secret", ep.Secret)

		// user.created, verified by both libraries.
		u, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		ev := rcv.wait(1)[0]
		data, _ := ev["data"].(map[string]any)
		if ev["type"] != "user.created" || ev["bySvix"] != true || ev["byClerk"] != true || data["id"] != u.ID ||
			ev["object"] != "event" || !strings.HasPrefix(ev["instance_id"].(string), "ins_") || !strings.HasPrefix(ev["id"].(string), "msg_") {
			t.Fatalf("user.created: %v", ev)
		}
		// A change that fails emits nothing.
		if _, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: ptr(pw)}); err == nil {
			t.Fatal("duplicate accepted")
		}

		// Down for two attempts: retried at 5 s and 5 min (the clock is
		// moved, not waited).
		rcv.post("/fail", "2")
		if _, err := e.users.Update(ctx, u.ID, &clerkuser.UpdateParams{FirstName: ptr("Ada")}); err != nil {
			t.Fatal(err)
		}
		rcv.wait(2)
		clk.add(6 * time.Second)
		rcv.wait(3)
		clk.add(6 * time.Minute)
		got := rcv.wait(4)
		if got[3]["type"] != "user.updated" || got[3]["id"] != got[1]["id"] || got[3]["refused"] != false {
			t.Fatalf("retries: %v", got)
		}
		if len(got) != 4 {
			t.Fatalf("the failed change was delivered: %v", got)
		}
		var list struct {
			Data []struct {
				ID, Status, Type string
				Attempts         int
				LastStatusCode   int `json:"last_status_code"`
			}
		}
		// The receiver has the delivery before the dispatcher records its
		// outcome: wait for the record.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			st, body = e.do("GET", "/v1/webhook_endpoints/"+ep.ID+"/deliveries", nil)
			json.Unmarshal(body, &list)
			if st == 200 && len(list.Data) == 2 && list.Data[0].Status == "succeeded" || time.Now().After(deadline) {
				break
			}
		}
		if st != 200 || len(list.Data) != 2 || list.Data[0].Status != "succeeded" ||
			list.Data[0].Attempts != 3 || list.Data[0].LastStatusCode != 200 {
			t.Fatalf("deliveries: %d %s", st, body)
		}

		// Replay keeps the event ID; a test event.
		if st, body := e.do("POST", "/v1/webhook_deliveries/"+list.Data[1].ID+"/replay", nil); st != 200 {
			t.Fatalf("replay: %d %s", st, body)
		}
		if got = rcv.wait(5); got[4]["id"] != got[0]["id"] {
			t.Fatalf("replay id: %v", got[4])
		}
		e.do("POST", "/v1/webhook_endpoints/"+ep.ID+"/test", nil)
		if got = rcv.wait(6); got[5]["type"] != "webhook.test" {
			t.Fatalf("test event: %v", got[5])
		}

		// Rotation: the new secret verifies, and the old one still does.
		st, body = e.do("POST", "/v1/webhook_endpoints/"+ep.ID+"/rotate_secret", nil)
		var rotated struct{ Secret string }
		if json.Unmarshal(body, &rotated); st != 200 || rotated.Secret == ep.Secret {
			t.Fatalf("rotate: %d %s", st, body)
		}
		e.users.Update(ctx, u.ID, &clerkuser.UpdateParams{LastName: ptr("Lovelace")})
		if got = rcv.wait(7); got[6]["bySvix"] != true {
			t.Fatalf("old secret during the rotation: %v", got[6])
		}
		rcv.post("/secret", rotated.Secret)
		e.users.Update(ctx, u.ID, &clerkuser.UpdateParams{LastName: ptr("King")})
		if got = rcv.wait(8); got[7]["bySvix"] != true || got[7]["byClerk"] != true {
			t.Fatalf("new secret: %v", got[7])
		}

		// user.deleted.
		if _, err := e.users.Delete(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if got = rcv.wait(9); got[8]["type"] != "user.deleted" || got[8]["data"].(map[string]any)["deleted"] != true {
			t.Fatalf("user.deleted: %v", got[8])
		}

		// Failing for five days disables the endpoint.
		rcv.post("/fail", "1000")
		e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"grace@example.com"}, Password: ptr(pw)})
		rcv.wait(10)
		clk.add(5*24*time.Hour + time.Minute)
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, body = e.do("GET", "/v1/webhook_endpoints/"+ep.ID, nil)
			if strings.Contains(string(body), `"disabled":true`) && strings.Contains(string(body), `"disabled_reason":"failing"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not disabled: %d %s", st, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		n := len(rcv.events())
		e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"lin@example.com"}, Password: ptr(pw)})
		time.Sleep(200 * time.Millisecond)
		if len(rcv.events()) != n {
			t.Fatal("a disabled endpoint got an event")
		}
		// The pending retry to a disabled endpoint fails without being
		// sent; enabled again and up, replay_failed sends it.
		clk.add(time.Hour)
		deadline = time.Now().Add(10 * time.Second)
		for {
			_, body = e.do("GET", "/v1/webhook_endpoints/"+ep.ID+"/deliveries", nil)
			if strings.Contains(string(body), "endpoint disabled") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the retry to a disabled endpoint did not fail: %s", body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(rcv.events()) != n {
			t.Fatal("a disabled endpoint got a retry")
		}
		rcv.post("/fail", "0")
		e.do("PATCH", "/v1/webhook_endpoints/"+ep.ID, map[string]any{"disabled": false})
		st, body = e.do("POST", "/v1/webhook_endpoints/"+ep.ID+"/replay_failed", map[string]any{"since": 0})
		if st != 200 || !strings.Contains(string(body), `"queued":1`) {
			t.Fatalf("replay failed: %d %s", st, body)
		}
		if got = rcv.wait(n + 1); got[n]["type"] != "user.created" || got[n]["data"].(map[string]any)["email_addresses"] == nil {
			t.Fatalf("replayed: %v", got[n])
		}
		if st, _ := e.do("POST", "/v1/webhooks/svix", nil); st != 400 {
			t.Fatalf("svix set-up: %d", st)
		}
	})
}

// TestWebhookSessionAndEmailEvents: session.created and session.revoked
// for a session's life, email.created for an email the Backend API
// queues, invitation.created and .revoked (without the invitation's
// link), each only to an endpoint that takes it.
func TestWebhookSessionAndEmailEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		rcv := startReceiver(t)
		e := newEnv(t, engine, withSettings(map[string]string{instance.WebhookAllowPrivate: "true"}), withOrigins(appOrigin))
		ctx := context.Background()
		st, body := e.do("POST", "/v1/webhook_endpoints", map[string]any{"url": rcv.url + "/hook",
			"events": []string{"session.created", "session.revoked", "email.created", "invitation.created", "invitation.revoked",
				"invitation.accepted"}})
		var ep struct{ Secret string }
		if st != 200 || json.Unmarshal(body, &ep) != nil {
			t.Fatalf("create endpoint: %d %s", st, body)
		}
		rcv.post("/secret", ep.Secret)
		u, err := e.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		st, body = e.do("POST", "/v1/sessions", map[string]string{"user_id": u.ID})
		var sess struct{ ID string }
		if st != 200 || json.Unmarshal(body, &sess) != nil {
			t.Fatalf("session: %d %s", st, body)
		}
		e.do("POST", "/v1/sessions/"+sess.ID+"/revoke", nil)
		e.do("POST", "/v1/emails", map[string]string{"from_email_name": "hello", "subject": "Hi", "body": "<p>Hi</p>",
			"email_address_id": u.EmailAddresses[0].ID})
		st, body = e.do("POST", "/v1/invitations", map[string]any{"email_address": "grace@example.com", "notify": false})
		var inv struct{ ID string }
		if st != 200 || json.Unmarshal(body, &inv) != nil {
			t.Fatalf("invitation: %d %s", st, body)
		}
		e.do("POST", "/v1/invitations/"+inv.ID+"/revoke", nil)
		// Order per endpoint is not promised: by type.
		byType := map[string]map[string]any{}
		for _, ev := range rcv.wait(5) {
			if ev["bySvix"] != true || ev["byClerk"] != true {
				t.Fatalf("unverified: %v", ev)
			}
			byType[ev["type"].(string)], _ = ev["data"].(map[string]any)
		}
		if len(byType) != 5 || byType["invitation.created"]["id"] != inv.ID || byType["invitation.revoked"]["status"] != "revoked" ||
			byType["invitation.created"]["url"] != nil || byType["session.created"]["id"] != sess.ID || byType["session.created"]["status"] != "active" ||
			byType["session.revoked"]["status"] != "revoked" || byType["email.created"]["object"] != "email" {
			t.Fatalf("events: %v", byType)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(rcv.events()); n != 5 {
			t.Fatalf("%d events: the user.created the endpoint does not take was sent", n)
		}

		// invitation.accepted, when a sign-up uses the invitation's ticket.
		st, body = e.do("POST", "/v1/invitations", map[string]any{"email_address": "lin@example.com", "notify": false})
		var inv2 struct{ ID, URL string }
		if st != 200 || json.Unmarshal(body, &inv2) != nil {
			t.Fatalf("invitation: %d %s", st, body)
		}
		link, _ := url.Parse(inv2.URL)
		out := e.browser().ok("POST", "/v1/client/sign_ups", url.Values{"strategy": {"ticket"}, "ticket": {link.Query().Get("ticket")},
			"password": {pw}})
		if get(out, "response", "status") != "complete" {
			t.Fatalf("ticket sign-up: %v", out)
		}
		accepted := false
		for _, ev := range rcv.wait(8)[5:] {
			data, _ := ev["data"].(map[string]any)
			accepted = accepted || (ev["type"] == "invitation.accepted" && data["id"] == inv2.ID && data["status"] == "accepted" && ev["bySvix"] == true)
		}
		if !accepted {
			t.Fatalf("no invitation.accepted: %v", rcv.events()[5:])
		}
	})
}

// TestWebhookAcrossRestart: an event committed by a process that stops
// before sending it is delivered by the next one on the same database.
func TestWebhookAcrossRestart(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		rcv := startReceiver(t)
		allow := withSettings(map[string]string{instance.WebhookAllowPrivate: "true"})
		first := newEnv(t, engine, allow, withoutDispatcher())
		ctx := context.Background()
		st, body := first.do("POST", "/v1/webhook_endpoints", map[string]any{"url": rcv.url + "/hook"})
		var ep struct{ Secret string }
		if st != 200 || json.Unmarshal(body, &ep) != nil {
			t.Fatalf("create endpoint: %d %s", st, body)
		}
		rcv.post("/secret", ep.Secret)
		u, err := first.users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: ptr(pw)})
		if err != nil {
			t.Fatal(err)
		}
		first.stop()
		if n := len(rcv.events()); n != 0 {
			t.Fatalf("%d deliveries from a process without a dispatcher", n)
		}
		newEnv(t, engine, allow, withDSN(first.dsn))
		ev := rcv.wait(1)[0]
		if ev["type"] != "user.created" || ev["data"].(map[string]any)["id"] != u.ID || ev["bySvix"] != true {
			t.Fatalf("after the restart: %v", ev)
		}
	})
}
