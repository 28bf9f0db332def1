package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
)

// mutator breaks one aspect of a plausible request.
type mutator struct {
	name  string
	apply func(rng *rand.Rand, d *draft, g *generator)
}

// mutators are every kind of breakage the fuzzer tries; each request
// gets a few, chosen at random.
var mutators = []mutator{
	{"malformed-json", malformedJSON},
	{"truncated-json", truncatedJSON},
	{"deep-json", deepJSON},
	{"huge-json", hugeJSON},
	{"wrong-types", wrongTypes},
	{"one-odd-field", oneOddField},
	{"one-odd-field", oneOddField},
	{"one-odd-field", oneOddField},
	{"unknown-fields", unknownFields},
	{"odd-top-level", oddTopLevel},
	{"many-entries", manyEntries},
	{"form-body", func(_ *rand.Rand, d *draft, _ *generator) { d.encoding = "form"; ensureFields(d) }},
	{"multipart-body", func(_ *rand.Rand, d *draft, _ *generator) { d.encoding = "multipart"; ensureFields(d) }},
	{"broken-multipart", brokenMultipart},
	{"image-upload", imageUpload},
	{"content-type", contentType},
	{"invalid-utf8", invalidUTF8},
	{"gzip", gzipBody},
	{"chunked", chunked},
	{"path-segment", pathSegment},
	{"path-segment", pathSegment},
	{"path-shape", pathShape},
	{"query", oddQuery},
	{"query", oddQuery},
	{"authorization", badAuthorization},
	{"huge-header", hugeHeader},
	{"origin", badOrigin},
	{"cookie", badCookie},
	{"headers", oddHeaders},
	{"method", oddMethod},
}

// ensureFields gives the draft a body to break when it has none.
func ensureFields(d *draft) {
	if d.fields == nil {
		d.fields = map[string]any{"email_address": "fz@example.com", "name": "fuzz"}
	}
}

// setBody replaces the body with raw bytes of a content type.
func setBody(d *draft, b []byte, ctype string) {
	d.body, d.bodySet = b, true
	if ctype != "" {
		d.ctype = ctype
	}
}

func fieldsJSON(d *draft) []byte {
	ensureFields(d)
	b, _ := json.Marshal(d.fields)
	return b
}

var brokenJSON = []string{
	`{`, `}`, `{"a":`, `{"a":1,}`, `{"a" 1}`, `{'a':1}`, `[1,2`, `{"a":1}{"b":2}`, `{"a":1} x`, `nul`, `tru`,
	`{"a":"\u12"}`, `{"a":"\ud800"}`, `{"a":"\x"}`, `{"a":01}`, `{"a":1e}`, `{"a":-}`, `{"a":.5}`, `{"a":NaN}`,
	`{"a":Infinity}`, `{"a":1e999999}`, `{"a":-0}`, `{"a":99999999999999999999999999999}`, "{\"a\":\"\t\"}",
	`{"a":1,"a":"dup"}`, `{"":1}`, "\ufeff{}", "{}\x00", `{"email_address":["a@example.com",]}`, `/* */{}`,
	`{"public_metadata":"{\"a\":1}"}`, `{"a":[}`, `[{]`, `{"__proto__":{"x":1}}`, `{"constructor":{"prototype":{}}}`,
}

func malformedJSON(rng *rand.Rand, d *draft, _ *generator) {
	setBody(d, []byte(pick(rng, brokenJSON)), "application/json")
}

func truncatedJSON(rng *rand.Rand, d *draft, _ *generator) {
	b := fieldsJSON(d)
	setBody(d, b[:rng.IntN(len(b))], "application/json")
}

// deepJSON nests arrays or objects thousands deep, at the top or in a
// field (metadata is stored and re-encoded: the likeliest to suffer).
func deepJSON(rng *rand.Rand, d *draft, _ *generator) {
	n := pick(rng, []int{64, 512, 5000, 100000})
	var inner string
	if rng.IntN(2) == 0 {
		inner = strings.Repeat("[", n) + strings.Repeat("]", n)
	} else {
		inner = strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)
	}
	if rng.IntN(3) == 0 {
		inner = inner[:len(inner)/2] // and unbalanced
	}
	field := pick(rng, []string{"public_metadata", "private_metadata", "unsafe_metadata", "claims", "email_address", "actor"})
	if rng.IntN(3) == 0 {
		setBody(d, []byte(inner), "application/json")
		return
	}
	setBody(d, []byte(`{"`+field+`":`+inner+`}`), "application/json")
}

// hugeJSON sends long strings, long arrays, many keys: around and past
// the 1 MiB body limit.
func hugeJSON(rng *rand.Rand, d *draft, _ *generator) {
	size := pick(rng, []int{10 << 10, 200 << 10, 1<<20 - 100, 1<<20 + 100, 3 << 20})
	field := pick(rng, []string{"first_name", "name", "email_address", "public_metadata", "password", "url", "claims"})
	var b []byte
	switch rng.IntN(3) {
	case 0:
		b = []byte(`{"` + field + `":"` + strings.Repeat("a", size) + `"}`)
	case 1:
		b = []byte(`{"` + field + `":[` + strings.Repeat(`"a@example.com",`, size/16) + `"x@example.com"]}`)
	default: // many keys, each unique, with long values
		var s strings.Builder
		s.WriteString(`{"` + field + `":{`)
		long := `":"` + strings.Repeat("v", 90) + `",`
		for i := 0; s.Len() < size; i++ {
			s.WriteString(`"k` + strconv.Itoa(i) + long)
		}
		s.WriteString(`"end":0}}`)
		b = []byte(s.String())
	}
	setBody(d, b, "application/json")
}

// oddValues are values of every JSON type and edge, for wrongTypes.
var oddValues = []any{
	nil, true, false, 0, -1, 1.5, 1e300, -1e300, 9007199254740993, json.Number("1e400"),
	json.Number("-9223372036854775809"), json.Number("18446744073709551616"), json.Number("9223372036854775807"),
	json.Number("-9223372036854775808"), strings.Repeat("a", 3000) + "@example.com", "a@" + strings.Repeat("b", 300) + ".com", "", " ", "x", "null", "true", "0",
	"-1", "1e999", strings.Repeat("x", 5000), "\u0000", "a\u0000b", "\u202e\u0301", "😀", "<script>", "'; DROP TABLE users;--",
	"%", "_", "\\", "../../etc/passwd", "user_", "2024-13-45T99:99:99Z", []any{}, []any{nil}, []any{1, "a", nil, []any{}},
	map[string]any{}, map[string]any{"": nil}, map[string]any{"a": map[string]any{"b": []any{}}},
}

// wrongTypes replaces some fields, or all, with values of other types.
func wrongTypes(rng *rand.Rand, d *draft, _ *generator) {
	ensureFields(d)
	all := rng.IntN(3) == 0
	for _, k := range sortedKeys(d.fields) {
		if all || rng.IntN(2) == 0 {
			d.fields[k] = pick(rng, oddValues)
		}
	}
}

// oneOddField gives one field an odd value, the rest staying plausible.
func oneOddField(rng *rand.Rand, d *draft, _ *generator) {
	ensureFields(d)
	d.fields[pick(rng, sortedKeys(d.fields))] = pick(rng, oddValues)
}

func unknownFields(rng *rand.Rand, d *draft, _ *generator) {
	ensureFields(d)
	for n := 1 + rng.IntN(5); n > 0; n-- {
		k := pick(rng, []string{"x", "__proto__", "id", "object", "created_at", "updated_at", "deleted", "password_digest",
			"password_hasher", "instance_id", "", " ", "a.b", "a[b]", "ü", strings.Repeat("k", 3000)})
		d.fields[k] = pick(rng, oddValues)
	}
}

// manyEntries sends many of everything: a bulk call's array of
// thousands, or a field listing thousands of addresses.
func manyEntries(rng *rand.Rand, d *draft, _ *generator) {
	ensureFields(d)
	n := pick(rng, []int{101, 1000, 5000})
	if rng.IntN(2) == 0 {
		// Entries of a few fields: a bulk call's, not the whole draft's.
		one := map[string]any{}
		for _, k := range sortedKeys(d.fields)[:min(3, len(d.fields))] {
			one[k] = d.fields[k]
		}
		b, _ := json.Marshal(one)
		setBody(d, []byte("["+strings.Repeat(string(b)+",", n-1)+string(b)+"]"), "application/json")
		return
	}
	addrs := make([]any, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("many%d@example.com", i)
	}
	d.fields[pick(rng, []string{"email_address", "emails", "entries", "phone_number", "identifiers", "user_ids", "permissions"})] = addrs
}

func oddTopLevel(rng *rand.Rand, d *draft, _ *generator) {
	b := pick(rng, []string{`null`, `[]`, `[{}]`, `""`, `0`, `true`, `"{}"`, `[null]`, ` `, "\n\n", `{}`, `[[]]`})
	if rng.IntN(2) == 0 {
		b = "[" + string(fieldsJSON(d)) + "]"
	}
	setBody(d, []byte(b), "application/json")
}

func brokenMultipart(rng *rand.Rand, d *draft, _ *generator) {
	bodies := []string{
		"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n",                          // no closing boundary
		"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\n\x89PNG", // truncated file
		"--b--\r\n", "garbage", "--b\r\n\r\n--b--\r\n", "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
		"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x\"\r\nContent-Type: image/png\r\n\r\n" +
			string(garbage(rng, 2048)) + "\r\n--b--\r\n",
	}
	ctype := pick(rng, []string{"multipart/form-data; boundary=b", "multipart/form-data", "multipart/form-data; boundary=",
		"multipart/mixed; boundary=b", "multipart/form-data; boundary=" + strings.Repeat("b", 100)})
	setBody(d, []byte(pick(rng, bodies)), ctype)
}

// contentType sends the body under a wrong, odd or no Content-Type.
func contentType(rng *rand.Rand, d *draft, _ *generator) {
	ensureFields(d)
	ct := pick(rng, []string{"", "text/plain", "application/xml", "application/json; charset=utf-16", "application/json;;",
		"application/x-www-form-urlencoded", "multipart/form-data", "application/json; boundary=x", "image/png",
		"application/vnd.api+json", "*/*", ";", "application/json\x00", "application/" + strings.Repeat("j", 5000),
		"application/json; charset=\"unterminated", "APPLICATION/JSON"})
	if !d.bodySet {
		body, _ := encodeFields(rng, d)
		setBody(d, body, "")
	}
	d.ctype, d.noContentType = ct, ct == ""
}

// invalidUTF8 puts bytes that are not UTF-8 (or NUL, or lone
// surrogates) in the body's strings.
func invalidUTF8(rng *rand.Rand, d *draft, _ *generator) {
	bad := pick(rng, []string{"\xff", "\xfe\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x00", `\u0000`, `\ud800`, `\udfff\ud800`, "\xe2\x82"})
	ensureFields(d)
	k := pick(rng, sortedKeys(d.fields))
	d.fields[k] = "x" + "\x01MARK\x01" + "y"
	var b []byte
	if d.encoding == "form" {
		v := url.Values{}
		for kk, x := range d.fields {
			v.Set(kk, formValue(x))
		}
		enc := v.Encode()
		rep := url.QueryEscape(bad)
		if rng.IntN(2) == 0 {
			rep = bad // raw, unescaped
		}
		b = []byte(strings.Replace(enc, url.QueryEscape("\x01MARK\x01"), rep, 1))
		setBody(d, b, "application/x-www-form-urlencoded")
		return
	}
	b, _ = json.Marshal(d.fields)
	b = bytes.Replace(b, []byte(`\u0001MARK\u0001`), []byte(bad), 1)
	setBody(d, b, "application/json")
}

// gzipBody claims a gzip (or other) encoding: with garbage, with a
// truncated stream, or with a real one (which the server need not
// understand, but must not fail on). Applied last, on the final body.
func gzipBody(rng *rand.Rand, d *draft, _ *generator) {
	d.gzip = 1 + rng.IntN(3)
	d.setHeader("Content-Encoding", pick(rng, []string{"gzip", "deflate", "br", "gzip, gzip", "identity", "x-unknown", "GZIP"}))
}

// chunked sends the body chunked, correctly or not. Applied last, on
// the final body.
func chunked(rng *rand.Rand, d *draft, _ *generator) {
	d.chunked = 1 + rng.IntN(4)
	// Only chunked: net/http itself answers 501 to the transfer codings
	// it does not implement (as RFC 9112 prescribes), before any handler.
	d.setHeader("Transfer-Encoding", pick(rng, []string{"chunked", "Chunked"}))
}

// encodeTransfer applies the gzip and chunked mutations to the body.
func (d *draft) encodeTransfer(rng *rand.Rand, b []byte) []byte {
	switch d.gzip {
	case 1:
		b = garbage(rng, 1+rng.IntN(512))
	case 2, 3:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		b = buf.Bytes()
		if d.gzip == 3 {
			b = b[:len(b)/2]
		}
	}
	switch d.chunked {
	case 1:
		b = []byte(fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(b), b))
	case 2:
		b = []byte(fmt.Sprintf("zz\r\n%s\r\n0\r\n\r\n", b))
	case 3:
		b = []byte(fmt.Sprintf("%x\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n", len(b), b))
	case 4: // a size past 64 bits (a size merely larger than the data
		// would only wait out the server's body deadline)
		b = []byte(fmt.Sprintf("1ffffffffffffffff\r\n%s\r\n0\r\n\r\n", b))
	}
	return b
}
