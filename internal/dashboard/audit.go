package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/conciergehq/concierge/internal/audit"
)

// The audit log page: who changed what, newest first, a page at a time
// (the cursor is the last event's sequence number, so a page costs its
// own rows however long the log), filtered by actor, action or target.

// auditPage is how many events the page shows at once.
const auditPage = 50

type auditData struct {
	Events []*audit.Event
	Filter audit.Filter
	Kinds  []audit.ActorKind
	// Older is the link to the next page ("" on the last).
	Older string
	// Filtered says a filter is set (a link back to everything shows).
	Filtered bool
}

func (d *Dashboard) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := audit.Filter{ActorKind: audit.ActorKind(strings.TrimSpace(q.Get("actor_kind"))),
		ActorID: strings.TrimSpace(q.Get("actor_id")), Action: strings.TrimSpace(q.Get("action")),
		TargetType: strings.TrimSpace(q.Get("target_type")), TargetID: strings.TrimSpace(q.Get("target_id")),
		Limit: auditPage + 1}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	events, err := d.Audit.AuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	data := auditData{Events: events, Filter: f, Kinds: audit.Kinds,
		Filtered: f.ActorKind != "" || f.ActorID != "" || f.Action != "" || f.TargetType != "" || f.TargetID != ""}
	// One more than shown was asked for: its presence says there is an
	// older page.
	if len(events) > auditPage {
		data.Events = events[:auditPage]
		next := url.Values{}
		for k, v := range map[string]string{"actor_kind": string(f.ActorKind), "actor_id": f.ActorID, "action": f.Action,
			"target_type": f.TargetType, "target_id": f.TargetID} {
			if v != "" {
				next.Set(k, v)
			}
		}
		next.Set("before", strconv.FormatInt(data.Events[auditPage-1].Seq, 10))
		data.Older = "/dashboard/audit?" + next.Encode()
	}
	return d.render(w, r, "audit", http.StatusOK, view{Title: "Audit log", Nav: "audit", Data: data})
}

// detailLines shows an event's detail object as "key: value" lines,
// sorted by key, which wrap in a table cell where raw JSON would not.
func detailLines(raw json.RawMessage) []string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return []string{string(raw)}
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out = append(out, k+": "+x)
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			out = append(out, k+": "+strings.Join(parts, ", "))
		default:
			b, _ := json.Marshal(x)
			out = append(out, k+": "+string(b))
		}
	}
	slices.Sort(out)
	return out
}
