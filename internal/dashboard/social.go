package dashboard

import (
	"net/http"
	"slices"
	"strings"

	"github.com/conciergehq/concierge/internal/oauth"
)

// providerRow is one provider on the social sign-in page: its set-up
// without secrets, and whether secrets are stored.
type providerRow struct {
	oauth.Config
	Name             string
	Custom, Apple    bool
	SecretSet        bool
	ScopesText       string
	DefaultScopes    string
	CallbackURL      string
	PresetEndpoints  bool
	PrivateKeyStored bool
}

// providerRows lists every preset and every stored custom provider.
func (d *Dashboard) providerRows(r *http.Request) ([]providerRow, error) {
	stored, err := d.OAuth.Configs(r.Context())
	if err != nil {
		return nil, err
	}
	byStrategy := map[string]oauth.Config{}
	for _, c := range stored {
		byStrategy[c.Strategy] = c
	}
	var strategies []string
	for s := range oauth.Presets {
		strategies = append(strategies, s)
	}
	for s := range byStrategy {
		if _, ok := oauth.Presets[s]; !ok {
			strategies = append(strategies, s)
		}
	}
	slices.Sort(strategies)
	var rows []providerRow
	for _, s := range strategies {
		c, ok := byStrategy[s]
		if !ok {
			c = oauth.Config{Strategy: s, AllowSignUp: true, LinkByEmail: true}
		}
		row := providerRow{Config: c.Public(), SecretSet: c.ClientSecret != "", PrivateKeyStored: c.ApplePrivateKey != "",
			ScopesText: strings.Join(c.Scopes, " "), Apple: s == "oauth_apple", CallbackURL: d.OAuth.CallbackURL}
		if p, ok := oauth.Presets[s]; ok {
			row.Name, row.DefaultScopes, row.PresetEndpoints = p.Name, strings.Join(p.Scopes, " "), true
		} else {
			row.Custom, row.Name = true, strings.TrimPrefix(s, "oauth_custom_")
			if c.Name != "" {
				row.Name = c.Name
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (d *Dashboard) social(w http.ResponseWriter, r *http.Request) error {
	rows, err := d.providerRows(r)
	if err != nil {
		return err
	}
	return d.render(w, r, "social", http.StatusOK, view{Title: "Social sign-in", Nav: "social", Data: rows})
}

// saveProvider stores one provider's form. Secrets left empty keep
// their stored value; "clear_secret" removes it.
func (d *Dashboard) saveProvider(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	strategy := r.PathValue("strategy")
	if strategy == "custom" {
		strategy = "oauth_custom_" + strings.ToLower(strings.TrimSpace(f.Get("key")))
	}
	c := oauth.Config{Strategy: strategy, Enabled: f.Get("enabled") == "true", ClientID: strings.TrimSpace(f.Get("client_id")),
		ClientSecret: strings.TrimSpace(f.Get("client_secret")), AllowSignUp: f.Get("allow_sign_up") == "true",
		LinkByEmail: f.Get("link_by_email") == "true", Scopes: strings.Fields(f.Get("scopes")),
		Name: strings.TrimSpace(f.Get("name")), Issuer: strings.TrimSpace(f.Get("issuer")),
		AuthURL: strings.TrimSpace(f.Get("auth_url")), TokenURL: strings.TrimSpace(f.Get("token_url")),
		UserInfoURL: strings.TrimSpace(f.Get("userinfo_url")), EmailsURL: strings.TrimSpace(f.Get("emails_url")),
		AppleTeamID: strings.TrimSpace(f.Get("apple_team_id")), AppleKeyID: strings.TrimSpace(f.Get("apple_key_id")),
		ApplePrivateKey: strings.TrimSpace(f.Get("apple_private_key"))}
	if err := d.OAuth.Save(r.Context(), c); err != nil {
		rows, rerr := d.providerRows(r)
		if rerr != nil {
			return rerr
		}
		msg, _ := message(err)
		return d.render(w, r, "social", http.StatusUnprocessableEntity, view{Title: "Social sign-in", Nav: "social",
			Error: strategy + ": " + msg, Data: rows})
	}
	return back(w, r, "/dashboard/social", "saved")
}
