package dashboard

import "testing"

// TestPagesParse: every page template parses, as it did at start-up
// before parsing became lazy, so a broken template fails here rather
// than on the first request for it.
func TestPagesParse(t *testing.T) {
	p := pages()
	for _, name := range []string{"users", "user", "settings", "audit"} {
		if p[name] == nil {
			t.Errorf("no page %q among %d", name, len(p))
		}
	}
}
