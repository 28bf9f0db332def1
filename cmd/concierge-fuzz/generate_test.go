package main

import (
	"bytes"
	"testing"
)

// TestRoutesFromTables: the routes come from the route tables, all
// three surfaces and the server's own.
func TestRoutesFromTables(t *testing.T) {
	rs := allRoutes()
	want := map[string]surface{
		"GET /v1/users/{user_id}":                            backend,
		"POST /v1/client/sign_ins/{id}/attempt_first_factor": frontend,
		"POST /dashboard/users/{id}/metadata":                dashboardUI,
		"GET /healthz":                                       public,
	}
	for _, r := range rs {
		if s, ok := want[r.method+" "+r.path]; ok && s == r.surface {
			delete(want, r.method+" "+r.path)
		}
	}
	if len(want) > 0 || len(rs) < 300 {
		t.Fatalf("%d routes; missing %v", len(rs), want)
	}
}

// TestDeterministic: request i depends only on the seed, i and the
// fixtures.
func TestDeterministic(t *testing.T) {
	fx := &fixtures{pools: map[string][]string{"user_id": {"user_1", "user_2"}, "organization_id": {"org_1"}}, clientToken: "tok"}
	c := &config{url: "http://127.0.0.1:1", secretKey: "sk_test_x0123456789abcdefghijklmn", appOrigin: "http://app.test"}
	g := &generator{seed: 7, routes: allRoutes(), fx: fx, cfg: c}
	for i := uint64(0); i < 300; i++ {
		a, b := g.request(i), g.request(i)
		if !bytes.Equal(a.wire("h", false), b.wire("h", false)) {
			t.Fatalf("request %d differs between two runs:\n%s\n%s", i, a.dump(), b.dump())
		}
	}
	other := &generator{seed: 8, routes: g.routes, fx: fx, cfg: c}
	if bytes.Equal(g.request(0).wire("h", false), other.request(0).wire("h", false)) &&
		bytes.Equal(g.request(1).wire("h", false), other.request(1).wire("h", false)) {
		t.Fatal("another seed sends the same requests")
	}
}
