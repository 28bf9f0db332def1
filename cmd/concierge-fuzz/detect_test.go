package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDetects: against a server that fails on purpose, the run reports
// its 500s, its reset connections and its hangs, each with the request.
func TestDetects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/users":
			io.WriteString(w, `{"id":"user_1"}`)
		case strings.HasPrefix(r.URL.Path, "/v1/sessions"):
			w.WriteHeader(http.StatusInternalServerError)
		case strings.HasPrefix(r.URL.Path, "/v1/clients"):
			panic(http.ErrAbortHandler) // the connection is reset
		case strings.HasPrefix(r.URL.Path, "/v1/jwks"):
			time.Sleep(time.Second) // past the run's timeout
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c := &config{url: srv.URL, secretKey: "sk_test_x0123456789abcdefghijklmn", seed: 3, n: 24, concurrency: 2,
		timeout: 300 * time.Millisecond}
	kinds := map[string]bool{}
	for _, only := range []string{"GET /v1/sessions", "GET /v1/clients", "GET /v1/jwks"} {
		c.only = only
		rep, err := run(context.Background(), c, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.failures {
			switch {
			case f.outcome.status == 500:
				kinds["500"] = true
			case isTimeout(f.outcome.err):
				kinds["hang"] = true
			case f.outcome.err != nil:
				kinds["reset"] = true
			}
			if !strings.Contains(f.String(), f.request.method+" "+short(f.request.target, 300)) {
				t.Fatalf("failure without its request: %s", f)
			}
		}
	}
	for _, k := range []string{"500", "hang", "reset"} {
		if !kinds[k] {
			t.Errorf("no %s reported (got %v)", k, kinds)
		}
	}
}
