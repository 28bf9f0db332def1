package respond

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A deadline the server set is its own fault, but not a bug: a 503 in
// Clerk's envelope, while the connection is still there to answer on.
func TestDeadlineIsUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Millisecond)
		defer cancel()
		<-ctx.Done()
		Error(w, r, fmt.Errorf("reading users: %w", ctx.Err()))
	}))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var body errorBody
	if res.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(b, &body) != nil ||
		len(body.Errors) != 1 || body.Errors[0].Code != "service_unavailable" {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
}
