package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBodyDeadlines: a JSON body sent too slowly is cut off at its
// deadline (the handler's read fails and it answers), while an upload
// as slow gets the longer one and is read whole.
func TestBodyDeadlines(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body not read in time", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "read %d bytes", len(b))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: withRequest(slog.New(slog.DiscardHandler), nil, bodyDeadline(h, 200*time.Millisecond, 5*time.Second))}
	go srv.Serve(ln)
	defer srv.Close()

	// send writes the headers and half the body, waits, then the rest.
	send := func(contentType string) string {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 10\r\n\r\n12345", contentType)
		time.Sleep(600 * time.Millisecond)
		io.WriteString(conn, "67890")
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(b)))
	}
	if got := send("application/json"); !strings.HasPrefix(got, "400 ") {
		t.Errorf("a slow JSON body: %s", got)
	}
	if got := send("multipart/form-data; boundary=x"); got != "200 read 10 bytes" {
		t.Errorf("a slow upload: %s", got)
	}
}
