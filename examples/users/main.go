// Command users walks the users sub-API in the order of the SDK
// documentation: getUserList (plain, ordered, filtered, by query),
// getUser, getCount, createUser, updateUser, deleteUser.
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conciergehq/concierge/examples/internal/exampleenv"
	"github.com/conciergehq/concierge/sdk"
)

func main() {
	ctx := context.Background()
	c := exampleenv.Client()
	stamp := time.Now().UnixNano()
	email := fmt.Sprintf("ada-%d@example.com", stamp)

	// createUser first, so that the lists below have someone to show.
	u, err := c.Users.Create(ctx, sdk.UserParams{
		EmailAddresses: []string{email},
		PhoneNumbers:   []string{"+1202555" + fmt.Sprintf("%04d", stamp%10000)},
		Password:       "analytical-engine-1843",
		FirstName:      "Ada",
		LastName:       "Lovelace",
		PublicMetadata: map[string]any{"plan": "pro"},
	})
	exampleenv.Check("createUser", err)
	fmt.Println("created", u.ID, u.PrimaryEmailAddress())

	all, err := c.Users.List(ctx, nil)
	exampleenv.Check("getUserList", err)
	fmt.Printf("first page: %d users\n", len(all))

	newest, err := c.Users.List(ctx, &sdk.UserListParams{OrderBy: "-created_at", Limit: 10})
	exampleenv.Check("getUserList ordered", err)
	fmt.Println("newest user:", newest[0].ID)

	byEmail, err := c.Users.List(ctx, &sdk.UserListParams{UserFilter: sdk.UserFilter{EmailAddresses: []string{email}}})
	exampleenv.Check("getUserList by email", err)
	fmt.Printf("%d user(s) with %s\n", len(byEmail), email)

	matching, err := c.Users.List(ctx, &sdk.UserListParams{UserFilter: sdk.UserFilter{Query: "lovelace"}})
	exampleenv.Check("getUserList by query", err)
	fmt.Printf("%d user(s) matching \"lovelace\"\n", len(matching))

	got, err := c.Users.Get(ctx, u.ID)
	exampleenv.Check("getUser", err)
	fmt.Println("got", *got.FirstName, *got.LastName)

	total, err := c.Users.Count(ctx, nil)
	exampleenv.Check("getCount", err)
	fmt.Println("total users:", total)

	first, last := "John", "Wick"
	updated, err := c.Users.Update(ctx, u.ID, sdk.UserUpdate{FirstName: &first, LastName: &last})
	exampleenv.Check("updateUser", err)
	fmt.Println("renamed to", *updated.FirstName, *updated.LastName)

	_, err = c.Users.Delete(ctx, u.ID)
	exampleenv.Check("deleteUser", err)
	_, err = c.Users.Get(ctx, u.ID)
	if !errors.Is(err, sdk.ErrNotFound) {
		exampleenv.Check("getUser after delete", fmt.Errorf("want not found, got %v", err))
	}
	fmt.Println("deleted", u.ID)
}
