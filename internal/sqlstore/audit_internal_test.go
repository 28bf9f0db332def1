package sqlstore

import (
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/audit"
	"github.com/conciergehq/concierge/internal/user"
	"github.com/conciergehq/concierge/internal/webhook"
)

// TestAuditActionsFromEvents: the actions derived from webhook event
// types are the ones the audit package names.
func TestAuditActionsFromEvents(t *testing.T) {
	for typ, want := range map[string]string{
		webhook.OrganizationCreated: audit.OrganizationCreated, webhook.OrganizationDeleted: audit.OrganizationDeleted,
		webhook.MembershipCreated: audit.MembershipCreated, webhook.MembershipUpdated: audit.MembershipUpdated,
		webhook.MembershipDeleted: audit.MembershipDeleted, webhook.OrgInvitationCreated: audit.OrgInvitationCreate,
		webhook.OrgInvitationRevoked: audit.OrgInvitationRevoke, webhook.OrgInvitationAccepted: audit.OrgInvitationAccept, webhook.OrgDomainUpdated: audit.OrgDomainUpdated,
		webhook.RoleCreated: audit.RoleCreated, webhook.PermissionDeleted: audit.PermissionDeleted,
	} {
		action, target := fromEvent(typ)
		if action != want || !strings.HasPrefix(want, target+".") {
			t.Errorf("%s: %s on %s, want %s", typ, action, target, want)
		}
	}
}

// TestUserChange: an update names its action and the changed fields,
// secrets by what they hold, bookkeeping left out.
func TestUserChange(t *testing.T) {
	name := "Ada"
	before := &user.User{ID: "user_1", UpdatedAt: 1}
	after := *before
	after.FirstName, after.PasswordDigest, after.FailedAttempts, after.UpdatedAt = &name, "$2a$secret", 3, 2
	action, detail := userChange(before, &after)
	if action != audit.UserUpdated || strings.Join(detail["fields"].([]string), ",") != "first_name,password" {
		t.Fatalf("%s %v", action, detail)
	}
	after.Banned = true
	if action, _ := userChange(before, &after); action != audit.UserBanned {
		t.Fatalf("ban: %s", action)
	}
}

// TestAuditSubject: an actor not yet known becomes the user or operator
// of its kind that an event concerns, or no one.
func TestAuditSubject(t *testing.T) {
	for _, c := range []struct {
		kind               audit.ActorKind
		targetType, target string
		detail             any
		want               string
	}{
		{audit.User, "user", "user_1", nil, "user_1"},
		{audit.User, "session", "sess_1", map[string]string{"user_id": "user_2"}, "user_2"},
		{audit.User, "session", "sess_1", map[string]any{"user_id": "user_3", "strategy": "password"}, "user_3"},
		{audit.User, "waitlist_entry", "wle_1", map[string]string{"email_address": "a@example.com"}, ""},
		{audit.User, "settings", "sign_up_mode", nil, ""},
		{audit.User, "operator", "op_1", nil, ""},
		{audit.Operator, "operator", "op_1", nil, "op_1"},
		{audit.Operator, "user", "user_1", nil, ""},
		{audit.APIKey, "user", "user_1", nil, ""},
	} {
		if got := subjectOf(c.kind, c.targetType, c.target, c.detail); got != c.want {
			t.Errorf("%s on %s %s: %q, want %q", c.kind, c.targetType, c.target, got, c.want)
		}
	}
}
