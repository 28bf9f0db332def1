package apikey_test

import (
	"context"
	"testing"
	"time"

	"github.com/conciergehq/concierge/internal/apikey"
	"github.com/conciergehq/concierge/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestKeyring(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := dbtest.Open(t, engine)
		static := apikey.Generate()
		ring := apikey.NewKeyring(db, static)
		if ok, err := ring.Valid(ctx, static); err != nil || !ok {
			t.Fatalf("static key refused: %v", err)
		}
		stored := apikey.Generate()
		if ok, _ := ring.Valid(ctx, stored); ok {
			t.Fatal("unknown key accepted")
		}
		if err := db.CreateSecretKey(ctx, apikey.NewKey(stored, time.Now())); err != nil {
			t.Fatal(err)
		}
		// A key made by another process is seen once the miss-reload
		// window (one second) has passed, without an explicit invalidate.
		deadline := time.Now().Add(3 * time.Second)
		for {
			ok, err := ring.Valid(ctx, stored)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("stored key never accepted")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if ok, _ := ring.Valid(ctx, stored+"x"); ok {
			t.Fatal("altered key accepted")
		}
		keys, err := db.ActiveSecretKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].Hint == "" || string(keys[0].Hash) == stored {
			t.Fatalf("stored keys: %+v %v", keys, err)
		}
	})
}

func TestGenerateFormat(t *testing.T) {
	k := apikey.Generate()
	if len(k) != len("sk_test_")+apikey.RandomLen || !apikey.WellFormed(k) {
		t.Fatalf("bad key %q", k)
	}
}
