package identifier

import "testing"

func TestEmail(t *testing.T) {
	good := map[string]string{
		" Ada@Example.COM ":       "ada@example.com",
		"a.b+tag@sub.example.org": "a.b+tag@sub.example.org",
	}
	for in, want := range good {
		if got, err := Email("email_address", in); err != nil || got != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "plain", "a@b", "@example.com", "a@-x.com", "Ada <ada@example.com>", "a b@example.com", "a@exa mple.com", "a@@example.com"} {
		if _, err := Email("email_address", in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestPhone(t *testing.T) {
	if got, err := Phone("phone_number", "+14155552671"); err != nil || got != "+14155552671" {
		t.Fatalf("got %q %v", got, err)
	}
	for _, in := range []string{"", "14155552671", "+1 415 555 2671", "+1000", "+999999999999", "+44abc"} {
		if _, err := Phone("phone_number", in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestUsernameAndWallet(t *testing.T) {
	if got, err := Username("username", "Ada.L-1_x"); err != nil || got != "ada.l-1_x" {
		t.Fatalf("got %q %v", got, err)
	}
	for _, in := range []string{"abc", "12345", "has space", "émile", string(make([]byte, 65))} {
		if _, err := Username("username", in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if got, err := Web3Wallet("web3_wallet", "0xABCDEF0123456789abcdef0123456789ABCDEF01"); err != nil || got != "0xabcdef0123456789abcdef0123456789abcdef01" {
		t.Fatalf("got %q %v", got, err)
	}
	for _, in := range []string{"0x123", "1xABCDEF0123456789abcdef0123456789ABCDEF01", "0xZZCDEF0123456789abcdef0123456789ABCDEF01"} {
		if _, err := Web3Wallet("web3_wallet", in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
