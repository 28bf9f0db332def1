package token

import (
	"context"
	"testing"
	"time"
)

// memStore keeps keys in memory for the package's own tests; the real
// stores are tested through the HTTP suites.
type memStore struct{ keys []StoredKey }

func (m *memStore) SigningKeys(context.Context) ([]StoredKey, error) {
	var out []StoredKey
	for _, k := range m.keys {
		if k.RetiredAt == nil {
			out = append(out, k)
		}
	}
	return out, nil
}
func (m *memStore) AddSigningKey(_ context.Context, k StoredKey) error {
	m.keys = append(m.keys, k)
	return nil
}
func (m *memStore) RetireSigningKey(_ context.Context, kid string, at int64) error {
	for i := range m.keys {
		if m.keys[i].KID == kid {
			m.keys[i].RetiredAt = &at
		}
	}
	return nil
}

func TestSignVerify(t *testing.T) {
	k, err := Open(context.Background(), &memStore{}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw, c, err := k.Sign(Mint{Issuer: "https://clerk.example.com", UserID: "user_1", SessionID: "sess_1",
		Origin: "https://app.example.com", FactorAge: [2]int{3, -1}, TTL: time.Minute}, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 2 || c.FactorAge != [2]int{3, -1} || c.ID == "" || c.NotBefore.Time().After(now) {
		t.Fatalf("claims %+v", c)
	}
	got, err := k.Verify(raw, "https://clerk.example.com", now)
	if err != nil || got.Subject != "user_1" || got.SessionID != "sess_1" || got.AuthorizedParty != "https://app.example.com" {
		t.Fatalf("verify: %v %+v", err, got)
	}
	for name, at := range map[string]time.Time{"expired": now.Add(66 * time.Second), "not yet": now.Add(-11 * time.Second)} {
		if _, err := k.Verify(raw, "https://clerk.example.com", at); err == nil {
			t.Errorf("%s token verified", name)
		}
	}
	if _, err := k.Verify(raw, "https://other.example.com", now); err == nil {
		t.Error("wrong issuer verified")
	}
	if _, err := k.Verify(raw[:len(raw)-3]+"abc", "https://clerk.example.com", now); err == nil {
		t.Error("tampered token verified")
	}
}

// BenchmarkSign measures minting alone: one RSA-2048 signature.
func BenchmarkSign(b *testing.B) {
	k, err := Open(context.Background(), &memStore{}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := k.Sign(Mint{Issuer: "i", UserID: "u", SessionID: "s", TTL: time.Minute}, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
