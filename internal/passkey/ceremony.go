package passkey

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/user"
)

// BeginRegistration makes the options for a new passkey of u: a
// discoverable credential (the "Sign in with passkey" button needs no
// identifier), none of the user's existing ones again.
func (s *Service) BeginRegistration(ctx context.Context, u *user.User) (*Ceremony, error) {
	w, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	a := accountOf(u)
	var exclude []protocol.CredentialDescriptor
	for _, c := range a.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := w.BeginRegistration(a,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(exclude),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, err
	}
	opts, err := encode(creation.Response)
	if err != nil {
		return nil, err
	}
	return &Ceremony{Options: opts, Session: *session, UserID: u.ID}, nil
}

// FinishRegistration checks the browser's new credential against the
// ceremony and keeps it as the user's passkey id.
func (s *Service) FinishRegistration(ctx context.Context, u *user.User, id string, c *Ceremony, credentialJSON string) (*user.Identifier, error) {
	if c.UserID != u.ID {
		return nil, NotFound(id)
	}
	if credentialJSON == "" {
		return nil, errs.ParamMissing("public_key_credential")
	}
	w, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(credentialJSON))
	if err != nil {
		return nil, failed("passkey_registration_failure", "The browser's passkey could not be read.", err).WithParam("public_key_credential")
	}
	cred, err := w.CreateCredential(accountOf(u), c.Session, parsed)
	if err != nil {
		return nil, failed("passkey_registration_failure", "The passkey could not be verified.", err)
	}
	now := s.Now().UnixMilli()
	data, err := encode(Data{Name: defaultName(u), Credential: *cred})
	if err != nil {
		return nil, err
	}
	idn := &user.Identifier{ID: id, UserID: u.ID, Kind: Kind, Value: credentialValue(cred.ID),
		VerificationStatus: user.StatusVerified, VerificationStrategy: Strategy, Data: data, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.AddIdentifier(ctx, idn); err != nil {
		if e, ok := errs.As(err); ok && e.Code == "form_identifier_exists" {
			return nil, errs.New(errs.Invalid, "passkey_exists", "Passkey already registered",
				"This passkey is already registered.").WithParam("public_key_credential")
		}
		return nil, err
	}
	return idn, nil
}

// defaultName names a new passkey until its owner renames it.
func defaultName(u *user.User) string { return "Passkey " + strconv.Itoa(len(Of(u))+1) }

// Rename sets a passkey's name (1 to 100 characters).
func (s *Service) Rename(ctx context.Context, u *user.User, id, name string) error {
	if name == "" || len(name) > 100 {
		return errs.ParamFormat("name", "A passkey's name must be 1 to 100 characters.")
	}
	return s.update(ctx, u, id, func(d *Data) { d.Name = name })
}

func (s *Service) update(ctx context.Context, u *user.User, id string, fn func(*Data)) error {
	idn := u.Identifier(id)
	if idn == nil || idn.Kind != Kind {
		return NotFound(id)
	}
	var d Data
	if err := json.Unmarshal([]byte(idn.Data), &d); err != nil {
		return err
	}
	fn(&d)
	data, err := encode(d)
	if err != nil {
		return err
	}
	return s.Store.SetIdentifierData(ctx, u.ID, id, data, s.Now().UnixMilli())
}

// NotFound is the 404 of an unknown passkey.
func NotFound(id string) error {
	return errs.ResourceNotFound("not found", "No passkey was found with id "+id)
}

// BeginLogin makes the options for a sign-in with a passkey: of u (the
// identified flow), or of whoever the browser's discoverable credential
// names (u nil).
func (s *Service) BeginLogin(ctx context.Context, u *user.User) (*Ceremony, error) {
	w, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	var assertion *protocol.CredentialAssertion
	var session *webauthn.SessionData
	if u != nil && len(Of(u)) > 0 {
		assertion, session, err = w.BeginLogin(accountOf(u))
	} else {
		assertion, session, err = w.BeginDiscoverableLogin()
	}
	if err != nil {
		return nil, err
	}
	opts, err := encode(assertion.Response)
	if err != nil {
		return nil, err
	}
	return &Ceremony{Options: opts, Session: *session}, nil
}

var errUnknownPasskey = errs.New(errs.BadRequest, "passkey_not_found", "Passkey not found",
	"This passkey is not registered to any account.").WithParam("public_key_credential")

// FinishLogin checks the browser's assertion against the ceremony and
// returns the passkey's owner, recording its use (and the authenticator's
// counter, which also catches a cloned key).
func (s *Service) FinishLogin(ctx context.Context, c *Ceremony, credentialJSON string) (*user.User, error) {
	if credentialJSON == "" {
		return nil, errs.ParamMissing("public_key_credential")
	}
	w, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(credentialJSON))
	if err != nil {
		return nil, failed("passkey_invalid", "The browser's passkey answer could not be read.", err).WithParam("public_key_credential")
	}
	var owner *user.User
	find := func(rawID, userHandle []byte) (webauthn.User, error) {
		u, err := s.Store.UserByExternalAccount(ctx, string(Kind), credentialValue(rawID))
		if err != nil {
			return nil, err
		}
		if len(userHandle) > 0 && string(userHandle) != u.ID {
			return nil, errUnknownPasskey
		}
		owner = u
		return accountOf(u), nil
	}
	var cred *webauthn.Credential
	if len(c.Session.UserID) > 0 {
		// The identified flow: the credential must be that user's.
		if _, err := find(parsed.RawID, c.Session.UserID); err != nil {
			return nil, errUnknownPasskey
		}
		cred, err = w.ValidateLogin(accountOf(owner), c.Session, parsed)
	} else {
		_, cred, err = w.ValidatePasskeyLogin(find, c.Session, parsed)
	}
	if owner == nil {
		return nil, errUnknownPasskey
	}
	if err != nil {
		return nil, failed("passkey_invalid", "The passkey could not be verified.", err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, errs.New(errs.BadRequest, "passkey_invalid", "Passkey refused",
			"This passkey's counter went back: it may have been copied. Sign in another way.")
	}
	var id string
	for _, p := range Of(owner) {
		if string(p.Credential.ID) == string(cred.ID) {
			id = p.ID
		}
	}
	if id == "" {
		return nil, errUnknownPasskey
	}
	now := s.Now().UnixMilli()
	if err := s.update(ctx, owner, id, func(d *Data) { d.Credential, d.LastUsedAt = *cred, &now }); err != nil {
		return nil, err
	}
	return owner, nil
}
