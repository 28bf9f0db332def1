package instance_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/conciergehq/concierge/internal/dbtest"
	"github.com/conciergehq/concierge/internal/instance"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestInitFollowsEnvironmentUntilDashboard: settings start from the
// environment and follow it at each start, until the dashboard sets
// them; from then on the stored value wins, with a warning.
func TestInitFollowsEnvironmentUntilDashboard(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		db := dbtest.Open(t, engine)
		ctx := context.Background()
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		s := instance.NewService(db)
		mode := func() string {
			t.Helper()
			m, err := s.Mode(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if err := s.Init(ctx, map[string]string{}, log); err != nil || mode() != "public" {
			t.Fatalf("default: %v %q", err, mode())
		}
		if err := s.Init(ctx, map[string]string{instance.SignUpMode: "restricted"}, log); err != nil || mode() != "restricted" {
			t.Fatalf("from env: %v %q", err, mode())
		}
		if err := s.Init(ctx, map[string]string{instance.SignUpMode: "invitation_only"}, log); err != nil || mode() != "invitation_only" {
			t.Fatalf("env changed: %v %q", err, mode())
		}
		if err := s.Set(ctx, instance.SignUpMode, "public"); err != nil || mode() != "public" {
			t.Fatalf("dashboard: %v %q", err, mode())
		}
		if err := s.Init(ctx, map[string]string{instance.SignUpMode: "restricted"}, log); err != nil || mode() != "public" {
			t.Fatalf("env after the dashboard: %v %q", err, mode())
		}
		if !strings.Contains(logs.String(), "changed in the dashboard") {
			t.Fatalf("no warning logged: %s", logs.String())
		}
		if err := s.Init(ctx, map[string]string{instance.SignUpMode: "everyone"}, log); err == nil {
			t.Fatal("an invalid mode was accepted")
		}
		if err := s.Set(ctx, instance.SignUpMode, "everyone"); err == nil {
			t.Fatal("an invalid mode was set")
		}
		if name, err := s.AppName(ctx); err != nil || name != "Concierge" {
			t.Fatalf("app name: %v %q", err, name)
		}
	})
}

// TestSecretIsStableAndShared: a secret is made once and every process
// on the database reads the same one.
func TestSecretIsStableAndShared(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		db := dbtest.Open(t, engine)
		ctx := context.Background()
		a, err := instance.NewService(db).Secret(ctx, "k")
		if err != nil || len(a) != 32 {
			t.Fatalf("%v %d", err, len(a))
		}
		b, err := instance.NewService(db).Secret(ctx, "k")
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second read differs: %v", err)
		}
		c, _ := instance.NewService(db).Secret(ctx, "other")
		if bytes.Equal(a, c) {
			t.Fatal("two secrets are equal")
		}
	})
}

// TestClientTrustDefaultForNewInstances: a new instance checks new
// clients ("true", as Clerk's new applications); an instance that ran
// an older version (settings stored, none for client_trust) keeps its
// former behaviour across restarts, until the environment sets it.
func TestClientTrustDefaultForNewInstances(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		log := slog.New(slog.DiscardHandler)
		trust := func(s *instance.Service) (bool, string) {
			t.Helper()
			l, err := s.Live(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return l.ClientTrust, s.Source(ctx, instance.ClientTrust)
		}
		fresh := instance.NewService(dbtest.Open(t, engine))
		if err := fresh.Init(ctx, map[string]string{}, log); err != nil {
			t.Fatal(err)
		}
		if on, src := trust(fresh); !on || src != instance.SourceDefault {
			t.Fatalf("new instance: %v %s", on, src)
		}
		db := dbtest.Open(t, engine)
		if err := db.PutSetting(ctx, instance.Setting{Key: instance.SignUpMode, Value: "public", Source: instance.SourceDefault}); err != nil {
			t.Fatal(err)
		}
		old := instance.NewService(db)
		for i := 0; i < 2; i++ {
			if err := old.Init(ctx, map[string]string{}, log); err != nil {
				t.Fatal(err)
			}
			if on, src := trust(old); on || src != instance.SourceUpgrade {
				t.Fatalf("upgraded instance, start %d: %v %s", i+1, on, src)
			}
		}
		if err := old.Init(ctx, map[string]string{instance.ClientTrust: "true"}, log); err != nil {
			t.Fatal(err)
		}
		if on, src := trust(old); !on || src != instance.SourceEnv {
			t.Fatalf("set in the environment: %v %s", on, src)
		}
	})
}
