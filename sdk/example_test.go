package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/conciergehq/concierge/sdk"
)

func ExampleNew() {
	c, err := sdk.New(sdk.Config{
		BaseURL:   "https://clerk.example.com", // CONCIERGE_PUBLIC_URL
		SecretKey: os.Getenv("CONCIERGE_SECRET_KEY"),
	})
	if err != nil {
		log.Fatal(err)
	}
	n, err := c.Users.Count(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "users")
}

func ExampleUsers_List() {
	c, _ := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	users, err := c.Users.List(context.Background(), &sdk.UserListParams{
		UserFilter: sdk.UserFilter{EmailAddresses: []string{"ada@example.com"}, PhoneNumbers: []string{"+12025550108"}},
		OrderBy:    "-created_at",
		Limit:      10,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range users {
		fmt.Println(u.ID, u.PrimaryEmailAddress())
	}
}

func ExampleUsers_All() {
	c, _ := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	// Every user matching "test", fetched 100 at a time.
	for u, err := range c.Users.All(context.Background(), sdk.UserListParams{UserFilter: sdk.UserFilter{Query: "test"}, Limit: 100}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.ID)
	}
}

func ExampleUsers_Create() {
	c, _ := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	u, err := c.Users.Create(context.Background(), sdk.UserParams{
		EmailAddresses: []string{"ada@example.com"},
		Password:       "analytical-engine-1843",
		FirstName:      "Ada",
		PublicMetadata: map[string]any{"plan": "pro"},
	})
	if errors.Is(err, sdk.ErrIdentifierExists) {
		var e *sdk.APIError
		errors.As(err, &e)
		fmt.Println("taken:", e.Param())
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", u.ID)
}

func ExampleClient_VerifyToken() {
	c, _ := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	claims, err := c.VerifyToken(context.Background(), os.Getenv("SESSION_TOKEN"), &sdk.VerifyOptions{
		AuthorizedParties: []string{"https://app.example.com"},
	})
	if errors.Is(err, sdk.ErrInvalidToken) {
		fmt.Println("not signed in")
		return
	}
	if err != nil {
		log.Fatal(err) // the JWKS could not be fetched
	}
	fmt.Println("user", claims.UserID, "session", claims.SessionID)
}

func ExampleClient_RequireSession() {
	c, _ := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := sdk.SessionClaims(r.Context())
		fmt.Fprintln(w, "hello", claims.UserID)
	})
	http.Handle("GET /api/me", c.RequireSession(nil)(me))
}

func ExampleInvitations_Create() {
	c, _ := sdk.New(sdk.Config{BaseURL: "https://clerk.example.com", SecretKey: os.Getenv("CONCIERGE_SECRET_KEY")})
	inv, err := c.Invitations.Create(context.Background(), sdk.InvitationParams{
		EmailAddress: "grace@example.com",
		RedirectURL:  "https://app.example.com/welcome",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("invitation link:", inv.URL)
}
