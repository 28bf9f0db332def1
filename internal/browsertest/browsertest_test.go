package browsertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStatusWriter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter)
		want    int
	}{
		{"nothing written", func(w http.ResponseWriter) {}, 0},
		{"body only", func(w http.ResponseWriter) { w.Write([]byte("hi")) }, http.StatusOK},
		{"first status kept", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusNotFound},
	} {
		sw := &StatusWriter{ResponseWriter: httptest.NewRecorder()}
		tc.handler(sw)
		if sw.Status != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, sw.Status, tc.want)
		}
	}
	rr := httptest.NewRecorder()
	(&StatusWriter{ResponseWriter: rr}).Flush()
	if !rr.Flushed {
		t.Error("Flush did not reach the wrapped writer")
	}
}

func TestRecorder(t *testing.T) {
	rec := &Recorder{Omit: func(r *http.Request, status int) bool { return strings.HasPrefix(r.URL.Path, "/npm/") }}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	for _, target := range []string{"/a", "/ab", "/a", "/missing", "/npm/x.js"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	// "GET /a" is that path, not a prefix of "/ab".
	if n := rec.Count("GET /a"); n != 2 {
		t.Errorf("Count(GET /a) = %d, want 2", n)
	}
	if want := "GET /a 200\n  GET /ab 200\n  GET /a 200\n  GET /missing 404"; rec.String() != want {
		t.Errorf("String() = %q, want %q", rec.String(), want)
	}
}
