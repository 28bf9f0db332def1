package metrics

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/users": "/v1/users",
		"/v1/users/user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdA":         "/v1/users/{id}",
		"/v1/users/user_2bV1Pq7wYtZ0hQeKx3Nf8sLmRdA/mfa":     "/v1/users/{id}/mfa",
		"/v1/client/sign_ins/sia_2bV1Pq7wYtZ0hQeKx3Nf8sLm/x": "/v1/client/sign_ins/{id}/x",
		"/v1/sign_in_tokens":                                 "/v1/sign_in_tokens",
		"/v1/organizations/acme/memberships":                 "/v1/organizations/acme/memberships",
		"/v1/emails/123":                                     "/v1/emails/{id}",
		"/images/0123456789abcdef0123456789abcdef.png":       "/images/{id}",
	} {
		if got := Route(in); got != want {
			t.Errorf("Route(%q) = %q, want %q", in, got, want)
		}
	}
}

// Random paths past maxRoutes count as "other": memory stays bounded.
// TestMethodBound: methods that are not HTTP's own count as "other":
// a client sending random ones adds no series (the fuzzer's were kept,
// thousands of them, each with every route and status).
func TestMethodBound(t *testing.T) {
	m := New()
	for i := range 1000 {
		m.Observe(fmt.Sprintf("M%d", i), "/v1/users", 405, time.Millisecond)
	}
	m.Observe("get", "/v1/users", 405, time.Millisecond)
	m.Observe("GET", "/v1/users", 200, time.Millisecond)
	if len(m.requests) != 2 || len(m.latency) != 2 {
		t.Fatalf("%d request series, %d latency series", len(m.requests), len(m.latency))
	}
	var b bytes.Buffer
	m.Write(context.Background(), &b)
	if !strings.Contains(b.String(), `route="/v1/users",method="other",status="405"} 1001`) {
		t.Fatalf("no other:\n%s", b.String())
	}
}

func TestRouteBound(t *testing.T) {
	m := New()
	for i := range maxRoutes + 100 {
		m.Observe("GET", fmt.Sprintf("/junk/a%c%c", 'a'+i%26, 'a'+i/26), 404, time.Millisecond)
	}
	if len(m.routes) > maxRoutes+1 {
		t.Fatalf("%d routes", len(m.routes))
	}
	var b bytes.Buffer
	m.Write(context.Background(), &b)
	if !strings.Contains(b.String(), `route="other",method="GET",status="404"} 100`) {
		t.Fatalf("no other:\n%s", b.String()[:500])
	}
}
