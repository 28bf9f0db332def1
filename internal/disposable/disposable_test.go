package disposable

import (
	"bufio"
	"strings"
	"testing"
)

// TestShipped checks the shipped file: every line a valid, lowercase,
// sorted, unique domain, so Default can ignore read's error.
func TestShipped(t *testing.T) {
	if err := (&List{domains: map[string]bool{}}).read(strings.NewReader(shipped)); err != nil {
		t.Fatal(err)
	}
	prev := ""
	sc := bufio.NewScanner(strings.NewReader(shipped))
	for sc.Scan() {
		d := sc.Text()
		if d == "" || strings.HasPrefix(d, "#") {
			continue
		}
		if d <= prev || d != strings.ToLower(d) {
			t.Errorf("%q after %q: keep the list lowercase, sorted and unique", d, prev)
		}
		prev = d
	}
	if n := Default().Len(); n < 100 {
		t.Errorf("shipped list has %d domains", n)
	}
}

func TestContains(t *testing.T) {
	l := Default()
	for email, want := range map[string]bool{
		"a@mailinator.com": true, "a@MAILINATOR.com": true, "a@eu.mailinator.com": true, "mailinator.com": true,
		"a@gmail.com": false, "a@com": false, "a@notmailinator.com": true, "a@xmailinator.com": false,
	} {
		if got := l.Contains(email); got != want {
			t.Errorf("Contains(%q) = %v, want %v", email, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	l, err := Load(strings.NewReader("# mine\nthrowaway.example\n!mailinator.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Contains("a@throwaway.example") || l.Contains("a@mailinator.com") || !l.Contains("a@yopmail.com") {
		t.Error("Load did not add, remove and keep as asked")
	}
	for _, bad := range []string{"com\n", "bad domain.com\n", "!.x.com\n"} {
		if _, err := Load(strings.NewReader(bad)); err == nil {
			t.Errorf("Load(%q) accepted it", bad)
		}
	}
}
