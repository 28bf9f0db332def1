package backendapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/user"
)

// Reads of users keep the JSON they render in a.UserJSON, keyed by the
// user's revision (see package revcache): a read can ask the store for
// the revisions only (one column a user, where the whole user is 44 and
// its identifiers) and render just the users whose copy is missing or
// stale.

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
// time: a lockout still running shows the seconds it has left. u must
// come from a read (see writeUser).
func (a *API) renderUser(u *user.User) ([]byte, error) {
	now := time.Now().UnixMilli()
	b, err := a.encodeUser(u, now)
	if err == nil && (u.LockoutUntil == nil || *u.LockoutUntil <= now) {
		a.UserJSON.Put(u.ID, u.Revision, b)
	}
	return b, err
}

// encodeUser is u's JSON at now, through the hand-written encoder.
func (a *API) encodeUser(u *user.User, now int64) ([]byte, error) {
	out := UserObject(a.PublicURL, u, now, true)
	b, err := out.AppendJSON(make([]byte, 0, 2560))
	if err != nil {
		// Not for the hand-written encoder (metadata that is not JSON):
		// encoding/json says what it makes of it, without escaping HTML
		// as respond.JSON does not.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	return b, nil
}

// A list's users are read one of two ways. By revisions: the page's IDs
// and revisions first, then whole only the users whose copy is stale;
// that saves reading whole users when most of a page is kept, and costs a
// second statement for the others. Or directly: the page read whole, as
// with no cache, each user's copy served if current and kept if not.
// Which pays depends on how much of a page is kept, so each kind of list
// (plain pages, lookups, searches) keeps a running share of its users
// found kept, measured either way, and goes by revisions while that share
// is at least half. A search at a million users finds little kept and
// reads directly; the newest page, or lookups among users read before,
// go by revisions.

// keptShare is a running share of listed users found kept, in 1/1024ths,
// each page weighing an eighth. Updates may race: it is an estimate.
type keptShare struct{ v atomic.Int64 }

func (k *keptShare) add(kept, n int) {
	if n > 0 {
		old := k.v.Load()
		k.v.Store(old - old/8 + int64(kept*1024/n)/8)
	}
}

func (k *keptShare) mostlyKept() bool { return k.v.Load() >= 512 }

// listKind sorts lists for keptShare: 0 a page with no filter of users,
// 1 a lookup by identifiers or IDs, 2 a search.
func listKind(f *user.Filter) int {
	switch {
	case f.Query != "" || f.EmailAddressQuery != "" || f.PhoneNumberQuery != "" || f.UsernameQuery != "" || f.NameQuery != "":
		return 2
	case len(f.EmailAddresses)+len(f.PhoneNumbers)+len(f.Usernames)+len(f.Web3Wallets)+len(f.UserIDs)+
		len(f.ExternalIDs)+len(f.ProviderUserIDs) > 0:
		return 1
	}
	return 0
}

// listCachedUsers answers a list with the cache, by revisions or
// directly (see keptShare). Users changed between the page's revisions and
// their whole read show as they are now, in the place the page found them;
// one deleted in between is left out.
func (a *API) listCachedUsers(w http.ResponseWriter, r *http.Request, q user.Query) error {
	lookup := ""
	if kind, value, ok := q.SingleIdentifier(); ok {
		lookup = "lookup\x00" + kind + "\x00" + value
		if b := a.cachedLookup(r.Context(), lookup); b != nil {
			respond.Raw(w, http.StatusOK, append(append(append(make([]byte, 0, len(b)+2), '['), b...), ']'))
			return nil
		}
	}
	share := &a.kept[listKind(&q.Filter)]
	var page [][]byte
	var revs []user.Revision
	var err error
	if via := a.UserListVia; via == "revisions" || via == "" && share.mostlyKept() {
		page, revs, err = a.listByRevision(r.Context(), q, share)
	} else {
		page, revs, err = a.listDirect(r.Context(), q, share)
	}
	if err != nil {
		return err
	}
	if lookup != "" && len(revs) == 1 {
		a.UserJSON.Put(lookup, revs[0].Rev, []byte(revs[0].ID))
	}
	size := 2
	for _, u := range page {
		size += len(u) + 1
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

// cachedLookup answers a lookup of one identifier (key names it) from
// the cache: the owner found last time, if that user's revision still
// stands. No change to a user's identifiers leaves its revision as it
// was, and an identifier has one owner at a time, so the owner then is
// the owner now. It returns nil to go the long way.
func (a *API) cachedLookup(ctx context.Context, key string) []byte {
	rev, id, ok := a.UserJSON.Peek(key)
	if !ok {
		return nil
	}
	now, err := a.Users.Revision(ctx, string(id))
	if err != nil || now != rev {
		return nil
	}
	b, _ := a.UserJSON.Get(string(id), rev)
	return b
}

func (a *API) listByRevision(ctx context.Context, q user.Query, share *keptShare) ([][]byte, []user.Revision, error) {
	revs, err := a.Users.ListRevisions(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	page := make([][]byte, len(revs))
	var stale []string
	for i, rv := range revs {
		if b, ok := a.UserJSON.Get(rv.ID, rv.Rev); ok {
			page[i] = b
		} else {
			stale = append(stale, rv.ID)
		}
	}
	share.add(len(revs)-len(stale), len(revs))
	if len(stale) == 0 {
		return page, revs, nil
	}
	users, err := a.Users.ByID(ctx, stale)
	if err != nil {
		return nil, nil, err
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
				return nil, nil, err
			}
		}
	}
	return page, revs, nil
}

func (a *API) listDirect(ctx context.Context, q user.Query, share *keptShare) ([][]byte, []user.Revision, error) {
	users, err := a.Users.List(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	page := make([][]byte, len(users))
	revs := make([]user.Revision, len(users))
	kept := 0
	for i, u := range users {
		revs[i] = user.Revision{ID: u.ID, Rev: u.Revision}
		if b, ok := a.UserJSON.Get(u.ID, u.Revision); ok {
			page[i] = b
			kept++
			continue
		}
		if page[i], err = a.renderUser(u); err != nil {
			return nil, nil, err
		}
	}
	share.add(kept, len(users))
	return page, revs, nil
}
