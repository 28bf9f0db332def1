package backendapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
)

// SessionJSON is Clerk's session object (Backend API shape).
type SessionJSON struct {
	Object                   string  `json:"object"`
	ID                       string  `json:"id"`
	UserID                   string  `json:"user_id"`
	ClientID                 string  `json:"client_id"`
	Actor                    any     `json:"actor"`
	Status                   string  `json:"status"`
	LastActiveOrganizationID *string `json:"last_active_organization_id"`
	LastActiveAt             int64   `json:"last_active_at"`
	ExpireAt                 int64   `json:"expire_at"`
	AbandonAt                int64   `json:"abandon_at"`
	CreatedAt                int64   `json:"created_at"`
	UpdatedAt                int64   `json:"updated_at"`
}

// SessionObject renders s at now (Unix ms).
func SessionObject(s *session.Session, now int64) SessionJSON {
	var actor any
	if s.Actor != nil {
		actor = json.RawMessage(s.Actor)
	}
	return SessionJSON{Actor: actor, Object: "session", ID: s.ID, UserID: s.UserID, ClientID: s.ClientID, Status: s.StatusAt(now),
		LastActiveOrganizationID: s.LastActiveOrganizationID, LastActiveAt: s.LastActiveAt, ExpireAt: s.ExpireAt, AbandonAt: s.AbandonAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

type clientJSON struct {
	Object                     string        `json:"object"`
	ID                         string        `json:"id"`
	SessionIDs                 []string      `json:"session_ids"`
	Sessions                   []SessionJSON `json:"sessions"`
	SignInID                   *string       `json:"sign_in_id"`
	SignUpID                   *string       `json:"sign_up_id"`
	LastActiveSessionID        *string       `json:"last_active_session_id"`
	LastAuthenticationStrategy *string       `json:"last_authentication_strategy"`
	CreatedAt                  int64         `json:"created_at"`
	UpdatedAt                  int64         `json:"updated_at"`
}

func clientObject(c *session.Client, now int64) clientJSON {
	out := clientJSON{Object: "client", ID: c.ID, SessionIDs: []string{}, Sessions: []SessionJSON{}, SignInID: c.SignInID,
		SignUpID: c.SignUpID, LastActiveSessionID: c.LastActiveSessionID, LastAuthenticationStrategy: c.LastAuthStrategy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	for _, s := range c.Sessions {
		out.SessionIDs = append(out.SessionIDs, s.ID)
		out.Sessions = append(out.Sessions, SessionObject(s, now))
	}
	return out
}

func nowMS() int64 { return time.Now().UnixMilli() }

var sessionStatuses = []string{"abandoned", "active", "ended", "expired", "removed", "replaced", "revoked"}

func (a *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	limit, offset, paginated, err := page(v)
	if err != nil {
		return err
	}
	f := session.Filter{ClientID: v.Get("client_id"), UserID: v.Get("user_id"), Status: v.Get("status"), Limit: limit, Offset: offset}
	if f.Status != "" && !contains(sessionStatuses, f.Status) {
		return errs.ParamValue("status", f.Status)
	}
	list, total, err := a.Sessions.Sessions(r.Context(), f)
	if err != nil {
		return err
	}
	now := nowMS()
	out := make([]SessionJSON, len(list))
	for i, s := range list {
		out[i] = SessionObject(s, now)
	}
	if paginated {
		respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	} else {
		respond.JSON(w, http.StatusOK, out)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request) error {
	s, err := a.Sessions.Session(r.Context(), r.PathValue("session_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, SessionObject(s, nowMS()))
	return nil
}

func (a *API) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	s, err := a.Sessions.Revoke(r.Context(), r.PathValue("session_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, SessionObject(s, nowMS()))
	return nil
}

// tokenParam reads the {"token": …} body of the verify calls.
func tokenParam(w http.ResponseWriter, r *http.Request) (string, error) {
	var p struct {
		Token *string `json:"token"`
	}
	if err := decode(w, r, &p); err != nil || p.Token == nil {
		return "", err
	}
	return *p.Token, nil
}

func (a *API) verifySession(w http.ResponseWriter, r *http.Request) error {
	tok, err := tokenParam(w, r)
	if err != nil {
		return err
	}
	s, err := a.Sessions.VerifyToken(r.Context(), r.PathValue("session_id"), tok)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, SessionObject(s, nowMS()))
	return nil
}

// createSession is for tests of applications: it needs a test key.
func (a *API) createSession(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(bearer(r), "sk_test_") {
		return errs.New(errs.Forbidden, "operation_not_allowed_on_production", "Not allowed",
			"Sessions can only be created directly with a development (sk_test_) secret key.")
	}
	var p struct {
		UserID *string `json:"user_id"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.UserID == nil || *p.UserID == "" {
		return errs.ParamMissing("user_id")
	}
	s, err := a.Sessions.CreateForUser(r.Context(), *p.UserID)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, SessionObject(s, nowMS()))
	return nil
}

func (a *API) createSessionToken(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		ExpiresInSeconds *int64 `json:"expires_in_seconds"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if t := r.PathValue("template"); t != "" {
		jwt, err := a.Sessions.TemplateToken(r.Context(), nil, r.PathValue("session_id"), t, "")
		if err != nil {
			return err
		}
		respond.JSON(w, http.StatusOK, map[string]string{"object": "token", "jwt": jwt})
		return nil
	}
	var ttl time.Duration
	if p.ExpiresInSeconds != nil {
		if *p.ExpiresInSeconds < 30 || *p.ExpiresInSeconds > 315360000 {
			return errs.ParamFormat("expires_in_seconds", "expires_in_seconds must be between 30 and 315360000.")
		}
		ttl = time.Duration(*p.ExpiresInSeconds) * time.Second
	}
	jwt, err := a.Sessions.TokenTTL(r.Context(), r.PathValue("session_id"), ttl)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]string{"object": "token", "jwt": jwt})
	return nil
}

func (a *API) listClients(w http.ResponseWriter, r *http.Request) error {
	limit, offset, _, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	list, total, err := a.Sessions.Clients(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	now := nowMS()
	out := make([]clientJSON, len(list))
	for i, c := range list {
		out[i] = clientObject(c, now)
	}
	// Always paginated: clerk-sdk-go v2 decodes nothing else (§0.4).
	respond.JSON(w, http.StatusOK, paginatedJSON{Data: out, TotalCount: total})
	return nil
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := a.Sessions.Client(r.Context(), r.PathValue("client_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, clientObject(c, nowMS()))
	return nil
}

func (a *API) verifyClient(w http.ResponseWriter, r *http.Request) error {
	tok, err := tokenParam(w, r)
	if err != nil {
		return err
	}
	c, err := a.Sessions.VerifyClient(r.Context(), tok)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, clientObject(c, nowMS()))
	return nil
}

func (a *API) jwks(w http.ResponseWriter, r *http.Request) error {
	respond.JSON(w, http.StatusOK, a.Sessions.Keys.JWKS())
	return nil
}
