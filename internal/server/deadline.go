package server

import (
	"mime"
	"net/http"
	"time"
)

// Body-read deadlines. JSON and form bodies are small, so a client gets
// JSONBody to send one: a slow sender cannot hold a connection and its
// goroutine for the UploadBody a multipart upload (an image, an import
// file) may need. The dashboard's import extends its own further.
const (
	JSONBody   = 10 * time.Second
	UploadBody = 30 * time.Second
)

// bodyDeadline sets the read deadline of r's body by its kind.
func bodyDeadline(next http.Handler, jsonBody, upload time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			d := jsonBody
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); isUpload(mt) {
				d = upload
			}
			// An error means the writer cannot (an HTTP/1 hijacked or a
			// test's recorder): the server's ReadTimeout still holds.
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

func isUpload(mediaType string) bool {
	switch mediaType {
	case "multipart/form-data", "application/octet-stream", "text/csv", "application/x-ndjson", "application/jsonl":
		return true
	}
	return len(mediaType) > 6 && mediaType[:6] == "image/"
}
