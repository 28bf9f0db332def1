// Command sessions lists, gets, verifies and revokes sessions
// (getSessionList, getSession, revokeSession, verifySession).
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

	u, err := c.Users.Create(ctx, sdk.UserParams{EmailAddresses: []string{fmt.Sprintf("sessions-%d@example.com", time.Now().UnixNano())},
		SkipPasswordRequirement: true})
	exampleenv.Check("create user", err)
	defer c.Users.Delete(ctx, u.ID)
	created, err := c.Sessions.Create(ctx, u.ID) // testing only: needs an sk_test_ key
	exampleenv.Check("create session", err)

	list, err := c.Sessions.List(ctx, &sdk.SessionListParams{UserID: u.ID})
	exampleenv.Check("list", err)
	fmt.Printf("user %s has %d session(s)\n", u.ID, list.TotalCount)

	sess, err := c.Sessions.Get(ctx, created.ID)
	exampleenv.Check("get", err)
	fmt.Println("session", sess.ID, "is", sess.Status)

	token, err := c.Sessions.CreateToken(ctx, sess.ID, 0)
	exampleenv.Check("token", err)
	claims, err := c.VerifyToken(ctx, token.JWT, nil) // networkless once the keys are cached
	exampleenv.Check("verify token", err)
	fmt.Println("token verified for user", claims.UserID)
	_, err = c.Sessions.Verify(ctx, sess.ID, token.JWT) // asks the server
	exampleenv.Check("verify session", err)

	revoked, err := c.Sessions.Revoke(ctx, sess.ID)
	exampleenv.Check("revoke", err)
	fmt.Println("session", revoked.ID, "is", revoked.Status)
}
