package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/conciergehq/concierge/internal/audit"
)

// AuditSource gives an export the audit log, oldest first.
type AuditSource interface {
	ExportAuditEvents(ctx context.Context, after int64, limit int) ([]*audit.Event, error)
}

// AuditObject is the "object" of an audit event's line in a JSON Lines
// export: it follows the users, one event a line. An import skips such
// lines: the audit log tells what happened on the instance that wrote
// it, and replaying it into another would mix two histories (the file
// keeps it).
const AuditObject = "audit_event"

// AuditLine is an audit event as an export writes it.
type AuditLine struct {
	Object     string          `json:"object"`
	Seq        int64           `json:"seq"`
	ActorKind  string          `json:"actor_kind"`
	ActorID    string          `json:"actor_id"`
	ActorName  string          `json:"actor_name,omitempty"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	IP         string          `json:"ip,omitempty"`
	UserAgent  string          `json:"user_agent,omitempty"`
	Detail     json.RawMessage `json:"detail"`
	CreatedAt  int64           `json:"created_at"`
}

func (e *Exporter) exportAudit(ctx context.Context, w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var after int64
	for {
		events, err := e.Audit.ExportAuditEvents(ctx, after, exportPage)
		if err != nil {
			return err
		}
		for _, ev := range events {
			detail := ev.Detail
			if len(detail) == 0 {
				detail = json.RawMessage(`{}`)
			}
			if err := enc.Encode(AuditLine{Object: AuditObject, Seq: ev.Seq, ActorKind: string(ev.ActorKind),
				ActorID: ev.ActorID, ActorName: ev.ActorName, Action: ev.Action, TargetType: ev.TargetType,
				TargetID: ev.TargetID, IP: ev.IP, UserAgent: ev.UserAgent, Detail: detail, CreatedAt: ev.CreatedAt}); err != nil {
				return err
			}
			e.Audited++
		}
		if len(events) < exportPage {
			return nil
		}
		after = events[len(events)-1].Seq
	}
}

var auditMark = []byte(`"` + AuditObject + `"`)

// isAuditLine reports whether a JSON record is an exported audit event.
// Most lines are users: the byte search spares them a second decoding.
func isAuditLine(raw []byte) bool {
	if !bytes.Contains(raw, auditMark) {
		return false
	}
	var head struct {
		Object string `json:"object"`
	}
	return json.Unmarshal(raw, &head) == nil && head.Object == AuditObject
}
