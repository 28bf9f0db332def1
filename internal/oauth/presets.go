package oauth

// Presets are Clerk's most used social strategies, with the providers'
// published endpoints; an operator's Config overrides any of them.
var Presets = map[string]Provider{
	"oauth_google": {Strategy: "oauth_google", Name: "Google", Kind: KindOIDC, Issuer: "https://accounts.google.com",
		Scopes: []string{"openid", "email", "profile"}, PKCE: true},
	"oauth_github": {Strategy: "oauth_github", Name: "GitHub", Kind: KindGitHub,
		AuthURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token",
		UserInfoURL: "https://api.github.com/user", EmailsURL: "https://api.github.com/user/emails",
		Scopes: []string{"user:email", "read:user"}},
	"oauth_microsoft": {Strategy: "oauth_microsoft", Name: "Microsoft", Kind: KindOIDC,
		Issuer: "https://login.microsoftonline.com/common/v2.0", AnyIssuer: true,
		Scopes: []string{"openid", "email", "profile"}, PKCE: true},
	"oauth_apple": {Strategy: "oauth_apple", Name: "Apple", Kind: KindOIDC, Issuer: "https://appleid.apple.com",
		Scopes: []string{"openid", "email", "name"}, FormPost: true},
	"oauth_gitlab": {Strategy: "oauth_gitlab", Name: "GitLab", Kind: KindOIDC, Issuer: "https://gitlab.com",
		Scopes: []string{"openid", "email", "profile"}, PKCE: true},
	"oauth_discord": {Strategy: "oauth_discord", Name: "Discord", Kind: KindDiscord,
		AuthURL: "https://discord.com/oauth2/authorize", TokenURL: "https://discord.com/api/oauth2/token",
		UserInfoURL: "https://discord.com/api/users/@me", Scopes: []string{"identify", "email"}, PKCE: true},
	"oauth_linkedin_oidc": {Strategy: "oauth_linkedin_oidc", Name: "LinkedIn", Kind: KindOIDC,
		Issuer: "https://www.linkedin.com/oauth", Scopes: []string{"openid", "email", "profile"}},
	"oauth_facebook": {Strategy: "oauth_facebook", Name: "Facebook", Kind: KindFacebook,
		AuthURL: "https://www.facebook.com/v19.0/dialog/oauth", TokenURL: "https://graph.facebook.com/v19.0/oauth/access_token",
		UserInfoURL: "https://graph.facebook.com/me?fields=id,first_name,last_name,email,picture",
		Scopes:      []string{"email", "public_profile"}},
	"oauth_slack": {Strategy: "oauth_slack", Name: "Slack", Kind: KindOIDC, Issuer: "https://slack.com",
		Scopes: []string{"openid", "email", "profile"}},
	"oauth_x": {Strategy: "oauth_x", Name: "X", Kind: KindX,
		AuthURL: "https://x.com/i/oauth2/authorize", TokenURL: "https://api.x.com/2/oauth2/token",
		UserInfoURL: "https://api.x.com/2/users/me?user.fields=profile_image_url,name,username",
		Scopes:      []string{"users.read", "tweet.read", "offline.access"}, PKCE: true},
}
