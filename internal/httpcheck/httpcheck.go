// Package httpcheck holds the request checks every surface shares: text
// that PostgreSQL can store, same-origin form posts, and the client's
// address for rate limits.
package httpcheck

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// CleanText reports whether s is valid UTF-8 without NUL: PostgreSQL can
// neither store nor compare other text, and would fail the query.
func CleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// CleanValues reports whether every key and value of v is CleanText.
func CleanValues(v url.Values) bool {
	for k, vs := range v {
		if !CleanText(k) {
			return false
		}
		for _, s := range vs {
			if !CleanText(s) {
				return false
			}
		}
	}
	return true
}

// SameOrigin reports whether a form post comes from a page of publicURL's
// origin: by Origin, or by Referer for browsers that send no Origin.
func SameOrigin(publicURL string, r *http.Request) bool {
	u, err := url.Parse(publicURL)
	if err != nil {
		return false
	}
	own := u.Scheme + "://" + u.Host
	if o := r.Header.Get("Origin"); o != "" {
		return o == own
	}
	ref := r.Header.Get("Referer")
	return ref == own || strings.HasPrefix(ref, own+"/")
}

// ClientIP is the address a request came from: the connection's peer
// (behind a proxy, the proxy's).
func ClientIP(r *http.Request) string {
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return ip
	}
	return r.RemoteAddr
}
