// Package handshake holds what server-rendered applications need of the
// Frontend API (handshake.md): the cookies Clerk's server SDKs read
// (__session, __client_uat, __clerk_db_jwt, the handshake carriers), as
// Set-Cookie directives for the handshake payload and for the Frontend
// API's own responses, and the sealed nonces that carry a payload too
// large for a cookie.
package handshake

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// Cookie names the SDKs read.
const (
	SessionCookie    = "__session"
	ClientUATCookie  = "__client_uat"
	DevBrowserCookie = "__clerk_db_jwt"
	TokenCookie      = "__clerk_handshake"
	NonceCookie      = "__clerk_handshake_nonce"
)

// uatMaxAge is how long __client_uat lives: about ten years, as Clerk's.
const uatMaxAge = 315360000

// Suffix is the cookie-name suffix the SDKs derive from the publishable
// key: the first 8 characters of base64url(SHA-1(key)).
func Suffix(publishableKey string) string {
	sum := sha1.Sum([]byte(publishableKey))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:8]
}

// Jar writes the SDKs' cookies for one instance and one application.
type Jar struct {
	// Production instances get __client_uat on Domain (the applications'
	// registrable domain); development ones host-only, as clerk-js
	// writes it there.
	Production bool
	Domain     string
	// Secure marks cookies Secure (the application is on https).
	Secure bool
	// Suffix is the publishable key's cookie suffix.
	Suffix string
}

// cookie renders one directive. domain "" is host-only; maxAge < 0
// deletes.
func (j Jar) cookie(name, value, domain string, maxAge int, expires time.Time) string {
	c := &http.Cookie{Name: name, Value: value, Path: "/", Domain: domain, SameSite: http.SameSiteLaxMode, Secure: j.Secure}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = maxAge
	case !expires.IsZero():
		c.Expires = expires
	}
	return c.String()
}

// both renders name and its suffixed twin, as the SDKs read either.
func (j Jar) both(name, value, domain string, maxAge int, expires time.Time) []string {
	return []string{j.cookie(name, value, domain, maxAge, expires), j.cookie(name+"_"+j.Suffix, value, domain, maxAge, expires)}
}

func (j Jar) uatDomain() string {
	if j.Production {
		return j.Domain
	}
	return ""
}

// ClientUAT sets __client_uat (and its suffixed twin) to the Unix
// seconds of uatMillis, or "0" when signed out.
func (j Jar) ClientUAT(uatMillis int64) []string {
	v := "0"
	if uatMillis > 0 {
		v = strconv.FormatInt(uatMillis/1000, 10)
	}
	out := j.both(ClientUATCookie, v, j.uatDomain(), uatMaxAge, time.Time{})
	if j.Production {
		// A host-only copy on the application's host would shadow the
		// shared one.
		out = append(out, j.both(ClientUATCookie, "", "", -1, time.Time{})...)
	}
	return out
}

// Payload lists the directives a handshake hands to the application:
// a fresh session token (empty: signed out) expiring at exp, the client's
// __client_uat, the development browser's token in development, and the
// deletion of the production carriers. suffixed adds the suffixed
// __session the SDK then reads.
func (j Jar) Payload(sessionToken string, exp time.Time, uatMillis int64, devBrowser string, suffixed bool) []string {
	var out []string
	session := func(value string, maxAge int, exp time.Time) {
		out = append(out, j.cookie(SessionCookie, value, "", maxAge, exp))
		if suffixed {
			out = append(out, j.cookie(SessionCookie+"_"+j.Suffix, value, "", maxAge, exp))
		}
	}
	if sessionToken == "" {
		session("", -1, time.Time{})
		uatMillis = 0
	} else {
		session(sessionToken, 0, exp)
	}
	out = append(out, j.ClientUAT(uatMillis)...)
	if devBrowser != "" {
		out = append(out, j.both(DevBrowserCookie, devBrowser, "", 365*24*3600, time.Time{})...)
	}
	if j.Production {
		for _, name := range []string{TokenCookie, NonceCookie} {
			out = append(out, j.cookie(name, "", j.Domain, -1, time.Time{}), j.cookie(name, "", "", -1, time.Time{}))
		}
	}
	return out
}

// Carrier is the production handshake's cookie: the payload token or
// its nonce, on the applications' domain, for the redirect back.
func (j Jar) Carrier(name, value string) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", Domain: j.Domain, MaxAge: 60, HttpOnly: true,
		Secure: j.Secure, SameSite: http.SameSiteLaxMode}
}
