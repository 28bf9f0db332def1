// Command emails sends an email to a user's address (createEmail) and
// follows its delivery.
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

	u, err := c.Users.Create(ctx, sdk.UserParams{EmailAddresses: []string{fmt.Sprintf("tacos-%d@example.com", time.Now().UnixNano())},
		SkipPasswordRequirement: true})
	exampleenv.Check("create user", err)
	defer c.Users.Delete(ctx, u.ID)

	email, err := c.Emails.Create(ctx, sdk.EmailParams{
		FromEmailName:  "sales", // sales@<CONCIERGE_EMAIL_DOMAIN>
		Subject:        "Free tacos",
		Body:           "<p>Join us via Zoom for remote Taco Tuesday!</p>",
		EmailAddressID: u.EmailAddresses[0].ID,
	})
	exampleenv.Check("createEmail", err)
	fmt.Println("email", email.ID, "is", email.Status)

	for i := 0; i < 50 && email.Status == "queued"; i++ {
		time.Sleep(100 * time.Millisecond)
		email, err = c.Emails.Get(ctx, email.ID)
		exampleenv.Check("get", err)
	}
	fmt.Println("email", email.ID, "is", email.Status)
}
