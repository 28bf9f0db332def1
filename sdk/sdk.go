// Package sdk is the Go client of Concierge's Backend API: users, sessions,
// clients, invitations, allowlist identifiers, emails and SMS messages, plus
// networkless verification of session tokens and a net/http middleware.
//
// Build a Client from a Config and call its sub-APIs:
//
//	c, err := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
//	users, err := c.Users.List(ctx, &sdk.UserListParams{OrderBy: "-created_at", Limit: 10})
//
// Every call returns an *APIError for an error answer; errors.Is matches it
// against ErrNotFound, ErrIdentifierExists, ErrUnauthorized and
// ErrRateLimited. There is no package-level state: several clients, for
// several instances, can live side by side.
package sdk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config configures a Client.
type Config struct {
	// BaseURL is Concierge's URL (CONCIERGE_PUBLIC_URL), without /v1.
	BaseURL string
	// SecretKey is an sk_test_ or sk_live_ key of the instance.
	SecretKey string
	// HTTPClient sends the requests; nil means a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds each request when HTTPClient is nil (default 10 s).
	Timeout time.Duration
	// UserAgent is sent with each request (default "concierge-go").
	UserAgent string
}

// Client is a Concierge Backend API client. It is safe for concurrent use.
type Client struct {
	AllowlistIdentifiers *AllowlistIdentifiers
	Clients              *Clients
	Invitations          *Invitations
	Sessions             *Sessions
	Users                *Users
	Emails               *Emails
	SMSMessages          *SMSMessages

	base   string
	key    string
	http   *http.Client
	agent  string
	jwks   *jwksCache
	issuer string
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sdk: BaseURL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.SecretKey == "" {
		return nil, errors.New("sdk: SecretKey is required")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := cfg.Timeout
		if t == 0 {
			t = 10 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	agent := cfg.UserAgent
	if agent == "" {
		agent = "concierge-go"
	}
	c := &Client{base: u.String() + "/v1", key: cfg.SecretKey, http: hc, agent: agent, issuer: u.String()}
	c.AllowlistIdentifiers = &AllowlistIdentifiers{c}
	c.Clients = &Clients{c}
	c.Invitations = &Invitations{c}
	c.Sessions = &Sessions{c}
	c.Users = &Users{c}
	c.Emails = &Emails{c}
	c.SMSMessages = &SMSMessages{c}
	c.jwks = &jwksCache{c: c}
	return c, nil
}

// do sends one call: body (if not nil) as JSON, the answer decoded into
// out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 400 {
		return decodeError(res, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("sdk: decoding %s %s: %w", method, path, err)
	}
	return nil
}

// pathEscape keeps an ID from changing the path it is put in.
func pathEscape(id string) string { return url.PathEscape(id) }

// listQuery is the paging every list shares.
func listQuery(limit, offset int) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return q
}

// List is one page of a list and the total number of items that match.
type List[T any] struct {
	Data       []T   `json:"data"`
	TotalCount int64 `json:"total_count"`
}

// DeletedObject is the answer to a deletion.
type DeletedObject struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// PublishableKey is the publishable key Clerk's front-end libraries take
// for a Concierge at baseURL whose instance type is not known: pk_live_
// over https, pk_test_ otherwise. A Concierge says its own (its start-up
// log, the dashboard); PublishableKeyFor computes it from the type.
func PublishableKey(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return PublishableKeyFor(baseURL, u.Scheme == "https")
}

// PublishableKeyFor is the publishable key of a Concierge at baseURL:
// pk_live_ for a production instance, pk_test_ for a development one,
// then base64 of "<host>$". Clerk's SDKs treat pk_live_ keys as
// production (cookies, handshake) and any other as development.
func PublishableKeyFor(baseURL string, production bool) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	prefix := "pk_test_"
	if production {
		prefix = "pk_live_"
	}
	return prefix + base64.StdEncoding.EncodeToString([]byte(u.Host+"$"))
}
