package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

const pageSize = 20

type userRow struct {
	ID, Name, Email, Phone, Username string
	CreatedAt                        int64
	LastSignInAt                     *int64
	Banned, Locked                   bool
}

type usersData struct {
	Query, Sort      string
	Rows             []userRow
	Total            int64
	Offset           int
	PrevURL, NextURL string
	Sorts            []sortLink
}

type sortLink struct {
	Label, URL string
	Active     bool
}

// title names the user on their page.
func (r userRow) title() string {
	for _, s := range []string{r.Email, r.Phone, r.Username, r.Name} {
		if s != "" {
			return s
		}
	}
	return r.ID
}

func rowOf(u *user.User, now int64) userRow {
	r := userRow{ID: u.ID, CreatedAt: u.CreatedAt, LastSignInAt: u.LastSignInAt, Banned: u.Banned, Locked: u.LockedAt(now)}
	var name []string
	for _, p := range []*string{u.FirstName, u.LastName} {
		if p != nil && *p != "" {
			name = append(name, *p)
		}
	}
	r.Name = strings.Join(name, " ")
	if u.Username != nil {
		r.Username = *u.Username
	}
	for _, i := range u.Identifiers {
		switch {
		case i.Kind == user.EmailAddress && (r.Email == "" || (u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == i.ID)):
			r.Email = i.Value
		case i.Kind == user.PhoneNumber && r.Phone == "":
			r.Phone = i.Value
		}
	}
	return r
}

// users lists users: the Backend API's query search, a sort, pages. With
// partial=1 it answers only the table (for search as you type).
func (d *Dashboard) users(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data := usersData{Query: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort")}
	if len(data.Query) > 256 {
		data.Query = data.Query[:256]
		for !utf8.ValidString(data.Query) {
			data.Query = data.Query[:len(data.Query)-1]
		}
	}
	if data.Sort == "" {
		data.Sort = "-created_at"
	}
	field := strings.TrimLeft(data.Sort, "+-")
	if !slices.Contains(user.OrderFields, field) {
		data.Sort, field = "-created_at", "created_at"
	}
	data.Offset, _ = strconv.Atoi(q.Get("offset"))
	data.Offset = max(0, data.Offset)
	f := user.Filter{Query: data.Query}
	list, err := d.Users.List(r.Context(), user.Query{Filter: f, OrderBy: field, Desc: strings.HasPrefix(data.Sort, "-"),
		Limit: pageSize, Offset: data.Offset})
	if err != nil {
		return err
	}
	if data.Total, err = d.Users.Count(r.Context(), f); err != nil {
		return err
	}
	now := d.Now().UnixMilli()
	for _, u := range list {
		data.Rows = append(data.Rows, rowOf(u, now))
	}
	link := func(sort string, offset int) string {
		v := url.Values{}
		if data.Query != "" {
			v.Set("q", data.Query)
		}
		v.Set("sort", sort)
		if offset > 0 {
			v.Set("offset", strconv.Itoa(offset))
		}
		return "/dashboard/users?" + v.Encode()
	}
	if data.Offset > 0 {
		data.PrevURL = link(data.Sort, max(0, data.Offset-pageSize))
	}
	if int64(data.Offset+pageSize) < data.Total {
		data.NextURL = link(data.Sort, data.Offset+pageSize)
	}
	for _, s := range []struct{ label, field string }{{"Newest", "-created_at"}, {"Oldest", "+created_at"},
		{"Email", "+email_address"}, {"Last name", "+last_name"}, {"Last sign-in", "-last_sign_in_at"}} {
		data.Sorts = append(data.Sorts, sortLink{Label: s.label, URL: link(s.field, 0), Active: s.field == data.Sort ||
			(strings.TrimPrefix(s.field, "+") == data.Sort)})
	}
	if q.Get("partial") == "1" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return pages()["users"].ExecuteTemplate(w, "rows", data)
	}
	return d.render(w, r, "users", http.StatusOK, view{Title: "Users", Nav: "users", Data: data})
}

type newUserData struct {
	Email, Phone, Username, FirstName, LastName string
}

func (d *Dashboard) newUserPage(w http.ResponseWriter, r *http.Request) error {
	return d.render(w, r, "user_new", http.StatusOK, view{Title: "New user", Nav: "users", Data: newUserData{}})
}

func (d *Dashboard) createUser(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	data := newUserData{Email: f.Get("email_address"), Phone: f.Get("phone_number"), Username: f.Get("username"),
		FirstName: f.Get("first_name"), LastName: f.Get("last_name")}
	p := user.CreateParams{}
	if data.Email != "" {
		p.EmailAddresses = []string{data.Email}
	}
	if data.Phone != "" {
		p.PhoneNumbers = []string{data.Phone}
	}
	for _, x := range []struct {
		v   string
		dst **string
	}{{data.Username, &p.Username}, {data.FirstName, &p.FirstName}, {data.LastName, &p.LastName}} {
		if x.v != "" {
			v := x.v
			*x.dst = &v
		}
	}
	if pw := f.Get("password"); pw != "" {
		p.Password = &pw
	} else {
		yes := true
		p.SkipPasswordRequirement = &yes
	}
	u, err := d.Users.Create(r.Context(), p)
	if err != nil {
		if msg, ok := message(err); ok {
			return d.render(w, r, "user_new", http.StatusUnprocessableEntity, view{Title: "New user", Nav: "users", Error: msg, Data: data})
		}
		return err
	}
	return back(w, r, "/dashboard/users/"+u.ID, "created")
}

type identifierRow struct {
	ID, Kind, Value, Status string
	Primary                 bool
}

type userData struct {
	User                    userRow
	Identifiers             []identifierRow
	Public, Private, Unsafe string
	Sessions                []sessionRow
	LockoutSeconds          *int64
	AttemptsRemaining       int64
	MetadataError           string
	// Second factors: the authenticator app, backup codes left, and the
	// phone numbers that receive codes.
	TOTP        bool
	BackupCodes int
	MFAPhones   []string
	Passkeys    []passkey.Passkey
}

type sessionRow struct {
	ID, UserID, ClientID, Status string
	CreatedAt, LastActiveAt      int64
	ExpireAt                     int64
}

func pretty(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

func (d *Dashboard) userData(r *http.Request, u *user.User) (userData, error) {
	now := d.Now().UnixMilli()
	data := userData{User: rowOf(u, now), Public: pretty(u.PublicMetadata), Private: pretty(u.PrivateMetadata),
		Unsafe: pretty(u.UnsafeMetadata), LockoutSeconds: u.LockoutExpiresIn(now), AttemptsRemaining: u.AttemptsRemaining(),
		TOTP: u.TOTPEnabled(), BackupCodes: len(u.BackupCodes)}
	for _, p := range u.MFAPhones() {
		data.MFAPhones = append(data.MFAPhones, p.Value)
	}
	data.Passkeys = passkey.Of(u)
	for _, i := range u.Identifiers {
		status := i.VerificationStatus
		if status == "" {
			status = "reserved"
		}
		data.Identifiers = append(data.Identifiers, identifierRow{ID: i.ID, Kind: strings.ReplaceAll(string(i.Kind), "_", " "),
			Value: i.Value, Status: status, Primary: (u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == i.ID) ||
				(u.PrimaryPhoneNumberID != nil && *u.PrimaryPhoneNumberID == i.ID)})
	}
	list, _, err := d.Sessions.Sessions(r.Context(), session.Filter{UserID: u.ID, Limit: 50})
	if err != nil {
		return data, err
	}
	for _, s := range list {
		data.Sessions = append(data.Sessions, sessionRowOf(s, now))
	}
	return data, nil
}

func sessionRowOf(s *session.Session, now int64) sessionRow {
	return sessionRow{ID: s.ID, UserID: s.UserID, ClientID: s.ClientID, Status: s.StatusAt(now), CreatedAt: s.CreatedAt,
		LastActiveAt: s.LastActiveAt, ExpireAt: s.ExpireAt}
}

func (d *Dashboard) userPage(w http.ResponseWriter, r *http.Request) error {
	u, err := d.Users.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data, err := d.userData(r, u)
	if err != nil {
		return err
	}
	return d.render(w, r, "user", http.StatusOK, view{Title: data.User.title(), Nav: "users", Data: data})
}

// userMetadata replaces the three metadata objects; invalid JSON is
// refused and shown back as typed.
func (d *Dashboard) userMetadata(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	f := r.PostForm
	// An emptied box means an empty object.
	obj := func(k string) json.RawMessage {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			return json.RawMessage(v)
		}
		return json.RawMessage(`{}`)
	}
	p := user.MetadataParams{PublicMetadata: obj("public_metadata"), PrivateMetadata: obj("private_metadata"),
		UnsafeMetadata: obj("unsafe_metadata")}
	var bad []string
	for name, raw := range map[string]json.RawMessage{"public": p.PublicMetadata, "private": p.PrivateMetadata, "unsafe": p.UnsafeMetadata} {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || m == nil {
			bad = append(bad, name)
		}
	}
	var err error
	if len(bad) == 0 {
		_, err = d.Users.ReplaceMetadata(r.Context(), id, p)
	} else {
		slices.Sort(bad)
		err = errs.ParamFormat("metadata", "The "+strings.Join(bad, " and ")+" metadata is not a valid JSON object: nothing was saved.")
	}
	if err == nil {
		return back(w, r, "/dashboard/users/"+id, "saved")
	}
	msg, ok := message(err)
	if !ok {
		return err
	}
	u, gerr := d.Users.Get(r.Context(), id)
	if gerr != nil {
		return gerr
	}
	data, derr := d.userData(r, u)
	if derr != nil {
		return derr
	}
	data.Public, data.Private, data.Unsafe = f.Get("public_metadata"), f.Get("private_metadata"), f.Get("unsafe_metadata")
	data.MetadataError = msg
	return d.render(w, r, "user", http.StatusUnprocessableEntity, view{Title: data.User.title(), Nav: "users", Data: data})
}

// userAction bans, unbans, locks, unlocks or deletes a user.
func (d *Dashboard) userAction(w http.ResponseWriter, r *http.Request) error {
	id, ctx := r.PathValue("id"), r.Context()
	var err error
	switch action := r.PathValue("action"); action {
	case "ban", "unban":
		_, err = d.Users.SetBanned(ctx, id, action == "ban")
	case "lock", "unlock":
		_, err = d.Users.SetLocked(ctx, id, action == "lock")
	case "reset-mfa":
		// An operator's reset, for a user who lost their device: the
		// app, the backup codes and the phones' second-factor use go.
		_, err = d.Users.RemoveFactors(ctx, id, true, true)
	case "impersonate":
		return d.impersonate(w, r, id)
	case "delete":
		if r.PostForm.Get("confirm") != "delete" {
			return errs.New(errs.Invalid, "confirmation_missing", "Not confirmed", "Tick the confirmation box to delete the user.")
		}
		if err = d.Users.Delete(ctx, id); err == nil {
			return back(w, r, "/dashboard/users", "deleted")
		}
	default:
		return errs.ResourceNotFound("not found", "No such action.")
	}
	if err != nil {
		return err
	}
	return back(w, r, "/dashboard/users/"+id, actionNotices[r.PathValue("action")])
}

var actionNotices = map[string]string{"ban": "banned", "unban": "unbanned", "lock": "locked", "unlock": "unlocked", "reset-mfa": "mfa_reset"}

// deletePasskey removes one of a user's passkeys (a lost device).
func (d *Dashboard) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	id, pkID := r.PathValue("id"), r.PathValue("passkey_id")
	u, err := d.Users.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if idn := u.Identifier(pkID); idn == nil || idn.Kind != passkey.Kind {
		return passkey.NotFound(pkID)
	}
	if err := d.Store.DeleteIdentifier(r.Context(), id, pkID); err != nil {
		return err
	}
	return back(w, r, "/dashboard/users/"+id, "passkey_removed")
}
