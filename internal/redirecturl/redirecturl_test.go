package redirecturl

import "testing"

// TestMatches: a registered URL admits itself and what lies under it at
// a path, query or fragment boundary, nothing else.
func TestMatches(t *testing.T) {
	cases := []struct {
		reg, cand string
		want      bool
	}{
		{"myapp://callback", "myapp://callback", true},
		{"myapp://callback", "MyApp://Callback/x", true},
		{"myapp://callback", "myapp://callbackx", false},
		{"myapp://callback", "myapp://callback.evil", false},
		{"https://a.example/cb", "https://a.example/cb?x=1", true},
		{"https://a.example/cb", "https://a.example/cb#f", true},
		{"https://a.example/cb", "https://a.example/cbx", false},
		{"https://a.example/cb/", "https://a.example/cb/deeper", true},
		{"https://a.example", "https://a.example/anything", true},
		{"https://a.example", "https://a.example.evil/", false},
		{"https://a.example", "http://a.example/", false},
		{"https://a.example/cb", "https://x@a.example/cb", false},
		{"com.example:/cb", "com.example:/cb", true},
		{"urn:app", "urn:app", true},
		{"urn:app", "urn:apple", false},
		{"https://a.example/cb/", "https://a.example/cb/../evil", false},
		{"https://a.example/cb/", "https://a.example/cb/%2e%2e/evil", false},
		{"https://a.example/cb/", `https://a.example/cb/..\evil`, false},
		{"myapp://cb", "myapp://cb/./x", false},
		{"https://a.example/cb/", "https://a.example/cb/a..b", true},
	}
	for _, c := range cases {
		if got := Matches(c.reg, c.cand); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.reg, c.cand, got, c.want)
		}
	}
	for _, d := range []string{"javascript:x", " JavaScript:x", "java\tscript:x", "\x01data:x", "vbscript:x", "file:///x", "blob:https://a/x"} {
		if !Dangerous(d) {
			t.Errorf("Dangerous(%q) = false", d)
		}
	}
	for _, s := range []string{"myapp://javascript:x", "https://a.example/?u=javascript:x"} {
		if Dangerous(s) {
			t.Errorf("Dangerous(%q) = true", s)
		}
	}
}
