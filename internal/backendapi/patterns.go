package backendapi

import "net/http"

// Router finds the handler and pattern a request would take, as
// http.ServeMux.Handler does: what Fallback needs of a route table.
type Router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Mux is a route table: an http.ServeMux, or a Recorder around one.
type Mux interface {
	Router
	Handle(pattern string, h http.Handler)
}

// Recorder is an http.ServeMux that also lists the patterns registered
// on it, so that tools can walk every route from the route tables
// themselves rather than from a copy that drifts (cmd/concierge-fuzz).
type Recorder struct {
	*http.ServeMux
	Patterns []string
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern and records the pattern.
func (r *Recorder) Handle(pattern string, h http.Handler) {
	r.Patterns = append(r.Patterns, pattern)
	r.ServeMux.Handle(pattern, h)
}

// Patterns lists the Backend API's route patterns ("GET /v1/users/{user_id}"),
// the catch-all included, in the route table's order.
func Patterns() []string {
	rec := NewRecorder()
	(&API{}).routes(rec)
	return rec.Patterns
}
