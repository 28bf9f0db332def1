package sdk_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/conciergehq/concierge/sdk"
)

var ctx = context.Background()

// must returns v, or stops the test binary on an unexpected error: Go
// cannot pass (v, err) and t to one helper, and these calls are expected
// to succeed.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// apiErr asserts err is an *sdk.APIError with status and code.
func apiErr(t *testing.T, err error, status int, code string) *sdk.APIError {
	t.Helper()
	var e *sdk.APIError
	if !errors.As(err, &e) || e.Status != status || e.Code != code || e.LongMessage == "" || e.TraceID == "" {
		t.Fatalf("want APIError %d %s, got %#v", status, code, err)
	}
	return e
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []sdk.Config{{BaseURL: "", SecretKey: "k"}, {BaseURL: "ftp://x", SecretKey: "k"}, {BaseURL: "http://x"}} {
		if _, err := sdk.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestUsers(t *testing.T) {
	s := start(t)
	users := s.c.Users
	yes := true
	u := must(users.Create(ctx, sdk.UserParams{ExternalID: "ext-1", EmailAddresses: []string{"ada@example.com"},
		PhoneNumbers: []string{"+14155552671"}, Username: "ada_l", Password: "analytical-engine-1843", FirstName: "Ada",
		LastName: "Lovelace", Locale: "en", PublicMetadata: map[string]any{"plan": "pro"}, PrivateMetadata: map[string]any{"note": "x"},
		UnsafeMetadata: map[string]any{"theme": "dark"}, CreatedAt: "2024-01-02T03:04:05Z", DeleteSelfEnabled: &yes}))
	if u.PrimaryEmailAddress() != "ada@example.com" || *u.Username != "ada_l" || !u.PasswordEnabled || len(u.PhoneNumbers) != 1 ||
		string(u.PublicMetadata) != `{"plan":"pro"}` || u.CreatedAt != 1704164645000 || u.EmailAddresses[0].Verification.Status != "verified" {
		t.Fatalf("created: %+v", u)
	}
	_, err := users.Create(ctx, sdk.UserParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: true})
	e := apiErr(t, err, 422, "form_identifier_exists")
	if !errors.Is(err, sdk.ErrIdentifierExists) || e.Param() != "email_address" {
		t.Fatalf("duplicate: %v param %q", err, e.Param())
	}
	got := must(users.Get(ctx, u.ID))
	if got.ID != u.ID || *got.ExternalID != "ext-1" {
		t.Fatalf("get: %+v", got)
	}
	_, err = users.Get(ctx, "user_nope")
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	_, err = users.Get(ctx, "../users")
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("path escaping: %v", err)
	}

	// 24 more users, for paging and filters.
	for i := range 24 {
		must(users.Create(ctx, sdk.UserParams{EmailAddresses: []string{fmt.Sprintf("u%02d@example.org", i)},
			FirstName: fmt.Sprintf("User%02d", i), SkipPasswordRequirement: true}))
	}
	list := must(users.List(ctx, &sdk.UserListParams{OrderBy: "-created_at", Limit: 5}))
	if len(list) != 5 || *list[0].FirstName != "User23" {
		t.Fatalf("list: %d, first %v", len(list), list[0].FirstName)
	}
	byEmail := must(users.List(ctx, &sdk.UserListParams{UserFilter: sdk.UserFilter{EmailAddresses: []string{"u03@example.org", "u04@example.org"}}}))
	if len(byEmail) != 2 {
		t.Fatalf("by email: %d", len(byEmail))
	}
	for name, f := range map[string]struct {
		f    sdk.UserFilter
		want int64
	}{
		"all":        {sdk.UserFilter{}, 25},
		"query":      {sdk.UserFilter{Query: "example.org"}, 24},
		"name":       {sdk.UserFilter{NameQuery: "lovelace"}, 1},
		"username":   {sdk.UserFilter{Usernames: []string{"ada_l"}}, 1},
		"phone":      {sdk.UserFilter{PhoneNumbers: []string{"+14155552671"}}, 1},
		"external":   {sdk.UserFilter{ExternalIDs: []string{"ext-1"}}, 1},
		"not user":   {sdk.UserFilter{UserIDs: []string{"-" + u.ID}}, 24},
		"created":    {sdk.UserFilter{CreatedAtBefore: 1704164645001}, 1},
		"email part": {sdk.UserFilter{EmailAddressQuery: "u1"}, 10},
	} {
		if n := must(users.Count(ctx, &f.f)); n != f.want {
			t.Errorf("count %s: %d, want %d", name, n, f.want)
		}
	}
	// The iterator crosses page boundaries: 25 users in pages of 7.
	seen := map[string]bool{}
	for u, err := range users.All(ctx, sdk.UserListParams{OrderBy: "created_at", Limit: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		seen[u.ID] = true
	}
	if len(seen) != 25 {
		t.Fatalf("All: %d users", len(seen))
	}
	n := 0
	for range users.All(ctx, sdk.UserListParams{Limit: 7}) {
		if n++; n == 3 {
			break // stopping early is allowed
		}
	}

	// Update, metadata, ban, lock, delete.
	first := "Augusta"
	up := must(users.Update(ctx, u.ID, sdk.UserUpdate{FirstName: &first}))
	if *up.FirstName != "Augusta" || *up.LastName != "Lovelace" {
		t.Fatalf("update: %+v", up)
	}
	up = must(users.UpdateMetadata(ctx, u.ID, sdk.Metadata{Public: map[string]any{"seats": 3, "plan": nil}}))
	if string(up.PublicMetadata) != `{"seats":3}` {
		t.Fatalf("metadata merge: %s", up.PublicMetadata)
	}
	if b := must(users.Ban(ctx, u.ID)); !b.Banned {
		t.Fatal("ban")
	}
	if b := must(users.Unban(ctx, u.ID)); b.Banned {
		t.Fatal("unban")
	}
	if l := must(users.Lock(ctx, u.ID)); !l.Locked {
		t.Fatal("lock")
	}
	if l := must(users.Unlock(ctx, u.ID)); l.Locked {
		t.Fatal("unlock")
	}
	del := must(users.Delete(ctx, u.ID))
	if !del.Deleted || del.ID != u.ID {
		t.Fatalf("delete: %+v", del)
	}
	_, err = users.Delete(ctx, u.ID)
	apiErr(t, err, 404, "resource_not_found")
	_, err = users.List(ctx, &sdk.UserListParams{Limit: 501})
	apiErr(t, err, 422, "form_param_value_invalid")
}

func TestAllowlistIdentifiers(t *testing.T) {
	s := start(t)
	a := s.c.AllowlistIdentifiers
	e := must(a.Create(ctx, "*@example.com", false))
	if e.IdentifierType != "email_address" || e.Identifier != "*@example.com" {
		t.Fatalf("create: %+v", e)
	}
	must(a.Create(ctx, "+14155552671", false))
	invited := must(a.Create(ctx, "new@example.net", true))
	if invited.InvitationID == nil {
		t.Fatal("notify made no invitation")
	}
	_, err := a.Create(ctx, "*@example.com", false)
	if !errors.Is(err, sdk.ErrIdentifierExists) {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = a.Create(ctx, "*@example.org", true)
	apiErr(t, err, 422, "form_param_value_invalid")
	l := must(a.List(ctx, 2, 0))
	if l.TotalCount != 3 || len(l.Data) != 2 || l.Data[0].ID != invited.ID {
		t.Fatalf("list: %+v", l)
	}
	if d := must(a.Delete(ctx, e.ID)); !d.Deleted {
		t.Fatal("delete")
	}
	_, err = a.Delete(ctx, e.ID)
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestInvitations(t *testing.T) {
	s := start(t)
	inv := s.c.Invitations
	no := false
	i := must(inv.Create(ctx, sdk.InvitationParams{EmailAddress: "grace@example.com", RedirectURL: "https://app.example.com/in",
		PublicMetadata: map[string]any{"team": "blue"}, Notify: &no, ExpiresInDays: 7}))
	if i.Status != "pending" || !strings.Contains(i.URL, "/v1/tickets/accept?ticket=") || string(i.PublicMetadata) != `{"team":"blue"}` ||
		*i.ExpiresAt-i.CreatedAt != 7*24*3600*1000 {
		t.Fatalf("create: %+v", i)
	}
	_, err := inv.Create(ctx, sdk.InvitationParams{EmailAddress: "grace@example.com", Notify: &no})
	if !errors.Is(err, sdk.ErrIdentifierExists) {
		t.Fatalf("duplicate: %v", err)
	}
	again := must(inv.Create(ctx, sdk.InvitationParams{EmailAddress: "grace@example.com", Notify: &no, IgnoreExisting: true}))
	var bulk []sdk.InvitationParams
	for n := range 11 {
		bulk = append(bulk, sdk.InvitationParams{EmailAddress: fmt.Sprintf("b%02d@example.com", n), Notify: &no})
	}
	if made := must(inv.CreateBulk(ctx, bulk)); len(made) != 11 {
		t.Fatalf("bulk: %d", len(made))
	}
	l := must(inv.List(ctx, &sdk.InvitationListParams{Statuses: []string{"pending"}, OrderBy: "email_address", Limit: 3}))
	if l.TotalCount != 12 || len(l.Data) != 3 || l.Data[0].EmailAddress != "b00@example.com" {
		t.Fatalf("list: %+v", l)
	}
	count := 0
	for i, err := range inv.All(ctx, sdk.InvitationListParams{Limit: 5}) {
		if err != nil || i.Status == "revoked" {
			t.Fatalf("All: %v %+v", err, i)
		}
		count++
	}
	if count != 12 {
		t.Fatalf("All: %d", count)
	}
	r := must(inv.Revoke(ctx, again.ID))
	if !r.Revoked || r.Status != "revoked" {
		t.Fatalf("revoke: %+v", r)
	}
	_, err = inv.Revoke(ctx, again.ID)
	apiErr(t, err, 400, "invitation_already_revoked")
	_, err = inv.Revoke(ctx, "inv_nope")
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestSessionsClientsAndTokens(t *testing.T) {
	s := start(t)
	u := must(s.c.Users.Create(ctx, sdk.UserParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: true}))
	var ids []string
	for range 3 {
		ids = append(ids, must(s.c.Sessions.Create(ctx, u.ID)).ID)
	}
	l := must(s.c.Sessions.List(ctx, &sdk.SessionListParams{UserID: u.ID, Status: "active", Limit: 2}))
	if l.TotalCount != 3 || len(l.Data) != 2 || l.Data[0].ID != ids[2] {
		t.Fatalf("list: %+v", l)
	}
	n := 0
	for s, err := range s.c.Sessions.All(ctx, sdk.SessionListParams{UserID: u.ID, Limit: 2}) {
		if err != nil || s.UserID != u.ID {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("All: %d", n)
	}
	sess := must(s.c.Sessions.Get(ctx, ids[0]))
	tok := must(s.c.Sessions.CreateToken(ctx, sess.ID, 0))
	claims := must(s.c.VerifyToken(ctx, tok.JWT, nil))
	if claims.UserID != u.ID || claims.SessionID != sess.ID || claims.Version != 2 || claims.Expiry.Sub(claims.IssuedAt) != time.Minute {
		t.Fatalf("claims: %+v", claims)
	}
	if v := must(s.c.Sessions.Verify(ctx, sess.ID, tok.JWT)); v.ID != sess.ID {
		t.Fatal("verify")
	}
	cl := must(s.c.Clients.Get(ctx, sess.ClientID))
	if len(cl.Sessions) != 1 || cl.Sessions[0].ID != sess.ID {
		t.Fatalf("client: %+v", cl)
	}
	if v := must(s.c.Clients.Verify(ctx, tok.JWT)); v.ID != cl.ID {
		t.Fatalf("verifyClient by session token: %+v", v)
	}
	all := must(s.c.Clients.List(ctx, 10, 0))
	if all.TotalCount != 3 {
		t.Fatalf("clients: %+v", all)
	}
	_, err := s.c.Clients.Verify(ctx, "garbage")
	apiErr(t, err, 400, "client_token_invalid")
	if r := must(s.c.Sessions.Revoke(ctx, sess.ID)); r.Status != "revoked" {
		t.Fatal("revoke")
	}
	_, err = s.c.Sessions.Verify(ctx, sess.ID, tok.JWT)
	apiErr(t, err, 400, "invalid_session_token")
	_, err = s.c.Sessions.CreateToken(ctx, sess.ID, 0)
	if !errors.Is(err, sdk.ErrUnauthorized) {
		t.Fatalf("token of a revoked session: %v", err)
	}
	_, err = s.c.Sessions.Get(ctx, "sess_nope")
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
}

func TestEmailsAndSMS(t *testing.T) {
	s := start(t)
	u := must(s.c.Users.Create(ctx, sdk.UserParams{EmailAddresses: []string{"ada@example.com"}, PhoneNumbers: []string{"+14155552671"},
		SkipPasswordRequirement: true}))
	e := must(s.c.Emails.Create(ctx, sdk.EmailParams{FromEmailName: "sales", Subject: "Free tacos",
		Body: "<p>Join us via Zoom for remote Taco Tuesday!</p>", EmailAddressID: u.EmailAddresses[0].ID}))
	if e.Status != "queued" || e.ToEmailAddress != "ada@example.com" || *e.UserID != u.ID {
		t.Fatalf("email: %+v", e)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Status == "queued" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		e = must(s.c.Emails.Get(ctx, e.ID))
	}
	if e.Status != "sent" || e.SentAt == nil {
		t.Fatalf("email not sent (development outbox): %+v", e)
	}
	m := must(s.c.SMSMessages.Create(ctx, "All glory to the Hypnotoad!", u.PhoneNumbers[0].ID))
	if m.Status != "queued" || m.ToPhoneNumber != "+14155552671" {
		t.Fatalf("sms: %+v", m)
	}
	if got := must(s.c.SMSMessages.Get(ctx, m.ID)); got.ID != m.ID {
		t.Fatal("sms get")
	}
	_, err := s.c.Emails.Create(ctx, sdk.EmailParams{FromEmailName: "sales", Subject: "s", Body: "b", EmailAddressID: "idn_nope"})
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("unknown address: %v", err)
	}
	_, err = s.c.SMSMessages.Create(ctx, "", u.PhoneNumbers[0].ID)
	apiErr(t, err, 422, "form_param_missing")
}

// TestErrors: a wrong key is ErrUnauthorized; a 429 carries Retry-After
// (Concierge's Backend API does not rate-limit, so a stand-in server
// answers it, to check the decoding).
func TestErrors(t *testing.T) {
	s := start(t)
	bad := must(sdk.New(sdk.Config{BaseURL: s.url, SecretKey: "sk_test_" + strings.Repeat("x", 40)}))
	_, err := bad.Users.List(ctx, nil)
	if !errors.Is(err, sdk.ErrUnauthorized) {
		t.Fatalf("bad key: %v", err)
	}
	apiErr(t, err, 401, "clerk_key_invalid")

	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
		io.WriteString(w, `{"errors":[{"code":"too_many_requests","message":"Too many requests","long_message":"Slow down."}],"clerk_trace_id":"t1"}`)
	}))
	defer limited.Close()
	lc := must(sdk.New(sdk.Config{BaseURL: limited.URL, SecretKey: testKey}))
	_, err = lc.Users.Count(ctx, nil)
	var e *sdk.APIError
	if !errors.Is(err, sdk.ErrRateLimited) || !errors.As(err, &e) || e.RetryAfter != 7 || e.TraceID != "t1" {
		t.Fatalf("429: %#v", err)
	}
}

// TestVerifyTokenAndMiddleware: valid, expired, tampered and foreign-key
// tokens; the JWKS is fetched again after a rotation.
func TestVerifyTokenAndMiddleware(t *testing.T) {
	s := start(t)
	u := must(s.c.Users.Create(ctx, sdk.UserParams{EmailAddresses: []string{"ada@example.com"}, SkipPasswordRequirement: true}))
	sess := must(s.c.Sessions.Create(ctx, u.ID))
	tok := must(s.c.Sessions.CreateToken(ctx, sess.ID, 0)).JWT

	protected := httptest.NewServer(s.c.RequireSession(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := sdk.SessionClaims(r.Context())
		if !ok {
			t.Error("no claims in the context")
		}
		fmt.Fprint(w, c.UserID)
	})))
	defer protected.Close()
	call := func(token string, cookie bool) (int, string) {
		req, _ := http.NewRequest("GET", protected.URL, nil)
		if cookie {
			req.AddCookie(&http.Cookie{Name: "__session", Value: token})
		} else if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := call(tok, false); st != 200 || body != u.ID {
		t.Fatalf("valid token: %d %s", st, body)
	}
	if st, _ := call(tok, true); st != 200 {
		t.Fatalf("valid cookie: %d", st)
	}
	if st, _ := call("", false); st != 401 {
		t.Fatalf("no token: %d", st)
	}
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	if st, _ := call(tampered, false); st != 401 {
		t.Fatalf("tampered: %d", st)
	}
	// Signed by another key under the same kid, and under a made-up kid.
	var hdr struct {
		KID string `json:"kid"`
	}
	raw, _ := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	hdr.KID = raw.Signatures[0].Header.KeyID
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, kid := range []string{hdr.KID, "ins_forged"} {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: other, KeyID: kid}}, nil)
		forged, _ := jwt.Signed(signer).Claims(map[string]any{"iss": s.url, "sub": u.ID, "sid": sess.ID,
			"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()}).Serialize()
		if st, _ := call(forged, false); st != 401 {
			t.Fatalf("forged with kid %s: %d", kid, st)
		}
		if _, err := s.c.VerifyToken(ctx, forged, nil); !errors.Is(err, sdk.ErrInvalidToken) {
			t.Fatalf("forged: %v", err)
		}
	}
	// Expired: the token's minute is over (leeway 5 s).
	_, err := s.c.VerifyToken(ctx, tok, &sdk.VerifyOptions{Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	if !errors.Is(err, sdk.ErrInvalidToken) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := s.c.VerifyToken(ctx, tok, &sdk.VerifyOptions{Now: func() time.Time { return time.Now().Add(62 * time.Second) }}); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	if _, err := s.c.VerifyToken(ctx, tok, &sdk.VerifyOptions{Issuer: "https://clerk.other.example"}); !errors.Is(err, sdk.ErrInvalidToken) {
		t.Fatalf("wrong issuer: %v", err)
	}
	if _, err := s.c.VerifyToken(ctx, tok, &sdk.VerifyOptions{AuthorizedParties: []string{"https://app.example.com"}}); !errors.Is(err, sdk.ErrInvalidToken) {
		t.Fatalf("azp not allowed: %v", err)
	}
	// After a rotation the new kid is fetched.
	if _, err := s.app.Keys.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past the refetch floor
	fresh := must(s.c.Sessions.CreateToken(ctx, sess.ID, 0)).JWT
	if st, _ := call(fresh, false); st != 200 {
		t.Fatalf("token of the rotated key: %d", st)
	}
	var body map[string]any
	req, _ := http.NewRequest("GET", protected.URL, nil)
	res, _ := http.DefaultClient.Do(req)
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.Header.Get("Content-Type") != "application/json" || body["errors"] == nil {
		t.Fatalf("401 body: %v", body)
	}
}

func sdkUser(email string) sdk.UserParams {
	return sdk.UserParams{EmailAddresses: []string{email}, SkipPasswordRequirement: true}
}

// TestWithSession lets anonymous requests through without claims, and
// signed-in ones with them; APIError reads well.
func TestWithSession(t *testing.T) {
	s := start(t)
	u := must(s.c.Users.Create(ctx, sdkUser("ada@example.com")))
	tok := must(s.c.Sessions.CreateToken(ctx, must(s.c.Sessions.Create(ctx, u.ID)).ID, 0)).JWT
	h := s.c.WithSession(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := sdk.SessionClaims(r.Context()); ok {
			fmt.Fprint(w, c.UserID)
		} else {
			fmt.Fprint(w, "anonymous")
		}
	}))
	for token, want := range map[string]string{"": "anonymous", "garbage": "anonymous", tok: u.ID} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		h.ServeHTTP(rec, req)
		if rec.Body.String() != want {
			t.Errorf("token %.10q: %q, want %q", token, rec.Body.String(), want)
		}
	}
	_, err := s.c.Users.Get(ctx, "user_nope")
	if got := err.Error(); got != "concierge: 404 resource_not_found: No user was found with id user_nope" {
		t.Fatalf("Error() = %q", got)
	}
}
