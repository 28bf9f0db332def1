// Command protected is a net/http application whose /api/me answers only
// requests with a valid Concierge session token (Authorization: Bearer,
// or the __session cookie), verified without calling Concierge once the
// keys are cached.
//
//	go run ./examples/protected -addr 127.0.0.1:3000
//	curl -H "Authorization: Bearer <session token>" http://127.0.0.1:3000/api/me
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"

	"github.com/conciergehq/concierge/examples/internal/exampleenv"
	"github.com/conciergehq/concierge/sdk"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "address to listen on")
	flag.Parse()
	c := exampleenv.Client()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("public page\n"))
	})
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := sdk.SessionClaims(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"user_id": claims.UserID, "session_id": claims.SessionID})
	})
	mux.Handle("GET /api/me", c.RequireSession(nil)(me))
	log.Printf("listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
