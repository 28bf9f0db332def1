package backendapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/user"
)

// Reads of users keep the JSON they render in a.UserJSON, keyed by the
// user's revision (see package revcache): a read asks the store for the
// revisions only (one column a user, where the whole user is 44 and its
// identifiers) and renders just the users whose copy is missing or stale.

// cachedUser returns the kept JSON of user id if it is current, nil if
// there is none to serve, or the store's error (a user not found).
func (a *API) cachedUser(ctx context.Context, id string) ([]byte, error) {
	if !a.UserJSON.Has(id) {
		return nil, nil // no copy: read the whole user at once
	}
	rev, err := a.Users.Revision(ctx, id)
	if err != nil {
		a.UserJSON.Forget(id)
		return nil, err
	}
	b, _ := a.UserJSON.Get(id, rev)
	return b, nil
}

// renderUser is u's JSON, kept for its revision unless it depends on the
// time: a lockout still running shows the seconds it has left.
func (a *API) renderUser(u *user.User) ([]byte, error) {
	now := time.Now().UnixMilli()
	out := UserObject(a.PublicURL, u, now, true)
	b, err := out.AppendJSON(make([]byte, 0, 2560))
	if err != nil {
		// Not for the hand-written encoder (metadata that is not JSON):
		// encoding/json says what it makes of it.
		return json.Marshal(out)
	}
	if u.LockoutUntil == nil || *u.LockoutUntil <= now {
		a.UserJSON.Put(u.ID, u.Revision, b)
	}
	return b, nil
}

// listCachedUsers answers a list from the page's revisions: kept copies
// for the users unchanged since, one read of the others. Those are read
// a moment after the page was chosen, so a user changed in between shows
// as it is now, in the place the page found it; one deleted in between
// is left out.
func (a *API) listCachedUsers(w http.ResponseWriter, r *http.Request, q user.Query) error {
	revs, err := a.Users.ListRevisions(r.Context(), q)
	if err != nil {
		return err
	}
	page := make([][]byte, len(revs))
	var stale []string
	size := 2
	for i, rv := range revs {
		if b, ok := a.UserJSON.Get(rv.ID, rv.Rev); ok {
			page[i] = b
			size += len(b) + 1
		} else {
			stale = append(stale, rv.ID)
		}
	}
	if len(stale) > 0 {
		users, err := a.Users.ByID(r.Context(), stale)
		if err != nil {
			return err
		}
		byID := make(map[string]*user.User, len(users))
		for _, u := range users {
			byID[u.ID] = u
		}
		for i, rv := range revs {
			if page[i] != nil {
				continue
			}
			if u := byID[rv.ID]; u != nil {
				if page[i], err = a.renderUser(u); err != nil {
					return err
				}
				size += len(page[i]) + 1
			}
		}
	}
	b := append(make([]byte, 0, size), '[')
	first := true
	for _, u := range page {
		if u == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, u...)
	}
	respond.Raw(w, http.StatusOK, append(b, ']'))
	return nil
}
