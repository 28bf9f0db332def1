// Command sms sends an SMS to a user's phone number (createSMSMessage).
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

	n := time.Now().UnixNano()
	u, err := c.Users.Create(ctx, sdk.UserParams{PhoneNumbers: []string{fmt.Sprintf("+1202555%04d", n%10000)},
		SkipPasswordRequirement: true})
	exampleenv.Check("create user", err)
	defer c.Users.Delete(ctx, u.ID)

	msg, err := c.SMSMessages.Create(ctx, "All glory to the Hypnotoad!", u.PhoneNumbers[0].ID)
	exampleenv.Check("createSMSMessage", err)
	fmt.Println("sms", msg.ID, "to", msg.ToPhoneNumber, "is", msg.Status)
}
