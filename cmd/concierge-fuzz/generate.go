package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/url"
	"sort"
	"strings"
)

// draft is a request being built: kept structured until the end so that
// mutations can work on the path, the query, the headers or the body's
// fields.
type draft struct {
	rt     route
	method string
	segs   []string // path segments, raw (escaped as they will be sent)
	query  []string // "k=v" pairs, raw
	header [][2]string
	fields map[string]any // the body's fields; nil for no body
	// body, when set by a mutation, is sent instead of the fields.
	body    []byte
	bodySet bool
	// encoding is how the fields are sent: "json", "form" or "multipart".
	encoding string
	ctype    string // Content-Type; "" for none
	// noContentType sends no Content-Type at all.
	noContentType bool
	// gzip and chunked pick how the final body is compressed and
	// framed (0: not).
	gzip, chunked int
	notes         []string
}

func (d *draft) note(format string, a ...any) { d.notes = append(d.notes, fmt.Sprintf(format, a...)) }

func (d *draft) setHeader(name, value string) {
	kept := d.header[:0]
	for _, h := range d.header {
		if !strings.EqualFold(h[0], name) {
			kept = append(kept, h)
		}
	}
	d.header = append(kept, [2]string{name, value})
}

// generator makes the run's requests: request i depends only on the
// seed, i and the fixtures, so a run is repeatable.
type generator struct {
	seed   uint64
	routes []route
	fx     *fixtures
	cfg    *config
}

// request builds request i: a plausible call of a route, then mutated:
// one in eight not at all (to reach deeper code), half once (one thing
// wrong gets past the other checks), the rest up to four times.
func (g *generator) request(i uint64) *request {
	rng := rand.New(rand.NewPCG(g.seed, i))
	rt := g.routes[rng.IntN(len(g.routes))]
	d := g.plausible(rng, rt)
	n := 1
	switch r := rng.IntN(8); {
	case r == 0:
		n = 0
	case r >= 5:
		n = 2 + rng.IntN(3)
	}
	{
		for ; n > 0; n-- {
			m := mutators[rng.IntN(len(mutators))]
			d.note("%s", m.name)
			m.apply(rng, d, g)
		}
	}
	return d.finish(rng)
}

// plausible is a call as a well-behaved client of the route's surface
// would make it, with real IDs where the route has wildcards.
func (g *generator) plausible(rng *rand.Rand, rt route) *draft {
	d := &draft{rt: rt, method: rt.method, encoding: "json"}
	if d.method == "" {
		d.method = pick(rng, []string{"GET", "POST", "PATCH", "PUT", "DELETE"})
	}
	segs := segments(rt.path)
	for i, s := range segs {
		name, ok := wildcard(s)
		if !ok {
			d.segs = append(d.segs, s)
			continue
		}
		key := name
		if name == "id" && i > 0 {
			key = segs[i-1]
		}
		d.segs = append(d.segs, url.PathEscape(g.value(rng, key)))
	}
	client, signUp, testing, cookie, csrf := g.fx.tokens()
	switch rt.surface {
	case backend:
		d.header = append(d.header, [2]string{"Authorization", "Bearer " + g.cfg.secretKey})
	case frontend:
		d.encoding = "form"
		d.query = append(d.query, "_clerk_js_version=6.40.0")
		tok := client
		if rng.IntN(4) == 0 {
			tok = signUp
		}
		switch rng.IntN(3) {
		case 0: // a native app
			d.query = append(d.query, "_is_native=1")
			if tok != "" {
				d.header = append(d.header, [2]string{"Authorization", tok})
			}
		case 1: // a browser on an allowed origin
			if o := g.cfg.appOrigin; o != "" {
				d.header = append(d.header, [2]string{"Origin", o})
			}
			if tok != "" {
				d.header = append(d.header, [2]string{"Cookie", "__client=" + tok})
			}
		default: // a server calling with the token, the rate limits lifted
			if tok != "" {
				d.header = append(d.header, [2]string{"Authorization", "Bearer " + tok})
			}
			if testing != "" {
				d.query = append(d.query, "__clerk_testing_token="+url.QueryEscape(testing))
			}
		}
		// clerk-js tunnels every method but GET and POST through POST.
		if d.method != "GET" && d.method != "POST" && d.method != "" && rng.IntN(2) == 0 {
			d.query = append(d.query, "_method="+d.method)
			d.method = "POST"
		}
	case dashboardUI:
		d.encoding = "form"
		d.header = append(d.header, [2]string{"Origin", g.cfg.origin()})
		if cookie != "" {
			d.header = append(d.header, [2]string{"Cookie", cookie})
		}
	}
	if d.method == "GET" || d.method == "HEAD" || d.method == "DELETE" && rng.IntN(2) == 0 {
		d.query = append(d.query, g.plausibleQuery(rng)...)
		return d
	}
	d.fields = g.fieldsFor(rng, rt)
	if rt.surface == dashboardUI && csrf != "" {
		d.fields["csrf"] = csrf
	}
	// The upload routes take a picture (the same mutator sends odd ones
	// anywhere).
	if strings.HasSuffix(rt.path, "/profile_image") || strings.HasSuffix(rt.path, "/logo") {
		imageUpload(rng, d, g)
	}
	return d
}

// plausibleQuery is a list call's paging and filters.
func (g *generator) plausibleQuery(rng *rand.Rand) []string {
	var q []string
	if rng.IntN(2) == 0 {
		q = append(q, fmt.Sprintf("limit=%d", 1+rng.IntN(50)), fmt.Sprintf("offset=%d", rng.IntN(5)))
	}
	if rng.IntN(3) == 0 {
		q = append(q, "order_by="+pick(rng, []string{"-created_at", "+created_at", "-updated_at", "username", "-last_sign_in_at"}))
	}
	if rng.IntN(3) == 0 {
		k := pick(rng, []string{"user_id", "organization_id", "email_address", "query", "status", "client_id"})
		q = append(q, k+"="+url.QueryEscape(g.value(rng, k)))
	}
	return q
}

// fieldsFor picks a handful of the fields the API's calls take, filled
// plausibly: the decoders ignore the ones a route does not use, and the
// mutations then break the rest.
func (g *generator) fieldsFor(rng *rand.Rand, rt route) map[string]any {
	names := make([]string, 0, len(fieldValues))
	for k := range fieldValues {
		names = append(names, k)
	}
	sort.Strings(names) // map order is random; the run must not be
	f := map[string]any{}
	// Half the time every field: the decoders ignore those a route does
	// not read, so one mutated field then meets the route's own checks.
	if rng.IntN(2) == 0 {
		for _, n := range names {
			f[n] = fieldValues[n](rng, g)
		}
		return f
	}
	// Fields named like the path's resource are the likeliest wanted.
	for _, s := range segments(rt.path) {
		for _, n := range names {
			if strings.HasPrefix(strings.TrimSuffix(s, "s"), strings.TrimSuffix(n, "_id")) && rng.IntN(2) == 0 {
				f[n] = fieldValues[n](rng, g)
			}
		}
	}
	for n := 2 + rng.IntN(6); n > 0; n-- {
		k := pick(rng, names)
		f[k] = fieldValues[k](rng, g)
	}
	return f
}

// value is a plausible value for a wildcard or parameter: mostly a real
// ID from the fixtures, sometimes one of another kind or made up.
func (g *generator) value(rng *rand.Rand, key string) string {
	if p := g.fx.pool(key); len(p) > 0 && rng.IntN(5) != 0 {
		return pick(rng, p)
	}
	if fixed, ok := fixedValues[key]; ok {
		return pick(rng, fixed)
	}
	if rng.IntN(2) == 0 {
		for _, k := range []string{"user_id", "organization_id", "session_id", "invitation_id"} {
			if p := g.fx.pool(k); len(p) > 0 {
				return pick(rng, p)
			}
		}
	}
	return pick(rng, []string{"user_", "org_", "sess_", "idn_", "inv_", "x"}) + randomID(rng, 27)
}

// fixedValues are the wildcards whose values are words, not IDs.
var fixedValues = map[string][]string{
	"provider":      {"oauth_google", "oauth_github", "google", "oauth_custom_x"},
	"strategy":      {"oauth_google", "oauth_github", "oauth_microsoft"},
	"action":        {"ban", "unban", "lock", "unlock", "delete", "impersonate", "rotate", "test", "disable", "enable", "verify_email"},
	"file":          {"avatar.png", "user_2x.png", "img_1.jpeg", "x.svg", "..png"},
	"rest":          {"", "x", "a/b/c", "index.js", "@clerk/clerk-js@6/dist/clerk.browser.js"},
	"email_address": {"owner@example.com", "a@example.com"},
	"query":         {"fuzz", "example.com", "%"},
	"status":        {"pending", "accepted", "revoked", "active"},
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[rng.IntN(len(idAlphabet))]
	}
	return string(b)
}

// finish renders the draft as it goes on the wire.
func (d *draft) finish(rng *rand.Rand) *request {
	q := &request{method: d.method, header: d.header, mutations: d.notes, route: strings.TrimSpace(d.rt.method + " " + d.rt.path)}
	q.target = "/" + strings.Join(d.segs, "/")
	if d.method == "CONNECT" { // the authority form
		q.target = strings.Join(d.segs, "/")
	}
	if len(d.query) > 0 {
		q.target += "?" + strings.Join(d.query, "&")
	}
	switch {
	case d.bodySet:
		q.body = d.body
	case d.fields != nil:
		var ct string
		q.body, ct = encodeFields(rng, d)
		if d.ctype == "" {
			d.ctype = ct
		}
	}
	if d.gzip > 0 || d.chunked > 0 {
		q.body = d.encodeTransfer(rng, q.body)
	}
	q.del("Content-Type")
	if d.ctype != "" && !d.noContentType {
		q.set("Content-Type", d.ctype)
	}
	return q
}

// encodeFields encodes the fields as the draft's encoding says.
func encodeFields(rng *rand.Rand, d *draft) ([]byte, string) {
	switch d.encoding {
	case "form":
		v := url.Values{}
		for k, x := range d.fields {
			v.Set(k, formValue(x))
		}
		return []byte(v.Encode()), "application/x-www-form-urlencoded"
	case "multipart":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary("fz" + randomID(rng, 28)) // its own would be random
		keys := sortedKeys(d.fields)
		for _, k := range keys {
			mw.WriteField(k, formValue(d.fields[k]))
		}
		fw, _ := mw.CreateFormFile("file", "fuzz.png")
		fw.Write(garbage(rng, 64+rng.IntN(4096)))
		mw.Close()
		return b.Bytes(), mw.FormDataContentType()
	}
	b, _ := json.Marshal(d.fields)
	return b, "application/json"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func formValue(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	b, _ := json.Marshal(x)
	return string(b)
}

func garbage(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}
