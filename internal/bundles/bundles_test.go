package bundles

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestServe: major aliases take the newest installed version, exact
// versions are cached for good, every answer allows any origin, and what
// is not installed says how to install it.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "clerk-clerk-js-6.40.0/dist/clerk.browser.js"), "new")
	write(t, filepath.Join(dir, "clerk-clerk-js-6.9.3/dist/clerk.browser.js"), "old")
	write(t, filepath.Join(dir, "clerk-clerk-js-5.99.0/dist/clerk.browser.js"), "five")
	write(t, filepath.Join(dir, "clerk-ui-1.36.0/dist/ui.browser.js"), "ui")
	write(t, filepath.Join(dir, "secret.txt"), "no")
	var logs bytes.Buffer
	srv := httptest.NewServer(&Server{Dir: dir, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	defer srv.Close()
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS", path)
		}
		return res.StatusCode, string(b), res.Header
	}
	for _, c := range []struct {
		path, body, cache string
		status            int
	}{
		{"/npm/@clerk/clerk-js@6/dist/clerk.browser.js", "new", "max-age=300", 200},
		{"/npm/@clerk/clerk-js@latest/dist/clerk.browser.js", "new", "max-age=300", 200},
		{"/npm/@clerk/clerk-js@6.9/dist/clerk.browser.js", "old", "max-age=300", 200},
		{"/npm/@clerk/clerk-js@5/dist/clerk.browser.js", "five", "max-age=300", 200},
		{"/npm/@clerk/clerk-js@6.40.0/dist/clerk.browser.js", "new", "immutable", 200},
		{"/npm/@clerk/ui@1/dist/ui.browser.js", "ui", "max-age=300", 200},
		{"/npm/@clerk/ui@1.36.0/dist/ui.browser.js", "ui", "immutable", 200},
		{"/npm/@clerk/clerk-js@7/dist/clerk.browser.js", "concierge bundles install", "", 404},
		{"/npm/@clerk/clerk-js@6/dist/missing.js", "not part of", "", 404},
		{"/npm/@clerk/clerk-js@6/../secret.txt", "", "", 404},
		{"/npm/@clerk/clerk-js@6/dist/../../secret.txt", "", "", 404},
		{"/npm/@clerk/nextjs@7/dist/index.js", "only @clerk/clerk-js", "", 404},
		{"/npm/left-pad@1/index.js", "only @clerk/clerk-js", "", 404},
	} {
		st, body, h := get(c.path)
		if st != c.status || !strings.Contains(body, c.body) || !strings.Contains(h.Get("Cache-Control"), c.cache) || strings.Contains(body, "no") && c.body == "" {
			t.Errorf("%s: %d %q (Cache-Control %q)", c.path, st, body, h.Get("Cache-Control"))
		}
	}
	if !strings.Contains(logs.String(), "concierge bundles install") {
		t.Errorf("no log line for a missing bundle: %s", logs.String())
	}
}

func tarball(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "p.tgz")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

// TestUnpack: an npm tarball's package/ lands in the folder; an entry
// that would escape it fails the whole install and writes nothing.
func TestUnpack(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "clerk-ui-1.0.0")
	if err := unpack(tarball(t, map[string]string{"package/dist/ui.browser.js": "ui", "package/package.json": "{}"}), dest); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "dist/ui.browser.js")); err != nil || string(b) != "ui" {
		t.Fatalf("unpacked: %q %v", b, err)
	}
	bad := filepath.Join(t.TempDir(), "clerk-ui-2.0.0")
	if err := unpack(tarball(t, map[string]string{"package/../../evil.js": "x"}), bad); err == nil {
		t.Fatal("an escaping entry was accepted")
	}
	if _, err := os.Stat(bad); err == nil {
		t.Fatal("a refused package left files")
	}
}
