package main

import (
	"sort"
	"strings"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/dashboard"
	"github.com/conciergehq/concierge/internal/frontendapi"
)

// surface is who a route's plausible caller is, hence its credentials.
type surface int

const (
	backend     surface = iota // the secret key
	frontend                   // a browser or native app's client
	dashboardUI                // an operator's session
	public                     // nobody in particular
)

// route is one route pattern: a method (empty for any) and a path with
// {wildcards}.
type route struct {
	method, path string
	surface      surface
}

// serverRoutes are the routes internal/server registers itself around
// the three route tables (health, metrics, images, hosted pages, the
// catch-all): few, and only there.
var serverRoutes = []string{
	"GET /healthz", "GET /readyz", "GET /metrics", "GET /avatars/{file}", "GET /avatars/avatar_placeholder/{file}",
	"GET /images/{file}", "GET /npm/{rest...}", "/sign-in", "/sign-in/{rest...}", "/sign-up", "/sign-up/{rest...}",
	"/user", "/user/{rest...}", "/sign-out", "/{rest...}",
}

// allRoutes lists every route, taken from the route tables themselves so
// that a new route is fuzzed without anyone listing it here.
func allRoutes() []route {
	var out []route
	seen := map[string]bool{}
	add := func(patterns []string, s surface) {
		for _, p := range patterns {
			method, path, ok := strings.Cut(p, " ")
			if !ok {
				method, path = "", p
			}
			// Trailing-slash subtrees match everything below them.
			if strings.HasSuffix(path, "/") {
				path += "{rest...}"
			}
			path = strings.ReplaceAll(path, "{$}", "")
			key := method + " " + path + " " + string(rune('0'+s))
			if !seen[key] {
				seen[key] = true
				out = append(out, route{method: method, path: path, surface: s})
			}
		}
	}
	add(backendapi.Patterns(), backend)
	add(frontendapi.Patterns(), frontend)
	add(dashboard.Patterns(), dashboardUI)
	add(serverRoutes, public)
	sort.SliceStable(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// segments splits a path pattern into its segments, wildcards as
// "{name}".
func segments(path string) []string { return strings.Split(strings.TrimPrefix(path, "/"), "/") }

// wildcard returns the name of a "{name}" or "{name...}" segment.
func wildcard(seg string) (string, bool) {
	if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
		return "", false
	}
	return strings.TrimSuffix(seg[1:len(seg)-1], "..."), true
}
