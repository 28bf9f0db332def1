package backendapi

import (
	"net/http"
	"strconv"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/webhook"
)

// Webhook endpoints are Concierge's own resource (Clerk hosts them at
// Svix): /v1/webhook_endpoints.

type endpointJSON struct {
	*webhook.Endpoint
	Object string `json:"object"`
	Secret string `json:"secret,omitempty"`
}

// endpointOut renders an endpoint; withSecret adds its signing secret
// (create, get, rotate: what a receiver needs to verify).
func endpointOut(ep *webhook.Endpoint, withSecret bool) endpointJSON {
	out := endpointJSON{Endpoint: ep, Object: "webhook_endpoint"}
	if withSecret {
		out.Secret = ep.Secret
	}
	return out
}

func (a *API) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	eps, err := a.Webhooks.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]endpointJSON, len(eps))
	for i, ep := range eps {
		out[i] = endpointOut(ep, false)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"data": out, "total_count": len(out)})
	return nil
}

func (a *API) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var p webhook.Params
	if err := decode(w, r, &p); err != nil {
		return err
	}
	ep, err := a.Webhooks.Create(r.Context(), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, endpointOut(ep, true))
	return nil
}

func (a *API) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	ep, err := a.Webhooks.Get(r.Context(), r.PathValue("endpoint_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, endpointOut(ep, true))
	return nil
}

func (a *API) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var p webhook.Params
	if err := decode(w, r, &p); err != nil {
		return err
	}
	ep, err := a.Webhooks.Update(r.Context(), r.PathValue("endpoint_id"), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, endpointOut(ep, false))
	return nil
}

func (a *API) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	epID := r.PathValue("endpoint_id")
	if err := a.Webhooks.Delete(r.Context(), epID); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "webhook_endpoint", "id": epID, "deleted": true})
	return nil
}

func (a *API) rotateEndpoint(w http.ResponseWriter, r *http.Request) error {
	ep, err := a.Webhooks.Rotate(r.Context(), r.PathValue("endpoint_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, endpointOut(ep, true))
	return nil
}

func (a *API) testEndpoint(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Webhooks.Test(r.Context(), r.PathValue("endpoint_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deliveryOut(d))
	return nil
}

func deliveryOut(d *webhook.Delivery) map[string]any {
	return map[string]any{"object": "webhook_delivery", "id": d.ID, "event_id": d.EventID, "endpoint_id": d.EndpointID,
		"type": d.Type, "status": d.Status, "attempts": d.Attempts, "next_attempt_at": d.NextAttemptAt,
		"last_status_code": d.LastStatus, "last_response": d.LastResponse, "created_at": d.CreatedAt, "updated_at": d.UpdatedAt}
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return errs.ParamValue("limit", s)
		}
		limit = n
	}
	ds, err := a.Webhooks.Deliveries(r.Context(), r.PathValue("endpoint_id"), limit)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(ds))
	for i, d := range ds {
		out[i] = deliveryOut(d)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"data": out, "total_count": len(out)})
	return nil
}

func (a *API) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.Webhooks.Replay(r.Context(), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, deliveryOut(d))
	return nil
}

// replayFailed is POST /v1/webhook_endpoints/{id}/replay_failed
// {since}: every delivery that failed since then (Unix ms) again.
func (a *API) replayFailed(w http.ResponseWriter, r *http.Request) error {
	var p struct {
		Since *int64 `json:"since"`
	}
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.Since == nil {
		return errs.ParamMissing("since")
	}
	n, err := a.Webhooks.ReplayFailed(r.Context(), r.PathValue("endpoint_id"), *p.Since)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "webhook_replay", "queued": n})
	return nil
}

// svixSetup answers Clerk's POST /v1/webhooks/svix: Concierge delivers
// webhooks itself.
func (a *API) svixSetup(http.ResponseWriter, *http.Request) error {
	return errs.New(errs.BadRequest, "svix_not_used", "Webhooks are served by Concierge",
		"Concierge delivers Svix-compatible webhooks itself: manage endpoints with /v1/webhook_endpoints or on the dashboard.")
}
