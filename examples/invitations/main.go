// Command invitations lists, creates and revokes invitations
// (getInvitationList, createInvitation, revokeInvitation).
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/conciergehq/concierge/examples/internal/exampleenv"
	"github.com/conciergehq/concierge/sdk"
)

func main() {
	ctx := context.Background()
	c := exampleenv.Client()

	list, err := c.Invitations.List(ctx, nil)
	exampleenv.Check("list", err)
	fmt.Printf("%d invitations (not revoked)\n", list.TotalCount)

	notify := false // true emails the invitation
	inv, err := c.Invitations.Create(ctx, sdk.InvitationParams{
		EmailAddress: fmt.Sprintf("invitee-%d@example.com", time.Now().UnixNano()),
		RedirectURL:  "https://app.example.com/welcome",
		Notify:       &notify,
	})
	exampleenv.Check("create", err)
	fmt.Printf("invited %s: %s\n", inv.EmailAddress, inv.URL)

	revoked, err := c.Invitations.Revoke(ctx, inv.ID)
	exampleenv.Check("revoke", err)
	fmt.Println("revoked:", revoked.Status)
}
