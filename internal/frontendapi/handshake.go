package frontendapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/handshake"
	"github.com/conciergehq/concierge/internal/session"
)

// The handshake of Clerk's server SDKs (handshake.md §1.4): a page load
// the application cannot authenticate from its cookies is sent here; the
// answer is a 307 back to the page carrying a signed list of Set-Cookie
// directives (a fresh __session, __client_uat, ...) for the application
// to set on its own domain.

var (
	errRedirectInvalid = errs.New(errs.Invalid, "invalid_redirect_url", "Invalid redirect URL",
		"redirect_url must be the absolute http(s) URL of a page of your application.").WithParam("redirect_url")
	errRedirectDomain = errs.New(errs.Invalid, "redirect_url_domain_mismatch", "Redirect URL not allowed",
		"redirect_url must belong to your instance's domain: add its origin to the allowed origins, or register it as a redirect URL.").WithParam("redirect_url")
	errSatellite = errs.New(errs.BadRequest, "satellite_domains_not_supported", "Satellite domains are not supported",
		"Concierge serves applications on its own registrable domain (or through a proxy URL); satellite domains are not supported.")
)

// jar is the cookie writer for an application page on secure (https).
func (a *API) jar(secure bool) handshake.Jar {
	return handshake.Jar{Production: a.Production, Domain: a.CookieDomain, Secure: secure, Suffix: handshake.Suffix(a.PublishableKey)}
}

// handshakeTarget checks redirect_url: an absolute http(s) URL that
// RedirectAllowed accepts (an allowed origin or a registered URL), since
// in development the payload rides in its query string.
func (a *API) handshakeTarget(r *http.Request) (*url.URL, error) {
	raw := r.URL.Query().Get("redirect_url")
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, errRedirectInvalid
	}
	if !a.RedirectAllowed(r.Context(), raw) {
		return nil, errRedirectDomain
	}
	return u, nil
}

// handshakeClient finds the browser's client: in development the
// development browser's token (__clerk_db_jwt) when it names a live
// client, else the __client cookie; a development browser without either
// gets a new client, as Clerk mints a development browser. It returns the
// token to hand the application as its development browser ("" in
// production).
func (a *API) handshakeClient(w http.ResponseWriter, r *http.Request) (*session.Client, string, error) {
	ctx := r.Context()
	if !a.Production {
		if tok := r.URL.Query().Get(DevBrowserParam); tok != "" {
			if c, err := a.Sessions.ClientFromToken(ctx, tok); err == nil {
				return c, tok, nil
			} else if e, ok := errs.As(err); !ok || e.Code != "client_not_found" {
				return nil, "", err
			}
		}
	}
	if ck, err := r.Cookie(ClientCookie); err == nil && ck.Value != "" {
		c, err := a.Sessions.ClientFromToken(ctx, ck.Value)
		if err == nil {
			return c, a.devOnly(ck.Value), nil
		}
		if e, ok := errs.As(err); !ok || e.Code != "client_not_found" {
			return nil, "", err
		}
	}
	if a.Production {
		return nil, "", nil
	}
	c, tok, err := a.Sessions.NewClient(ctx)
	if err != nil {
		return nil, "", err
	}
	a.setCookie(w, tok)
	return c, tok, nil
}

func (a *API) devOnly(tok string) string {
	if a.Production {
		return ""
	}
	return tok
}

func (a *API) handshake(w http.ResponseWriter, r *http.Request) error {
	target, err := a.handshakeTarget(r)
	if err != nil {
		return err
	}
	c, devBrowser, err := a.handshakeClient(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	var jwt string
	var exp time.Time
	var uat int64
	if c != nil {
		if c, err = a.Sessions.Client(ctx, c.ID); err != nil {
			return err
		}
		if err := a.handshakeOrganization(ctx, c, q); err != nil {
			return err
		}
		// The session token's azp is the application's origin, as when
		// clerk-js mints one on the application's page.
		tok, claims, err := a.Sessions.ActiveToken(ctx, c, target.Scheme+"://"+target.Host)
		if err != nil {
			return err
		}
		if tok != "" {
			jwt, exp = tok, claims.Expiry.Time()
			// Never later than the token's iat, or the SDK would judge
			// the token stale and come back.
			uat = min(c.SignedInChangedAt(a.Sessions.Now().UnixMilli()), claims.IssuedAt.Time().UnixMilli())
		}
	}
	jar := a.jar(target.Scheme == "https")
	directives := jar.Payload(jwt, exp, uat, devBrowser, q.Get("suffixed_cookies") == "true")

	name, value := handshake.TokenCookie, ""
	if q.Get("format") == "nonce" {
		name = handshake.NonceCookie
		value, err = a.Nonces.New(ctx, directives)
	} else {
		value, err = a.Sessions.Keys.SignClaims(map[string]any{"handshake": directives,
			"iat": a.Sessions.Now().Unix(), "exp": a.Sessions.Now().Add(handshake.NonceTTL).Unix()})
		if err == nil && len(value) > maxHandshakeCookie {
			name = handshake.NonceCookie
			value, err = a.Nonces.New(ctx, directives)
		}
	}
	if err != nil {
		return err
	}
	back := *target
	if a.Production {
		http.SetCookie(w, jar.Carrier(name, value))
	} else {
		bq := back.Query()
		bq.Set(name, value)
		back.RawQuery = bq.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, back.String(), http.StatusTemporaryRedirect)
	return nil
}

// maxHandshakeCookie is the longest payload token sent as such; longer
// ones go by nonce, as a cookie holds about 4 KB.
const maxHandshakeCookie = 3800

func (a *API) satellite(http.ResponseWriter, *http.Request) error { return errSatellite }

// clientUAT sets __client_uat on the applications' domain from a
// production Frontend API answer that carries the client (c nil: none),
// as Clerk's does: clerk-js writes it only in development, and server
// SDKs read it to tell signed-in from signed-out without a call.
func (a *API) clientUAT(w http.ResponseWriter, c *session.Client) {
	if !a.Production {
		return
	}
	var at int64
	if c != nil {
		at = c.SignedInChangedAt(a.Sessions.Now().UnixMilli())
	}
	for _, d := range a.jar(strings.HasPrefix(a.PublicURL, "https://")).ClientUAT(at) {
		w.Header().Add("Set-Cookie", d)
	}
}

// handshakeOrganization applies organization_id, which the server SDKs
// send when their organizationSyncOptions match the page: an ID or slug
// makes that organization active if the user is a member (otherwise the
// session is left as it is), empty selects the personal account.
func (a *API) handshakeOrganization(ctx context.Context, c *session.Client, q url.Values) error {
	org, ok := q["organization_id"]
	if !ok || c.LastActiveSessionID == nil || a.Organizations == nil {
		return nil
	}
	_, err := a.Sessions.Touch(ctx, c, *c.LastActiveSessionID, &org[0])
	if e, isErr := errs.As(err); isErr && (e.Kind == errs.NotFound || e.Code == "signed_out") {
		return nil
	}
	return err
}
