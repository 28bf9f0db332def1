// Package exampleenv builds the SDK client the examples share, from
// CONCIERGE_URL and CONCIERGE_SECRET_KEY.
package exampleenv

import (
	"fmt"
	"os"

	"github.com/conciergehq/concierge/sdk"
)

// Client returns a client for the environment's Concierge, or exits.
func Client() *sdk.Client {
	url := os.Getenv("CONCIERGE_URL")
	if url == "" {
		url = "http://127.0.0.1:8080"
	}
	c, err := sdk.New(sdk.Config{BaseURL: url, SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err, "(set CONCIERGE_SECRET_KEY to the key the server printed)")
		os.Exit(2)
	}
	return c
}

// Check exits when err is not nil.
func Check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
}
