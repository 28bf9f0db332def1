package backendapi

import (
	"net/http"

	"github.com/conciergehq/concierge/internal/jwttemplate"
	"github.com/conciergehq/concierge/internal/respond"
)

// jwtTemplateJSON is Clerk's jwt_template object; the signing key never
// shows.
type jwtTemplateJSON struct {
	*jwttemplate.Template
	Object string `json:"object"`
}

func templateOut(t *jwttemplate.Template) jwtTemplateJSON { return jwtTemplateJSON{t, "jwt_template"} }

func (a *API) listJWTTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.Templates.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]jwtTemplateJSON, len(ts))
	for i, t := range ts {
		out[i] = templateOut(t)
	}
	if r.URL.Query().Get("paginated") == "true" {
		respond.JSON(w, http.StatusOK, map[string]any{"data": out, "total_count": len(out)})
		return nil
	}
	respond.JSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createJWTTemplate(w http.ResponseWriter, r *http.Request) error {
	var p jwttemplate.Params
	if err := decode(w, r, &p); err != nil {
		return err
	}
	t, err := a.Templates.Create(r.Context(), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, templateOut(t))
	return nil
}

func (a *API) getJWTTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := a.Templates.Get(r.Context(), r.PathValue("template_id"))
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, templateOut(t))
	return nil
}

func (a *API) updateJWTTemplate(w http.ResponseWriter, r *http.Request) error {
	var p jwttemplate.Params
	if err := decode(w, r, &p); err != nil {
		return err
	}
	t, err := a.Templates.Update(r.Context(), r.PathValue("template_id"), p)
	if err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, templateOut(t))
	return nil
}

func (a *API) deleteJWTTemplate(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("template_id")
	if err := a.Templates.Delete(r.Context(), id); err != nil {
		return err
	}
	respond.JSON(w, http.StatusOK, map[string]any{"object": "jwt_template", "id": id, "deleted": true})
	return nil
}
