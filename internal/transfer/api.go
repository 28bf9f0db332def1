package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiPageSize is the largest page Clerk's GET /v1/users serves.
const apiPageSize = 500

// APISource pages through GET /v1/users of a Clerk-compatible Backend API
// (Clerk's own, or another Concierge), oldest users first so that users
// created during the pull land on later pages. It gives what a CSV lacks:
// verification states, external accounts, times and flags; password
// digests never leave such an API, so import a CSV for those (the import
// command runs both in one go).
type APISource struct {
	BaseURL string // e.g. https://api.clerk.com (with or without /v1)
	Key     string // a secret key, sk_…
	Client  *http.Client

	ctx    context.Context
	offset int64
	page   []json.RawMessage
	seq    int64
	total  int64
	done   bool
}

// NewAPISource returns a source that starts after skip users.
func NewAPISource(ctx context.Context, baseURL, key string, skip int64) *APISource {
	base := strings.TrimSuffix(strings.TrimSuffix(baseURL, "/"), "/v1")
	return &APISource{BaseURL: base, Key: key, Client: &http.Client{Timeout: 60 * time.Second},
		ctx: ctx, offset: skip, seq: skip, total: -1}
}

// Total asks the API how many users it has.
func (s *APISource) Total() (int64, error) {
	var out struct {
		TotalCount int64 `json:"total_count"`
	}
	if err := s.get("/v1/users/count", nil, &out); err != nil {
		return 0, err
	}
	s.total = out.TotalCount
	return out.TotalCount, nil
}

func (s *APISource) Next() (*Item, error) {
	for len(s.page) == 0 {
		if s.done {
			return nil, io.EOF
		}
		q := url.Values{"limit": {strconv.Itoa(apiPageSize)}, "offset": {strconv.FormatInt(s.offset, 10)},
			"order_by": {"+created_at"}}
		var page []json.RawMessage
		if err := s.get("/v1/users", q, &page); err != nil {
			return nil, err
		}
		s.offset += int64(len(page))
		s.done = len(page) < apiPageSize
		s.page = page
	}
	raw := s.page[0]
	s.page = s.page[1:]
	s.seq++
	it := &Item{Seq: s.seq, Raw: []string{string(raw)}}
	it.Rec, it.Err = decodeShape(ShapeUser, raw)
	return it, nil
}

// get calls the API, retrying what Clerk says to retry (429 and 5xx)
// with backoff, and honouring Retry-After.
func (s *APISource) get(path string, q url.Values, out any) error {
	u := s.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var last error
	for attempt := 0; attempt < 6; attempt++ {
		req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+s.Key)
		req.Header.Set("Accept", "application/json")
		res, err := s.Client.Do(req)
		if err != nil {
			if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
			last = err
		} else {
			body, rerr := io.ReadAll(io.LimitReader(res.Body, 64<<20))
			res.Body.Close()
			switch {
			case rerr != nil:
				last = rerr
			case res.StatusCode == http.StatusOK:
				if err := json.Unmarshal(body, out); err != nil {
					return fmt.Errorf("GET %s: the answer is not the Backend API's: %v", path, err)
				}
				return nil
			case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
				last = fmt.Errorf("GET %s: %s", path, res.Status)
				if wait, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && wait > 0 && wait < 120 {
					if err := sleep(s.ctx, time.Duration(wait)*time.Second); err != nil {
						return err
					}
					continue
				}
			default:
				return fmt.Errorf("GET %s: %s: %s", path, res.Status, clip(strings.TrimSpace(string(body))))
			}
		}
		if err := sleep(s.ctx, time.Duration(250<<attempt)*time.Millisecond); err != nil {
			return err
		}
	}
	return last
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
