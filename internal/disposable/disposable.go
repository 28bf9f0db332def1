// Package disposable knows the disposable-mail domains that an instance
// may refuse at sign-up: a list shipped in domains.txt, which an
// operator's file can extend or trim.
package disposable

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

//go:embed domains.txt
var shipped string

// List is a set of disposable-mail domains. It is built once at start
// and only read afterwards.
type List struct{ domains map[string]bool }

// Default returns the shipped list.
func Default() *List {
	l := &List{domains: map[string]bool{}}
	// The shipped file is checked by the package's tests.
	_ = l.read(strings.NewReader(shipped))
	return l
}

// Load returns the shipped list changed by r (an operator's file in
// domains.txt's format): its domains are added, "!domain" removes one.
func Load(r io.Reader) (*List, error) {
	l := Default()
	if err := l.read(r); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *List) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		remove := strings.HasPrefix(line, "!")
		d := strings.ToLower(strings.TrimPrefix(line, "!"))
		if !validDomain(d) {
			return fmt.Errorf("line %d: %q is not a domain such as mailinator.com", n, line)
		}
		if remove {
			delete(l.domains, d)
		} else {
			l.domains[d] = true
		}
	}
	return sc.Err()
}

// validDomain accepts a host name with at least two labels; a bare
// suffix ("com") would refuse every address under it.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for _, c := range d {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Len is the number of domains.
func (l *List) Len() int { return len(l.domains) }

// Contains reports whether the domain of email (or email itself, when it
// holds no @) is on the list, directly or as a subdomain of a listed one:
// throwaway services hand out subdomains too.
func (l *List) Contains(email string) bool {
	d := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	for {
		if l.domains[d] {
			return true
		}
		dot := strings.IndexByte(d, '.')
		if dot < 0 || !strings.Contains(d[dot+1:], ".") {
			return false
		}
		d = d[dot+1:]
	}
}
