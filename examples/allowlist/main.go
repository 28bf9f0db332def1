// Command allowlist lists, adds and deletes allowlist identifiers
// (getAllowlistIdentifierList, createAllowlistIdentifier,
// deleteAllowlistIdentifier).
package main

import (
	"context"
	"fmt"

	"github.com/conciergehq/concierge/examples/internal/exampleenv"
)

func main() {
	ctx := context.Background()
	c := exampleenv.Client()

	list, err := c.AllowlistIdentifiers.List(ctx, 10, 0)
	exampleenv.Check("list", err)
	fmt.Printf("%d allowlist identifiers\n", list.TotalCount)

	// A wildcard admits every address of a domain; notify is not
	// available for it.
	entry, err := c.AllowlistIdentifiers.Create(ctx, "*@example-partner.com", false)
	exampleenv.Check("create", err)
	fmt.Printf("added %s (%s)\n", entry.Identifier, entry.ID)

	_, err = c.AllowlistIdentifiers.Delete(ctx, entry.ID)
	exampleenv.Check("delete", err)
	fmt.Println("deleted", entry.ID)
}
