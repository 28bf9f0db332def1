package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// standardClaims are OpenID Connect's user claims, in ID tokens and
// userinfo documents.
type standardClaims struct {
	Subject           string `json:"sub"`
	Email             string `json:"email"`
	EmailVerified     any    `json:"email_verified"` // bool, or "true" (Apple)
	GivenName         string `json:"given_name"`
	FamilyName        string `json:"family_name"`
	Name              string `json:"name"`
	Picture           string `json:"picture"`
	PreferredUsername string `json:"preferred_username"`
}

// apply fills what the claims tell and id lacks.
func (c standardClaims) apply(id *Identity) {
	keep := func(dst *string, v string) {
		if *dst == "" {
			*dst = strings.TrimSpace(v)
		}
	}
	keep(&id.ProviderUserID, c.Subject)
	if id.Email == "" && c.Email != "" {
		id.Email = strings.ToLower(strings.TrimSpace(c.Email))
		switch v := c.EmailVerified.(type) {
		case bool:
			id.EmailVerified = v
		case string:
			id.EmailVerified = v == "true"
		}
	}
	keep(&id.FirstName, c.GivenName)
	keep(&id.LastName, c.FamilyName)
	if id.FirstName == "" && id.LastName == "" && c.Name != "" {
		first, last, _ := strings.Cut(strings.TrimSpace(c.Name), " ")
		id.FirstName, id.LastName = first, last
	}
	keep(&id.ImageURL, c.Picture)
	keep(&id.Username, c.PreferredUsername)
}

// getJSON reads a provider API document with the user's access token.
func (f *Flow) getJSON(ctx context.Context, oc *oauth2.Config, tok *oauth2.Token, url string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProvider, err)
	}
	req.Header.Set("Accept", "application/json")
	tok.SetAuthHeader(req)
	res, err := f.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrProvider, url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %d", ErrProvider, url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(dst); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrProvider, url, err)
	}
	return nil
}

// readProfile reads the user from the provider's API, by its kind.
func (f *Flow) readProfile(ctx context.Context, p Provider, oc *oauth2.Config, tok *oauth2.Token, id *Identity) error {
	switch p.Kind {
	case KindOIDC, KindUserinfo:
		if p.UserInfoURL == "" {
			return nil // the ID token told all
		}
		var c standardClaims
		if err := f.getJSON(ctx, oc, tok, p.UserInfoURL, &c); err != nil {
			return err
		}
		if id.ProviderUserID != "" && c.Subject != "" && c.Subject != id.ProviderUserID {
			return fmt.Errorf("%w: userinfo is of another subject", ErrProvider)
		}
		c.apply(id)
	case KindGitHub:
		var u struct {
			ID        int64  `json:"id"`
			Login     string `json:"login"`
			Name      string `json:"name"`
			AvatarURL string `json:"avatar_url"`
		}
		if err := f.getJSON(ctx, oc, tok, p.UserInfoURL, &u); err != nil {
			return err
		}
		first, last, _ := strings.Cut(strings.TrimSpace(u.Name), " ")
		id.ProviderUserID, id.Username, id.FirstName, id.LastName, id.ImageURL = strconv.FormatInt(u.ID, 10), u.Login, first, last, u.AvatarURL
		if p.EmailsURL != "" {
			var emails []struct {
				Email    string `json:"email"`
				Primary  bool   `json:"primary"`
				Verified bool   `json:"verified"`
			}
			if err := f.getJSON(ctx, oc, tok, p.EmailsURL, &emails); err != nil {
				return err
			}
			for _, e := range emails {
				if e.Primary {
					id.Email, id.EmailVerified = strings.ToLower(e.Email), e.Verified
				}
			}
		}
	case KindDiscord:
		var u struct {
			ID         string `json:"id"`
			Username   string `json:"username"`
			GlobalName string `json:"global_name"`
			Email      string `json:"email"`
			Verified   bool   `json:"verified"`
			Avatar     string `json:"avatar"`
		}
		if err := f.getJSON(ctx, oc, tok, p.UserInfoURL, &u); err != nil {
			return err
		}
		id.ProviderUserID, id.Username, id.FirstName = u.ID, u.Username, u.GlobalName
		id.Email, id.EmailVerified = strings.ToLower(u.Email), u.Verified
		if u.Avatar != "" {
			id.ImageURL = "https://cdn.discordapp.com/avatars/" + u.ID + "/" + u.Avatar + ".png"
		}
	case KindFacebook:
		var u struct {
			ID        string `json:"id"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
			Email     string `json:"email"`
			Picture   struct {
				Data struct {
					URL string `json:"url"`
				} `json:"data"`
			} `json:"picture"`
		}
		if err := f.getJSON(ctx, oc, tok, p.UserInfoURL, &u); err != nil {
			return err
		}
		// Facebook gives only addresses it confirmed.
		id.ProviderUserID, id.FirstName, id.LastName, id.ImageURL = u.ID, u.FirstName, u.LastName, u.Picture.Data.URL
		id.Email, id.EmailVerified = strings.ToLower(u.Email), u.Email != ""
	case KindX:
		var u struct {
			Data struct {
				ID              string `json:"id"`
				Name            string `json:"name"`
				Username        string `json:"username"`
				ProfileImageURL string `json:"profile_image_url"`
			} `json:"data"`
		}
		if err := f.getJSON(ctx, oc, tok, p.UserInfoURL, &u); err != nil {
			return err
		}
		first, last, _ := strings.Cut(strings.TrimSpace(u.Data.Name), " ")
		id.ProviderUserID, id.Username, id.FirstName, id.LastName, id.ImageURL = u.Data.ID, u.Data.Username, first, last, u.Data.ProfileImageURL
	}
	return nil
}

// grantedScopes are the scopes the token says were granted, else those
// asked for.
func grantedScopes(tok *oauth2.Token, p Provider) []string {
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return p.Scopes
}
