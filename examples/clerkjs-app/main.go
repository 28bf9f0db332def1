// Command clerkjs-app is the five-minute quick start: a page that mounts
// Clerk's prebuilt SignIn and UserButton components against Concierge
// (proxyUrl), and a Go backend whose /api/me verifies the session token
// (the __session cookie clerk-js writes) with Concierge's Go SDK.
//
//	e2e/clerkjs/fetch.sh                          # Clerk's browser bundles, pinned
//	CONCIERGE_ALLOWED_ORIGINS=http://127.0.0.1:3000 go run ./cmd/concierge &
//	CONCIERGE_SECRET_KEY=sk_test_… go run ./examples/clerkjs-app
//	open http://127.0.0.1:3000
//
// The page and Concierge must be on the same site (here 127.0.0.1, on two
// ports) for the __client cookie: see the README's front-end set-up.
package main

import (
	"encoding/json"
	"flag"
	"html/template"
	"log"
	"net/http"
	"os"

	"github.com/conciergehq/concierge/sdk"
)

var page = template.Must(template.New("").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Concierge quick start</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}header{display:flex;justify-content:space-between;align-items:center}</style>
</head><body>
<header><h1>Quick start</h1><div id="user-button"></div></header>
<div id="sign-in"></div>
<pre id="me"></pre>
<script src="/clerk/clerk.browser.js" data-clerk-publishable-key="{{.Key}}" data-clerk-proxy-url="{{.URL}}"></script>
<script src="/ui/ui.browser.js"></script>
<script>
window.addEventListener('load', async () => {
  await Clerk.load({ ui: { ClerkUI: window.__internal_ClerkUICtor }, telemetry: false });
  const show = async () => {
    if (Clerk.user) {
      Clerk.unmountSignIn(document.getElementById('sign-in'));
      Clerk.mountUserButton(document.getElementById('user-button'));
      // The backend reads the __session cookie clerk-js keeps fresh.
      await Clerk.session.getToken();
      const res = await fetch('/api/me');
      document.getElementById('me').textContent = res.status + ' ' + await res.text();
    } else {
      document.getElementById('me').textContent = '';
      Clerk.mountSignIn(document.getElementById('sign-in'), { routing: 'hash' });
    }
  };
  Clerk.addListener(() => show());
  show();
});
</script>
</body></html>`))

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "address to listen on")
	bundles := flag.String("clerk", "e2e/clerkjs/vendor", "folder with Clerk's browser bundles (e2e/clerkjs/fetch.sh)")
	flag.Parse()
	url := os.Getenv("CONCIERGE_URL")
	if url == "" {
		url = "http://127.0.0.1:8080"
	}
	c, err := sdk.New(sdk.Config{BaseURL: url, SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	if err != nil {
		log.Fatal(err)
	}
	key := os.Getenv("CONCIERGE_PUBLISHABLE_KEY")
	if key == "" {
		key = sdk.PublishableKey(url)
	}

	mux := http.NewServeMux()
	mux.Handle("/clerk/", http.StripPrefix("/clerk/", http.FileServer(http.Dir(*bundles+"/clerk-clerk-js-6.40.0/dist"))))
	mux.Handle("/ui/", http.StripPrefix("/ui/", http.FileServer(http.Dir(*bundles+"/clerk-ui-1.36.0/dist"))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page.Execute(w, map[string]string{"Key": key, "URL": url})
	})
	// /api/me answers only a signed-in browser: the middleware verifies the
	// __session cookie with Concierge's keys, without calling it.
	mux.Handle("GET /api/me", c.RequireSession(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := sdk.SessionClaims(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"user_id": claims.UserID, "session_id": claims.SessionID})
	})))
	log.Printf("quick start on http://%s (Concierge at %s)", *addr, url)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
