package frontendapi

import (
	"context"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/backendapi"
	"github.com/conciergehq/concierge/internal/emaillink"
	"github.com/conciergehq/concierge/internal/session"
	"github.com/conciergehq/concierge/internal/user"
)

// The Frontend API's objects, as clerk-js reads them (frontend-api.md §5).
// Timestamps are Unix milliseconds.

type publicUserData struct {
	FirstName  *string `json:"first_name"`
	LastName   *string `json:"last_name"`
	ImageURL   string  `json:"image_url"`
	HasImage   bool    `json:"has_image"`
	Identifier string  `json:"identifier"`
	UserID     string  `json:"user_id"`
	Username   *string `json:"username"`
}

type sessionJSON struct {
	backendapi.SessionJSON
	LastActiveToken       any            `json:"last_active_token"`
	Tasks                 any            `json:"tasks"`
	User                  any            `json:"user"`
	PublicUserData        publicUserData `json:"public_user_data"`
	FactorVerificationAge [2]int         `json:"factor_verification_age"`
}

type verificationJSON struct {
	Object              string   `json:"object,omitempty"`
	Status              string   `json:"status"`
	Strategy            *string  `json:"strategy"`
	Attempts            *int     `json:"attempts"`
	ExpireAt            *int64   `json:"expire_at"`
	NextAction          *string  `json:"next_action,omitempty"`
	SupportedStrategies []string `json:"supported_strategies,omitempty"`
	// Nonce is a passkey ceremony's options for the browser (JSON).
	Nonce *string `json:"nonce,omitempty"`
	// A provider's verification: where it leads, and why it failed.
	ExternalURL *string        `json:"external_verification_redirect_url,omitempty"`
	Error       map[string]any `json:"error,omitempty"`
	// VerifiedAtClient is the client that opened an email link.
	VerifiedAtClient string `json:"verified_at_client,omitempty"`
}

type factorJSON struct {
	Strategy       string `json:"strategy"`
	SafeIdentifier string `json:"safe_identifier,omitempty"`
	EmailAddressID string `json:"email_address_id,omitempty"`
	PhoneNumberID  string `json:"phone_number_id,omitempty"`
	Primary        bool   `json:"primary"`
	Default        bool   `json:"default"`
}

type signInJSON struct {
	Object                   string            `json:"object"`
	ID                       string            `json:"id"`
	Status                   string            `json:"status"`
	SupportedIdentifiers     []string          `json:"supported_identifiers"`
	SupportedFirstFactors    []factorJSON      `json:"supported_first_factors"`
	SupportedSecondFactors   []factorJSON      `json:"supported_second_factors"`
	FirstFactorVerification  *verificationJSON `json:"first_factor_verification"`
	SecondFactorVerification *verificationJSON `json:"second_factor_verification"`
	Identifier               *string           `json:"identifier"`
	UserData                 *publicUserData   `json:"user_data"`
	CreatedSessionID         *string           `json:"created_session_id"`
	AbandonAt                int64             `json:"abandon_at"`
	ClientTrustState         string            `json:"client_trust_state"`
}

type signUpJSON struct {
	Object           string                       `json:"object"`
	ID               string                       `json:"id"`
	Status           string                       `json:"status"`
	RequiredFields   []string                     `json:"required_fields"`
	OptionalFields   []string                     `json:"optional_fields"`
	MissingFields    []string                     `json:"missing_fields"`
	UnverifiedFields []string                     `json:"unverified_fields"`
	Verifications    map[string]*verificationJSON `json:"verifications"`
	Username         *string                      `json:"username"`
	EmailAddress     *string                      `json:"email_address"`
	PhoneNumber      *string                      `json:"phone_number"`
	Web3Wallet       *string                      `json:"web3_wallet"`
	FirstName        *string                      `json:"first_name"`
	LastName         *string                      `json:"last_name"`
	PasswordEnabled  bool                         `json:"password_enabled"`
	HasPassword      bool                         `json:"has_password"`
	UnsafeMetadata   json.RawMessage              `json:"unsafe_metadata"`
	PublicMetadata   json.RawMessage              `json:"public_metadata"`
	CustomAction     bool                         `json:"custom_action"`
	ExternalID       *string                      `json:"external_id"`
	CreatedSessionID *string                      `json:"created_session_id"`
	CreatedUserID    *string                      `json:"created_user_id"`
	AbandonAt        int64                        `json:"abandon_at"`
	LegalAcceptedAt  *int64                       `json:"legal_accepted_at"`
}

type clientJSON struct {
	Object                     string        `json:"object"`
	ID                         string        `json:"id"`
	Sessions                   []sessionJSON `json:"sessions"`
	SignIn                     *signInJSON   `json:"sign_in"`
	SignUp                     *signUpJSON   `json:"sign_up"`
	LastActiveSessionID        *string       `json:"last_active_session_id"`
	LastAuthenticationStrategy *string       `json:"last_authentication_strategy"`
	CookieExpiresAt            *int64        `json:"cookie_expires_at"`
	CaptchaBypass              bool          `json:"captcha_bypass"`
	CreatedAt                  int64         `json:"created_at"`
	UpdatedAt                  int64         `json:"updated_at"`
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *API) publicUserData(u *user.User) publicUserData {
	ident := ""
	for _, idn := range u.Identifiers {
		if (u.PrimaryEmailAddressID != nil && idn.ID == *u.PrimaryEmailAddressID) || ident == "" {
			ident = idn.Value
		}
	}
	if ident == "" && u.Username != nil {
		ident = *u.Username
	}
	return publicUserData{FirstName: u.FirstName, LastName: u.LastName, ImageURL: user.PlaceholderImage(a.PublicURL, u.ID),
		Identifier: ident, UserID: u.ID, Username: u.Username}
}

func (a *API) sessionOut(ctx context.Context, s *session.Session, now int64) (sessionJSON, error) {
	return a.sessionWith(ctx, s, now, nil)
}

// sessionWith renders s, reusing the users already loaded (a client's
// sessions often share one).
func (a *API) sessionWith(ctx context.Context, s *session.Session, now int64, users map[string]*user.User) (sessionJSON, error) {
	out := sessionJSON{SessionJSON: backendapi.SessionObject(s, now), FactorVerificationAge: s.FactorAge(now)}
	u := users[s.UserID]
	if u == nil {
		var err error
		if u, err = a.Sessions.Users.User(ctx, s.UserID); err != nil {
			return out, err
		}
		if users != nil {
			users[s.UserID] = u
		}
	}
	uj, err := a.userObject(ctx, u, now)
	if err != nil {
		return out, err
	}
	out.User = uj
	live, err := a.Settings.Live(ctx)
	if err != nil {
		return out, err
	}
	if tasks := session.Tasks(live, u); len(tasks) > 0 && out.Status == session.Active {
		// Signed in, not yet done: clerk-js shows the tasks' steps.
		list := make([]map[string]string, len(tasks))
		for i, t := range tasks {
			list[i] = map[string]string{"key": t}
		}
		out.Status, out.Tasks = "pending", list
	}
	out.PublicUserData = a.publicUserData(u)
	return out, nil
}

func (a *API) signInOut(ctx context.Context, si *session.SignIn) (*signInJSON, error) {
	out := &signInJSON{Object: "sign_in_attempt", ID: si.ID, Status: si.Status,
		SupportedIdentifiers:  []string{"email_address", "username", "phone_number"},
		SupportedFirstFactors: []factorJSON{}, SupportedSecondFactors: []factorJSON{},
		Identifier: strOrNil(si.Identifier), CreatedSessionID: strOrNil(si.CreatedSessionID), AbandonAt: si.AbandonAt,
		ClientTrustState: "known"}
	factors, u, err := a.Sessions.Factors(ctx, si)
	if err != nil {
		return nil, err
	}
	for _, f := range factors {
		out.SupportedFirstFactors = append(out.SupportedFirstFactors, factorJSON{Strategy: f.Strategy, SafeIdentifier: f.SafeIdentifier,
			EmailAddressID: f.EmailAddressID, PhoneNumberID: f.PhoneNumberID, Primary: f.Primary, Default: f.Primary})
	}
	if u != nil {
		d := a.publicUserData(u)
		out.UserData = &d
	} else if si.Identifier != "" {
		out.UserData = &publicUserData{Identifier: si.Identifier}
	}
	if v := si.FirstFactor; v != nil {
		out.FirstFactorVerification = verificationOut(v, nil)
		if v.Reset {
			st := "reset_password_" + v.Strategy
			out.FirstFactorVerification.Strategy = &st
		}
	}
	if u != nil && (si.Status == session.NeedsSecondFactor || si.Status == session.NeedsClientTrust || si.SecondFactor != nil) {
		out.SupportedSecondFactors = factorsOut(session.SignInSecondFactors(si, u), si.ClientTrust)
	}
	if si.ClientTrust {
		out.ClientTrustState = "new"
	}
	if v := si.SecondFactor; v != nil {
		out.SecondFactorVerification = verificationOut(v, nil)
	}
	return out, nil
}

// verificationOut renders a verification; supported, when given, adds
// the sign-up's next_action and supported_strategies.
func verificationOut(v *session.Verification, supported []string) *verificationJSON {
	out := &verificationJSON{Object: "verification_otp", Status: "unverified", SupportedStrategies: supported}
	next := "needs_prepare"
	if v != nil {
		out.Status, out.Strategy, out.Attempts = v.Status, strOrNil(v.Strategy), &v.Attempts
		if v.ExpireAt != 0 {
			out.ExpireAt = &v.ExpireAt
		}
		switch {
		case v.Status == "verified":
			next = ""
		case v.CodeHash != "":
			next = "needs_attempt"
		}
	}
	if supported != nil {
		out.NextAction = &next
	}
	if v != nil && v.Passkey != nil {
		out.Object, out.Nonce, out.NextAction = "verification_passkey", &v.Passkey.Options, nil
	}
	if v != nil && v.Strategy == emaillink.Strategy {
		out.Object, out.VerifiedAtClient = "verification_email_link", v.VerifiedAtClient
		if supported != nil {
			out.SupportedStrategies = append(supported, emaillink.Strategy)
		}
	}
	if v != nil && session.IsOAuth(v.Strategy) {
		out.Object = "verification_oauth"
		out.ExternalURL = strOrNil(v.ExternalURL)
		if v.Error != "" {
			out.Error = oauthError(v.Error)
		}
	}
	return out
}

// oauthErrors words the errors a provider's verification can end with.
var oauthErrors = map[string]string{
	"external_account_not_found": "The External Account was not found.",
	"external_account_exists":    "This account is already connected to a user: sign in instead.",
	"oauth_access_denied":        "You did not grant access, so the sign-in was cancelled.",
	"oauth_token_exchange_error": "The provider could not confirm the sign-in. Please try again.",
	"oauth_callback_invalid":     "The provider's answer could not be used. Please try again.",
	"user_banned":                "This account is banned.",
}

// oauthError is the ClerkError a verification carries.
func oauthError(code string) map[string]any {
	msg, ok := oauthErrors[code]
	if !ok {
		msg = "The sign-in through the provider could not be completed."
	}
	return map[string]any{"code": code, "message": msg, "long_message": msg, "meta": map[string]any{}}
}

// SignUpJSON renders a sign-up as both APIs show it (the Backend API's
// /v1/sign_ups is the Frontend API's object).
func SignUpJSON(su *session.SignUp) any { return signUpOut(su) }

func signUpOut(su *session.SignUp) *signUpJSON {
	out := &signUpJSON{Object: "sign_up_attempt", ID: su.ID, Status: su.Status,
		RequiredFields: su.RequiredFields(), OptionalFields: su.OptionalFields(),
		MissingFields: su.MissingFields(), UnverifiedFields: su.UnverifiedFields(),
		Verifications: map[string]*verificationJSON{"email_address": nil, "phone_number": nil, "web3_wallet": nil, "external_account": nil},
		Username:      strOrNil(su.Username), EmailAddress: strOrNil(su.EmailAddress), PhoneNumber: strOrNil(su.PhoneNumber),
		FirstName: strOrNil(su.FirstName), LastName: strOrNil(su.LastName),
		PasswordEnabled: su.PasswordDigest != "", HasPassword: su.PasswordDigest != "",
		UnsafeMetadata: orEmpty(su.UnsafeMetadata), PublicMetadata: orEmpty(su.PublicMetadata),
		CreatedSessionID: strOrNil(su.CreatedSessionID), CreatedUserID: strOrNil(su.CreatedUserID), AbandonAt: su.AbandonAt,
		ExternalID: strOrNil(su.ExternalID), CustomAction: su.CustomAction}
	if su.Status == session.Complete {
		out.MissingFields, out.UnverifiedFields = []string{}, []string{}
	}
	if su.ExternalVerification != nil {
		out.Verifications["external_account"] = verificationOut(su.ExternalVerification, nil)
	}
	if su.EmailAddress != "" {
		out.Verifications["email_address"] = verificationOut(su.Email, []string{"email_code"})
	}
	if su.PhoneNumber != "" {
		out.Verifications["phone_number"] = verificationOut(su.Phone, []string{"phone_code"})
	}
	return out
}

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage(`{}`)
	}
	return m
}

// cookieLife is how long the __client cookie is kept; far away so that
// clerk-js does not route through /v1/client/touch (§5.1).
const cookieLife = 365 * 24 * 60 * 60 * 1000

// clientOut renders c as clerk-js reads it: only its active sessions, and
// the sign-in and sign-up in progress (null once complete).
func (a *API) clientOut(ctx context.Context, c *session.Client) (*clientJSON, error) {
	now := a.Sessions.Now().UnixMilli()
	expires := now + cookieLife
	out := &clientJSON{Object: "client", ID: c.ID, Sessions: []sessionJSON{}, LastActiveSessionID: c.LastActiveSessionID,
		LastAuthenticationStrategy: c.LastAuthStrategy, CookieExpiresAt: &expires, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	users := map[string]*user.User{}
	for _, s := range c.Sessions {
		if s.StatusAt(now) != session.Active {
			continue
		}
		sj, err := a.sessionWith(ctx, s, now, users)
		if err != nil {
			return nil, err
		}
		out.Sessions = append(out.Sessions, sj)
	}
	if out.LastActiveSessionID != nil && !hasSession(out.Sessions, *out.LastActiveSessionID) {
		out.LastActiveSessionID = nil
	}
	if c.SignIn != nil && c.SignIn.Status != session.Complete {
		si, err := a.signInOut(ctx, c.SignIn)
		if err != nil {
			return nil, err
		}
		out.SignIn = si
	}
	if c.SignUp != nil && c.SignUp.Status != session.Complete {
		out.SignUp = signUpOut(c.SignUp)
	}
	return out, nil
}

func hasSession(list []sessionJSON, id string) bool {
	for _, s := range list {
		if s.ID == id {
			return true
		}
	}
	return false
}
