// Package redirecturl holds the instance's registered redirect URLs:
// where a sign-in or sign-up may send the browser or native app besides
// the allowed origins, such as a mobile app's myapp://oauth-callback.
package redirecturl

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/httpcheck"
	"github.com/conciergehq/concierge/internal/id"
)

// RedirectURL is one registered URL. Times are Unix milliseconds.
type RedirectURL struct {
	ID        string
	URL       string
	CreatedAt int64
	UpdatedAt int64
}

// Store persists redirect URLs; the URL is unique, and a duplicate is
// reported as Duplicate.
type Store interface {
	CreateRedirectURL(ctx context.Context, u *RedirectURL) error
	// RedirectURLs returns a page, newest first, and the total.
	RedirectURLs(ctx context.Context, limit, offset int) ([]RedirectURL, int64, error)
	RedirectURL(ctx context.Context, id string) (*RedirectURL, error)
	DeleteRedirectURL(ctx context.Context, id string) error
	// AllRedirectURLs returns every registered URL, for the check.
	AllRedirectURLs(ctx context.Context) ([]string, error)
}

// maxLen bounds a URL: it is a unique key, and no real one is longer.
const maxLen = 2000

// Service applies the rules on a Store and answers redirect checks from
// memory.
type Service struct {
	Store Store
	Now   func() time.Time
	// TTL is how long the in-memory list is trusted: changes made here
	// clear it at once, changes by another process on the same database
	// are seen within TTL.
	TTL time.Duration

	mu      sync.Mutex
	urls    []string
	fetched time.Time
}

// Create registers a URL after checking it.
func (s *Service) Create(ctx context.Context, raw string) (*RedirectURL, error) {
	raw = strings.TrimSpace(raw)
	if err := Check(raw); err != nil {
		return nil, err
	}
	now := s.Now()
	ms := now.UnixMilli()
	u := &RedirectURL{ID: id.NewAt(id.RedirectURL, now), URL: raw, CreatedAt: ms, UpdatedAt: ms}
	if err := s.Store.CreateRedirectURL(ctx, u); err != nil {
		return nil, err
	}
	s.invalidate()
	return u, nil
}

// List returns a page of URLs, newest first, and the total count.
func (s *Service) List(ctx context.Context, limit, offset int) ([]RedirectURL, int64, error) {
	return s.Store.RedirectURLs(ctx, limit, offset)
}

// Get returns one URL by ID.
func (s *Service) Get(ctx context.Context, id string) (*RedirectURL, error) {
	return s.Store.RedirectURL(ctx, id)
}

// Delete removes a URL.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := s.Store.DeleteRedirectURL(ctx, id); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// Allowed reports whether raw is a registered URL or lies under one. A
// dangerous scheme is never allowed, whatever the list holds. A failed
// lookup allows nothing: refusing a redirect is the safe side.
func (s *Service) Allowed(ctx context.Context, raw string) bool {
	if Dangerous(raw) {
		return false
	}
	urls, err := s.all(ctx)
	if err != nil {
		return false
	}
	for _, reg := range urls {
		if Matches(reg, raw) {
			return true
		}
	}
	return false
}

func (s *Service) all(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if s.urls != nil && now.Sub(s.fetched) < s.TTL {
		return s.urls, nil
	}
	urls, err := s.Store.AllRedirectURLs(ctx)
	if err != nil {
		return nil, err
	}
	if urls == nil {
		urls = []string{}
	}
	s.urls, s.fetched = urls, now
	return urls, nil
}

// Invalidate drops the cached list (another process changed it).
func (s *Service) Invalidate() { s.invalidate() }

func (s *Service) invalidate() {
	s.mu.Lock()
	s.urls = nil
	s.mu.Unlock()
}

// dangerous are the schemes that run code or read local files where a
// browser lands: never a redirect target.
var dangerous = []string{"javascript", "data", "vbscript", "file", "blob"}

// Dangerous reports whether raw has (or a browser would read it as
// having) a scheme that runs script or reads local files. Browsers drop
// tabs, newlines and leading spaces before reading the scheme, so this
// does too.
func Dangerous(raw string) bool {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, raw)
	s = strings.ToLower(strings.TrimLeft(s, " \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"))
	for _, d := range dangerous {
		if strings.HasPrefix(s, d+":") {
			return true
		}
	}
	return false
}

// Check validates a URL to register: absolute, with http(s) or a custom
// scheme (native apps), never a dangerous one.
func Check(raw string) error {
	if raw == "" {
		return errs.ParamMissing("url")
	}
	if Dangerous(raw) {
		return errs.New(errs.Invalid, "form_param_format_invalid", "is invalid",
			"url must not use the javascript, data, vbscript, file or blob scheme.").WithParam("url")
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxLen || !httpcheck.CleanText(raw) || u.Scheme == "" || u.User != nil ||
		((u.Scheme == "http" || u.Scheme == "https") && u.Host == "") ||
		(u.Host == "" && u.Opaque == "" && u.Path == "") {
		return errs.ParamFormat("url", "url must be an absolute URL with https:// or a custom scheme, e.g. https://my-app.com/oauth-callback or my-app://oauth-callback.")
	}
	return nil
}

// Matches reports whether candidate is registered (or lies under it):
// the same URL, or the registered one followed by a path, query or
// fragment. Scheme and host compare without case; a prefix must end at a
// boundary, so https://app.example does not admit
// https://app.example.evil.
func Matches(registered, candidate string) bool {
	r, err1 := url.Parse(registered)
	c, err2 := url.Parse(candidate)
	if err1 != nil || err2 != nil || c.User != nil || !strings.EqualFold(r.Scheme, c.Scheme) ||
		!strings.EqualFold(r.Host, c.Host) || r.Opaque != c.Opaque {
		return false
	}
	rest := func(u *url.URL) string {
		s := u.EscapedPath()
		if u.RawQuery != "" || u.ForceQuery {
			s += "?" + u.RawQuery
		}
		if u.Fragment != "" {
			s += "#" + u.EscapedFragment()
		}
		return s
	}
	// A dot segment would let a browser climb out of the registered path
	// (browsers also read \ as / in web URLs).
	for _, seg := range strings.FieldsFunc(c.Path, func(ch rune) bool { return ch == '/' || ch == '\\' }) {
		if seg == "." || seg == ".." {
			return false
		}
	}
	rr, cr := rest(r), rest(c)
	if rr == cr || rr == "" || rr == "/" && strings.HasPrefix(cr, "/") {
		return true
	}
	if !strings.HasPrefix(cr, rr) {
		return false
	}
	if strings.HasSuffix(rr, "/") {
		return true
	}
	next := cr[len(rr)]
	return next == '/' || next == '?' || next == '#'
}

// Duplicate is the error for a URL already registered.
func Duplicate(u string) error {
	return errs.New(errs.Invalid, "duplicate_record", "duplicate redirect url",
		"the redirect url "+u+" already exists").WithParam("url")
}

// NotFound is the error for an unknown ID.
func NotFound(id string) error {
	return errs.ResourceNotFound("Redirect URL not found", "No redirect url was found with id "+id)
}
