package dashboard

import (
	"net/http"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
	"github.com/conciergehq/concierge/internal/webhook"
)

// The webhooks page: endpoints with their events, secrets and recent
// deliveries; create, enable or disable, rotate, test, replay, delete.

type endpointRow struct {
	*webhook.Endpoint
	Secret     string
	Deliveries []*webhook.Delivery
}

type webhooksData struct {
	Endpoints []endpointRow
	Types     []string
}

func (d *Dashboard) webhooksData(r *http.Request) (webhooksData, error) {
	eps, err := d.Webhooks.List(r.Context())
	if err != nil {
		return webhooksData{}, err
	}
	out := webhooksData{Types: webhook.Types}
	for _, ep := range eps {
		full, err := d.Webhooks.Get(r.Context(), ep.ID)
		if err != nil {
			return webhooksData{}, err
		}
		ds, err := d.Webhooks.Deliveries(r.Context(), ep.ID, 10)
		if err != nil {
			return webhooksData{}, err
		}
		out.Endpoints = append(out.Endpoints, endpointRow{Endpoint: full, Secret: full.Secret, Deliveries: ds})
	}
	return out, nil
}

func (d *Dashboard) webhooks(w http.ResponseWriter, r *http.Request) error {
	data, err := d.webhooksData(r)
	if err != nil {
		return err
	}
	return d.render(w, r, "webhooks", http.StatusOK, view{Title: "Webhooks", Nav: "webhooks", Data: data})
}

func (d *Dashboard) webhooksError(w http.ResponseWriter, r *http.Request, err error) error {
	msg, ok := message(err)
	if !ok {
		return err
	}
	data, derr := d.webhooksData(r)
	if derr != nil {
		return derr
	}
	return d.render(w, r, "webhooks", http.StatusUnprocessableEntity, view{Title: "Webhooks", Nav: "webhooks", Error: msg, Data: data})
}

func (d *Dashboard) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	u, desc := strings.TrimSpace(r.PostForm.Get("url")), r.PostForm.Get("description")
	events := r.PostForm["events"]
	if _, err := d.Webhooks.Create(r.Context(), webhook.Params{URL: &u, Description: &desc, Events: &events}); err != nil {
		return d.webhooksError(w, r, err)
	}
	return back(w, r, "/dashboard/webhooks", "created")
}

// endpointAction: enable, disable, rotate, test, delete.
func (d *Dashboard) endpointAction(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), r.PathValue("id")
	var err error
	notice := "saved"
	switch r.PathValue("action") {
	case "enable", "disable":
		off := r.PathValue("action") == "disable"
		_, err = d.Webhooks.Update(ctx, id, webhook.Params{Disabled: &off})
	case "rotate":
		_, err = d.Webhooks.Rotate(ctx, id)
	case "test":
		_, err = d.Webhooks.Test(ctx, id)
		notice = "sent"
	case "delete":
		err, notice = d.Webhooks.Delete(ctx, id), "deleted"
	default:
		return errs.ResourceNotFound("not found", "No such action.")
	}
	if err != nil {
		return d.webhooksError(w, r, err)
	}
	return back(w, r, "/dashboard/webhooks", notice)
}

func (d *Dashboard) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	if _, err := d.Webhooks.Replay(r.Context(), r.PathValue("id")); err != nil {
		return d.webhooksError(w, r, err)
	}
	return back(w, r, "/dashboard/webhooks", "retried")
}
