package httpcheck

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestCleanValues(t *testing.T) {
	for v, want := range map[string]bool{"a=b&c=d": true, "a=%00": false, "%FF=1": false, "a=%C3%A9": true} {
		q, _ := url.ParseQuery(v)
		if got := CleanValues(q); got != want {
			t.Errorf("%s: %v, want %v", v, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		origin, referer string
		want            bool
	}{
		{"https://auth.example.com", "", true},
		{"https://evil.example", "https://auth.example.com/x", false},
		{"", "https://auth.example.com/sign-in", true},
		{"", "https://auth.example.com.evil.example/", false},
		{"", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.referer != "" {
			r.Header.Set("Referer", c.referer)
		}
		if got := SameOrigin("https://auth.example.com", r); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[::1]:5000"
	if ClientIP(r) != "::1" {
		t.Fatal(ClientIP(r))
	}
	r.RemoteAddr = "odd"
	if ClientIP(r) != "odd" {
		t.Fatal(ClientIP(r))
	}
}
