package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/user"
)

// The email address and phone number resources: one of a user's
// identifiers by its own ID, with the rules the user object obeys.

// identifierJSON renders idn as it appears in its user's object.
func (a *API) identifierJSON(u *user.User, idn *user.Identifier) any {
	uj := a.userJSON(u)
	if idn.Kind == user.EmailAddress {
		for _, e := range uj.EmailAddresses {
			if e.ID == idn.ID {
				return e
			}
		}
	}
	for _, p := range uj.PhoneNumbers {
		if p.ID == idn.ID {
			return p
		}
	}
	return nil
}

func (a *API) writeIdentifier(w http.ResponseWriter, u *user.User, idn *user.Identifier, err error) error {
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, a.identifierJSON(u, idn))
	return nil
}

func (a *API) createIdentifier(kind user.IdentifierKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p user.IdentifierParams
		if err := decode(w, r, &p); err != nil {
			return err
		}
		u, idn, err := a.Users.AddIdentifier(r.Context(), kind, p)
		return a.writeIdentifier(w, u, idn, err)
	}
}

func (a *API) getIdentifier(kind user.IdentifierKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, idn, err := a.Users.FindIdentifier(r.Context(), kind, r.PathValue("identifier_id"))
		return a.writeIdentifier(w, u, idn, err)
	}
}

func (a *API) updateIdentifier(kind user.IdentifierKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p user.IdentifierParams
		if err := decode(w, r, &p); err != nil {
			return err
		}
		u, idn, err := a.Users.UpdateIdentifier(r.Context(), kind, r.PathValue("identifier_id"), p)
		return a.writeIdentifier(w, u, idn, err)
	}
}

func (a *API) deleteIdentifier(kind user.IdentifierKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("identifier_id")
		if err := a.Users.DeleteIdentifier(r.Context(), kind, id); err != nil {
			return err
		}
		respond.JSON(w, http.StatusOK, deletedJSON{Object: string(kind), ID: id, Deleted: true})
		return nil
	}
}

// deleteWeb3Wallet is DELETE /v1/users/{id}/web3_wallets/{wallet_id}:
// the primary wallet stays until another is primary, as for addresses.
func (a *API) deleteWeb3Wallet(w http.ResponseWriter, r *http.Request) error {
	ctx, userID, walletID := r.Context(), r.PathValue("user_id"), r.PathValue("web3_wallet_id")
	u, err := a.Users.Get(ctx, userID)
	if err != nil {
		return err
	}
	if idn := u.Identifier(walletID); idn == nil || idn.Kind != user.Web3Wallet {
		return errs.ResourceNotFound("not found", "No web3 wallet was found with id "+walletID+".")
	}
	if err := a.Profile.DeleteIdentifier(ctx, userID, walletID); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deletedJSON{Object: "web3_wallet", ID: walletID, Deleted: true})
	return nil
}

// replacePrimary is PUT /v1/users/{id}/email_address and phone_number:
// the body's value becomes the user's primary identifier of that kind,
// answered as the email address or phone number object.
func (a *API) replacePrimary(kind user.IdentifierKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var p struct {
			EmailAddress *string `json:"email_address"`
			PhoneNumber  *string `json:"phone_number"`
		}
		if err := decode(w, r, &p); err != nil {
			return err
		}
		v := p.PhoneNumber
		if kind == user.EmailAddress {
			v = p.EmailAddress
		}
		if v == nil {
			return errs.ParamMissing(string(kind))
		}
		u, idn, err := a.Users.ReplacePrimaryIdentifier(r.Context(), kind, r.PathValue("user_id"), *v)
		return a.writeIdentifier(w, u, idn, err)
	}
}
