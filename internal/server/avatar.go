package server

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
)

// avatar serves a generated SVG for /avatars/avatar_placeholder/{id}.svg
// (and the older /avatars/{id}.svg): a coloured
// disc with a neutral silhouette. It depends only on the ID, so it needs
// no database and reveals nothing about the user; it is what a user
// object's image_url points at until profile images exist.
func avatar(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(r.PathValue("file"), ".svg")
	sum := sha256.Sum256([]byte(name))
	hue := int(sum[0])<<8 | int(sum[1])
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">`+
		`<rect width="64" height="64" rx="32" fill="hsl(%d,55%%,55%%)"/>`+
		`<circle cx="32" cy="25" r="11" fill="#fff" fill-opacity=".9"/>`+
		`<path d="M12 54c3-11 11-16 20-16s17 5 20 16" fill="#fff" fill-opacity=".9"/></svg>`, hue%360)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Clerk's components load images with crossorigin=anonymous.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write([]byte(svg))
}
