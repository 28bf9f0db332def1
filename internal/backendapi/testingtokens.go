package backendapi

import (
	"net/http"
	"time"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/testingtoken"
)

// createTestingToken is POST /v1/testing_tokens, for @clerk/testing:
// development instances only.
func (a *API) createTestingToken(w http.ResponseWriter, r *http.Request) error {
	if a.Production || a.TestingKey == nil {
		return errs.New(errs.BadRequest, "testing_tokens_unavailable", "not available",
			"Testing tokens are only available on development instances.")
	}
	tok, exp := testingtoken.Mint(a.TestingKey, time.Now())
	respond.JSON(w, http.StatusOK, map[string]any{"object": "testing_token", "token": tok, "expires_at": exp.Unix()})
	return nil
}
