// Command clients lists clients, gets one and verifies a token
// (getClientList, getClient, verifyClient). It opens a test session for a
// throwaway user so that there is a client to look at.
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

	u, err := c.Users.Create(ctx, sdk.UserParams{EmailAddresses: []string{fmt.Sprintf("clients-%d@example.com", time.Now().UnixNano())},
		SkipPasswordRequirement: true})
	exampleenv.Check("create user", err)
	defer c.Users.Delete(ctx, u.ID)
	sess, err := c.Sessions.Create(ctx, u.ID) // needs an sk_test_ key
	exampleenv.Check("create session", err)

	clients, err := c.Clients.List(ctx, 10, 0)
	exampleenv.Check("list", err)
	fmt.Printf("%d clients\n", clients.TotalCount)

	client, err := c.Clients.Get(ctx, sess.ClientID)
	exampleenv.Check("get", err)
	fmt.Printf("client %s has %d session(s)\n", client.ID, len(client.Sessions))

	token, err := c.Sessions.CreateToken(ctx, sess.ID, 0)
	exampleenv.Check("token", err)
	verified, err := c.Clients.Verify(ctx, token.JWT)
	exampleenv.Check("verify", err)
	fmt.Println("the session token belongs to client", verified.ID)
}
