package frontendapi

import (
	_ "embed"
	"net/http"

	"github.com/conciergehq/concierge/internal/passkey"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/session"
)

// The hosted sign-in's passkey button: a small script of Concierge's own
// (the pages carry no other) asks for the request options, has the
// browser's authenticator answer, and posts the answer as a form, which
// signs in as the other steps do.

//go:embed assets/passkey.js
var passkeyScript []byte

func (a *API) passkeyJS(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(passkeyScript)
	return nil
}

// passkeyOptions starts a discoverable passkey sign-in on the page's
// client and answers its id and the browser's request options as JSON.
func (a *API) passkeyOptions(w http.ResponseWriter, r *http.Request) error {
	if err := limit(a.SignInLimit, r); err != nil {
		return err
	}
	c, err := a.pageClient(w, r)
	if err != nil {
		return err
	}
	si, _, err := a.Sessions.CreateSignIn(r.Context(), c, session.SignInParams{Strategy: passkey.Strategy})
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]string{"sign_in_id": si.ID, "options": si.FirstFactor.Passkey.Options})
	return nil
}

// signInPasskey checks the authenticator's answer and signs in.
func (a *API) signInPasskey(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	p := page{Title: "Sign in", RedirectURL: f.Get("redirect_url"), Passkeys: true}
	c := clientOf(r)
	if c == nil {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	}
	if err := limit(a.AttemptLimit, r); err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	si, tok, err := a.Sessions.AttemptFirstFactor(r.Context(), c, f.Get("sign_in_id"),
		session.SignInParams{Strategy: passkey.Strategy, PublicKeyCredential: f.Get("public_key_credential")})
	if err != nil {
		return a.pageError(w, r, "sign_in", p, err)
	}
	return a.afterFirstFactor(w, r, c, si, tok, p)
}
