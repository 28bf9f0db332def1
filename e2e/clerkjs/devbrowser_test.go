package clerkjs_test

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDevelopmentBrowserCrossSite: with a development key whose host ends
// in a Clerk development suffix, clerk-js uses a development browser
// (POST /v1/dev_browser, then ?__clerk_db_jwt= on every call), so an
// application on another site (localhost, while Concierge is on
// 127.0.0.1) signs in without cookies.
func TestDevelopmentBrowserCrossSite(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	appOrigin := "http://localhost:" + itoa(port)
	e := newEnv(t, "sqlite", appOrigin)
	e.alice()
	key := "pk_test_" + base64.StdEncoding.EncodeToString([]byte("concierge-test.lcl.dev$"))
	mux := http.NewServeMux()
	mux.Handle("/clerk/", http.StripPrefix("/clerk/", http.FileServer(http.Dir(clerkJSDir))))
	mux.Handle("/ui/", http.StripPrefix("/ui/", http.FileServer(http.Dir(clerkUIDir))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		page.Execute(w, map[string]string{"Key": key, "FAPI": e.fapi})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	e.do(chromedp.Navigate("about:blank"))
	e.console()
	e.do(chromedp.Navigate(appOrigin + "/"))
	e.waitJS(`window.__loaded`)
	if got := eval[string](e, `window.__loaded`); got != "ok" {
		t.Fatalf("Clerk.load: %s", got)
	}
	e.signIn("alice@example.com", alicePassword)
	e.waitJS(`window.Clerk.user && window.Clerk.session`)
	if !strings.Contains(strings.Join(e.rec.seen(), " "), "POST /v1/dev_browser") {
		t.Fatalf("no development browser was made: %v", e.rec.seen())
	}
	tok := eval[string](e, `Clerk.session.getToken()`)
	if _, err := e.a.Keys.Verify(tok, e.fapi, nowTime()); err != nil {
		t.Fatalf("token: %v", err)
	}
}
