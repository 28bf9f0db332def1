package ratelimit

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(3, 10*time.Second)
	l.Now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow(t.Context(), "a"); !ok {
			t.Fatalf("event %d refused", i+1)
		}
	}
	ok, retry := l.Allow(t.Context(), "a")
	if ok || retry != 10*time.Second {
		t.Fatalf("4th event: ok=%v retry=%s", ok, retry)
	}
	if ok, _ := l.Allow(t.Context(), "b"); !ok {
		t.Fatal("another key shares the count")
	}
	now = now.Add(4 * time.Second)
	if _, retry := l.Allow(t.Context(), "a"); retry != 6*time.Second {
		t.Fatalf("retry after %s, want 6s", retry)
	}
	now = now.Add(6 * time.Second)
	if ok, _ := l.Allow(t.Context(), "a"); !ok {
		t.Fatal("a new window is refused")
	}
}
