package main

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
)

// oddSegments replace a path segment: traversal, escapes (valid and
// not), overlong IDs, other scripts, SQL and LIKE metacharacters.
var oddSegments = []string{
	"..", ".", "%2e%2e", "%2E%2E%2F%2E%2E", "..%2f..%2fetc%2fpasswd", "%2F", "%5C", "%00", "%ff", "%c0%ae%c0%ae", "%zz", "%",
	"%u002e", "%25", "%2525", "%20", "+", "%0d%0aX-Injected:%201", "%E3%83%A6%E3%83%BC%E3%82%B6", "%F0%9F%98%80",
	"%E2%80%AE", "'%20OR%201=1--", "*", "_", "%5F%25", "null", "undefined", "0", "-1", "1e999", "user_", "org_",
	"user_%00x", "%C0%80", "%ED%A0%80", "~", "$", "{user_id}", "%7B%7D", "a;b", "a,b", "a=b", "me", "count", "bulk",
}

func pathSegment(rng *rand.Rand, d *draft, g *generator) {
	if len(d.segs) == 0 {
		return
	}
	i := rng.IntN(len(d.segs))
	switch rng.IntN(5) {
	case 0: // overlong
		d.segs[i] = pick(rng, []string{"user_", "org_", "", "sess_"}) + strings.Repeat(pick(rng, []string{"a", "%41", "ü"}), pick(rng, []int{300, 5000, 20000}))
	case 1: // percent-encode the whole segment
		var b strings.Builder
		for _, c := range []byte(d.segs[i]) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		d.segs[i] = b.String()
	case 2: // a real ID of another kind
		d.segs[i] = g.value(rng, pick(rng, []string{"user_id", "organization_id", "session_id", "client_id", "invitation_id", "sign_ups"}))
	default:
		d.segs[i] = pick(rng, oddSegments)
	}
}

// pathShape changes the path's shape: slashes, case, extra segments.
func pathShape(rng *rand.Rand, d *draft, _ *generator) {
	switch rng.IntN(7) {
	case 0:
		d.segs = append(d.segs, "")
	case 1:
		d.segs = append([]string{""}, d.segs...)
	case 2:
		d.segs = append(d.segs, pick(rng, oddSegments), "x")
	case 3:
		for i := range d.segs {
			d.segs[i] = strings.ToUpper(d.segs[i])
		}
	case 4:
		if len(d.segs) > 1 {
			d.segs = d.segs[:len(d.segs)-1]
		}
	case 5:
		d.segs = append(d.segs[:1:1], append([]string{".."}, d.segs[1:]...)...)
	default:
		d.segs = append(d.segs, strings.Split(strings.Repeat("a/", 200), "/")...)
	}
}

// oddQuery adds query parameters the handlers read, with odd values,
// repeated, or escaped wrongly.
func oddQuery(rng *rand.Rand, d *draft, g *generator) {
	keys := []string{"limit", "offset", "order_by", "query", "email_address", "phone_number", "username", "user_id",
		"organization_id", "status", "client_id", "session_id", "created_at_after", "created_at_before",
		"last_active_at_since", "last_active_at_before", "last_active_at_after", "last_sign_in_at_after", "starting_after", "ending_before", "include_members_count", "paginated", "redirect_url",
		"sign_in_force_redirect_url", "_method", "_is_native", "__clerk_db_jwt", "__clerk_testing_token", "__clerk_api_version",
		"_clerk_js_version", "token", "ticket", "code", "state", "next", "roles", "provider", "orderBy", "external_id", "banned"}
	values := []string{"", "0", "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "2147483648", "99999999999999999999999", "1e3",
		"0x10", "1.5", "NaN", "true", "yes", "%zz", "%", "%00", "%ff", "a%00b", "+created_at", "-", "+", "-no_such",
		"created_at;DROP", "%27", "%25%25", "_", strings.Repeat("x", 10000), "javascript:alert(1)", "https://evil.example/",
		"//evil.example", "https://fuzz.example.com/", "DELETE", "PATCH", "PUT", "GET", "OPTIONS", "HEAD", "CONNECT", "FOO", "x", "user_x", "[]",
		"%5B%5D", "2024-01-01", "1700000000000", "-1700000000000",
	}
	for n := 1 + rng.IntN(4); n > 0; n-- {
		k := pick(rng, keys)
		v := pick(rng, values)
		if rng.IntN(4) == 0 {
			v = url.QueryEscape(g.value(rng, pick(rng, []string{"user_id", "organization_id", "session_id"})))
		}
		switch rng.IntN(6) {
		case 0: // repeated
			d.query = append(d.query, k+"="+v, k+"="+pick(rng, values))
		case 1: // array-ish
			d.query = append(d.query, k+"[]="+v, k+"[0]="+v)
		case 2: // no value, no key, bare separators
			d.query = append(d.query, pick(rng, []string{k, "=" + v, "&", "&&", ";", k + "==" + v, "%3D"}))
		default:
			d.query = append(d.query, k+"="+v)
		}
	}
	if rng.IntN(10) == 0 {
		d.query = append(d.query, strings.Repeat("a=1&", 3000)+"a=1")
	}
}

// fakeJWT is a token-shaped string: the handlers parse these.
func fakeJWT(rng *rand.Rand) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := pick(rng, []string{`{"alg":"none"}`, `{"alg":"RS256","kid":"x"}`, `{"alg":"HS256"}`, `{`, `{"alg":"RS256","kid":"` + strings.Repeat("k", 2000) + `"}`})
	claims := pick(rng, []string{`{"sub":"user_x","exp":9999999999}`, `{}`, `[]`, `{"sid":null}`, `x`, `{"exp":"soon"}`})
	return enc([]byte(header)) + "." + enc([]byte(claims)) + "." + pick(rng, []string{"", "x", "sig", enc(garbage(rng, 256))})
}

func badAuthorization(rng *rand.Rand, d *draft, g *generator) {
	v := pick(rng, []string{"", "Bearer", "Bearer ", "Bearer  " + g.cfg.secretKey, "bearer " + g.cfg.secretKey, "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")),
		"Bearer sk_test_wrong", "Bearer sk_live_" + randomID(rng, 40), "Bearer pk_test_" + randomID(rng, 20), "Bearer " + fakeJWT(rng),
		fakeJWT(rng), "Bearer " + strings.Repeat("a", 20000), "Bearer sk_test_\x7f", "Bearer " + g.cfg.secretKey + "x",
		"Bearer " + g.cfg.secretKey[:len(g.cfg.secretKey)/2], "Token x", "Bearer sk_"})
	if rng.IntN(4) == 0 { // two of them
		d.header = append(d.header, [2]string{"Authorization", v})
		return
	}
	d.setHeader("Authorization", v)
}

func hugeHeader(rng *rand.Rand, d *draft, _ *generator) {
	name := pick(rng, []string{"X-Fuzz", "User-Agent", "Cookie", "Referer", "Accept-Language", "Clerk-Api-Version", "X-Forwarded-For"})
	d.header = append(d.header, [2]string{name, strings.Repeat("x", pick(rng, []int{8 << 10, 60 << 10, 200 << 10}))})
	if rng.IntN(3) == 0 {
		for i := 0; i < 500; i++ {
			d.header = append(d.header, [2]string{fmt.Sprintf("X-Fuzz-%d", i), "1"})
		}
	}
}

func badOrigin(rng *rand.Rand, d *draft, g *generator) {
	d.setHeader("Origin", pick(rng, []string{"null", "http://evil.example", "https://evil.example", "http://[::1", "://x", "",
		"http://" + strings.Repeat("a", 5000) + ".example", "http://ü.example", g.cfg.origin() + ".evil.example",
		g.cfg.origin() + "/path", strings.ToUpper(g.cfg.origin()), "file://", "http://127.0.0.1:0", "*"}))
	if rng.IntN(2) == 0 {
		d.setHeader("Referer", pick(rng, []string{"http://evil.example/", g.cfg.origin() + "/x", "%zz", ""}))
	}
}

func badCookie(rng *rand.Rand, d *draft, g *generator) {
	v := pick(rng, []string{"__client=garbage", "__client=" + fakeJWT(rng), "__session=" + fakeJWT(rng), "__client_uat=-1",
		"__client_uat=99999999999999999999", "__client=a; __client=b", ";;;==", "=", "__client=", "__clerk_db_jwt=" + fakeJWT(rng),
		"__concierge_operator=" + randomID(rng, 40), "__concierge_operator=", "__client=\"quoted\"", "__client=%zz",
		"__session_" + randomID(rng, 8) + "=" + fakeJWT(rng), strings.Repeat("c=1; ", 2000)})
	if rng.IntN(2) == 0 {
		d.setHeader("Cookie", v)
	} else {
		d.header = append(d.header, [2]string{"Cookie", v})
	}
}

func oddHeaders(rng *rand.Rand, d *draft, g *generator) {
	h := pick(rng, [][2]string{
		{"Accept", "application/xml"}, {"Accept", ""}, {"Accept-Encoding", "gzip;q=abc, *;q=-1"}, {"Clerk-API-Version", "1999-01-01"},
		{"Clerk-API-Version", "%zz"}, {"X-Forwarded-For", "::1, 256.256.256.256, x"}, {"X-Forwarded-Proto", "gopher"},
		{"X-Forwarded-Host", "evil.example"}, {"Host", "evil.example"}, {"Host", ""}, {"Host", "[::1"}, {"Expect", "100-continue"},
		{"Expect", "fuzz"}, {"If-None-Match", "*"}, {"If-Modified-Since", "yesterday"}, {"Range", "bytes=0-0,5-1"},
		{"User-Agent", "\x01\x02"}, {"Content-Length", "-1"}, {"Content-Length", "1, 2"}, {"X-HTTP-Method-Override", "DELETE"},
		{"Accept-Language", "zz-ZZ;q=2"}, {"Upgrade", "websocket"}, {"Sec-Fetch-Site", "cross-site"}, {"Authorization", "Bearer " + g.cfg.secretKey + "\t"},
		{"Content-Type", "application/json"}, {"Content-Type", "application/x-www-form-urlencoded"},
	})
	if strings.EqualFold(h[0], "Host") {
		d.setHeader("Host", h[1])
		return
	}
	d.header = append(d.header, h)
}

func oddMethod(rng *rand.Rand, d *draft, _ *generator) {
	d.method = pick(rng, []string{"HEAD", "OPTIONS", "TRACE", "PROPFIND", "FUZZ", "get", "Post", "PATCH", "PUT", "DELETE", "GET",
		"POST", "M-SEARCH", strings.Repeat("X", 300), "CONNECT"})
	if d.method == "CONNECT" {
		d.segs = []string{"127.0.0.1:1"}
	}
}
