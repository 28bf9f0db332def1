// Package bundles serves Clerk's browser bundles (@clerk/clerk-js and
// @clerk/ui) where Clerk's SDKs load them from, <Frontend API>/npm/
// <package>@<version>/dist/…, out of a folder the operator fills with
// `concierge bundles install`; so an application's <ClerkProvider> needs
// no clerkJSUrl.
package bundles

import (
	"cmp"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Packages maps the packages served to the folder-name prefix npm pack
// gives them ("<prefix><version>").
var Packages = map[string]string{"@clerk/clerk-js": "clerk-clerk-js-", "@clerk/ui": "clerk-ui-"}

// Server serves the bundles installed in Dir.
type Server struct {
	Dir string
	Log *slog.Logger

	mu     sync.Mutex
	warned map[string]time.Time
}

// version is a parsed x.y.z.
type version [3]int

func parseVersion(s string) (version, bool) {
	var v version
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// resolve finds the installed folder for pkg at want: an exact version,
// a major or major.minor alias, or "latest"; the newest that matches.
func (s *Server) resolve(pkg, want string) (folder string, exact bool) {
	prefix := Packages[pkg]
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return "", false
	}
	type cand struct {
		name string
		v    version
	}
	var found []cand
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		raw := strings.TrimPrefix(e.Name(), prefix)
		v, ok := parseVersion(raw)
		if !ok {
			continue
		}
		if want == raw {
			return e.Name(), true
		}
		if want == "latest" || want == "" || strings.HasPrefix(raw, want+".") {
			found = append(found, cand{e.Name(), v})
		}
	}
	if len(found) == 0 {
		return "", false
	}
	best := slices.MaxFunc(found, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.v[0], b.v[0]), cmp.Compare(a.v[1], b.v[1]), cmp.Compare(a.v[2], b.v[2]))
	})
	return best.name, false
}

// ServeHTTP answers GET /npm/<package>@<version>/<path>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The SDKs load these with crossorigin="anonymous": without CORS the
	// browser refuses even a good answer.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	rest := strings.TrimPrefix(r.URL.Path, "/npm/")
	pkg, file, ok := splitPackage(rest)
	if !ok {
		http.Error(w, "Not found: Concierge serves only @clerk/clerk-js and @clerk/ui under /npm/.", http.StatusNotFound)
		return
	}
	pkgName, want := splitVersion(pkg)
	folder, exact := s.resolve(pkgName, want)
	if folder == "" {
		s.warn(pkgName, want)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("Clerk's browser bundle " + pkgName + "@" + want + " is not installed on this Concierge.\n" +
			"Install the pinned bundles with `concierge bundles install` (they go to CONCIERGE_BUNDLE_DIR), " +
			"or point your application at a copy with clerkJSUrl / NEXT_PUBLIC_CLERK_JS_URL.\n"))
		return
	}
	if !fs.ValidPath(file) {
		http.Error(w, "Not found.", http.StatusNotFound)
		return
	}
	fsys := os.DirFS(filepath.Join(s.Dir, folder))
	if st, err := fs.Stat(fsys, file); err != nil || st.IsDir() {
		http.Error(w, "Not found: "+file+" is not part of "+folder+".", http.StatusNotFound)
		return
	}
	if exact {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An alias moves when a newer version is installed.
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	http.ServeFileFS(w, r, fsys, file)
}

// splitPackage splits "@clerk/ui@1/dist/ui.browser.js" into
// "@clerk/ui@1" and "dist/ui.browser.js".
func splitPackage(rest string) (pkg, file string, ok bool) {
	scope, after, ok := strings.Cut(rest, "/")
	if !ok || !strings.HasPrefix(scope, "@") {
		return "", "", false
	}
	name, file, ok := strings.Cut(after, "/")
	if !ok || file == "" {
		return "", "", false
	}
	pkg = scope + "/" + name
	if n, _ := splitVersion(pkg); Packages[n] == "" {
		return "", "", false
	}
	return pkg, file, true
}

// splitVersion splits "@clerk/ui@1.36.0" into "@clerk/ui" and "1.36.0".
func splitVersion(pkg string) (name, version string) {
	i := strings.LastIndex(pkg, "@")
	if i <= 0 {
		return pkg, ""
	}
	return pkg[:i], pkg[i+1:]
}

// warn logs a missing bundle, at most once a minute per package.
func (s *Server) warn(pkg, want string) {
	if s.Log == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.warned == nil {
		s.warned = map[string]time.Time{}
	}
	if t, ok := s.warned[pkg]; ok && time.Since(t) < time.Minute {
		return
	}
	s.warned[pkg] = time.Now()
	s.Log.Warn("Clerk's browser bundle is not installed: run `concierge bundles install`", "package", pkg, "version", want, "dir", s.Dir)
}
