// Package instance holds the instance's settings (sign-up mode,
// application name) and secrets, kept in the database so that the
// dashboard can edit them, with the environment as their initial value.
package instance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Setting keys.
const (
	SignUpMode      = "sign_up_mode"
	ApplicationName = "application_name"
)

// Sign-up modes.
const (
	ModePublic         = "public"          // anyone may sign up
	ModeRestricted     = "restricted"      // allowlisted identifiers and invited addresses only
	ModeInvitationOnly = "invitation_only" // invited addresses only
	ModeWaitlist       = "waitlist"        // invited addresses only; others may join the waitlist
)

// Sources of a setting's value. A value from the environment or the
// default follows the environment at each start; a value an operator set
// in the dashboard is kept until the dashboard changes it.
const (
	SourceDefault   = "default"
	SourceEnv       = "env"
	SourceDashboard = "dashboard"
	// SourceUpgrade is the former behaviour an instance keeps when a
	// newer version gives new instances another default (see
	// upgradeDefaults); the environment or the dashboard replaces it.
	SourceUpgrade   = "upgrade"
	sourceGenerated = "generated"
)

// upgradeDefaults are the settings whose default is new: an instance
// that has settings stored already (it ran an older version) keeps the
// behaviour it had, a new one gets the default.
var upgradeDefaults = map[string]string{ClientTrust: "false"}

// Setting is one stored setting.
type Setting struct {
	Key, Value, Source string
	UpdatedAt          int64
}

// Store persists settings.
type Store interface {
	Settings(ctx context.Context) (map[string]Setting, error)
	PutSetting(ctx context.Context, s Setting) error
	// PutSettingIfAbsent stores s unless its key exists, and returns
	// what is stored: s, or the value that was there (when several
	// processes start at once, all end with the same).
	PutSettingIfAbsent(ctx context.Context, s Setting) (Setting, error)
}

// Service reads and writes settings. Reads go through a cache that
// lives cacheTTL, so a change made in one process's dashboard reaches
// every process within that time.
type Service struct {
	Store Store
	Now   func() time.Time

	mu     sync.Mutex
	cached map[string]Setting
	// last is the last successful read, kept through Forget.
	last map[string]Setting
	at   time.Time
	// gen counts reloads of cached; live was parsed at liveGen.
	gen, liveGen int
	live         *Live
}

const cacheTTL = 2 * time.Second

// NewService returns a Service on store.
func NewService(store Store) *Service { return &Service{Store: store, Now: time.Now} }

// Init reconciles stored settings with the environment at start: env
// holds the values set there by key ("" = not set). Values that came
// from the environment or the defaults follow it; values set in the
// dashboard are kept, with a warning when the environment disagrees.
func (s *Service) Init(ctx context.Context, env map[string]string, log *slog.Logger) error {
	stored, err := s.Store.Settings(ctx)
	if err != nil {
		return err
	}
	for key, def := range defaults {
		want := Setting{Key: key, Value: def, Source: SourceDefault, UpdatedAt: s.Now().UnixMilli()}
		if v := env[key]; v != "" {
			if err := Validate(key, v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			want.Value, want.Source = v, SourceEnv
		}
		have, ok := stored[key]
		if old, changed := upgradeDefaults[key]; changed && !ok && len(stored) > 0 && want.Source == SourceDefault {
			want.Value, want.Source = old, SourceUpgrade
		}
		switch {
		case ok && have.Source == SourceUpgrade && want.Source == SourceDefault:
			// kept: the instance predates the new default
		case ok && have.Source == SourceDashboard:
			if want.Source == SourceEnv && want.Value != have.Value {
				envValue, inUse := want.Value, have.Value
				if secretKeys[key] {
					envValue, inUse = "(secret)", "(secret)"
				}
				log.Warn("setting from the environment ignored: it was changed in the dashboard",
					"setting", key, "environment", envValue, "in_use", inUse)
			}
		case ok && have.Value == want.Value && have.Source == want.Source:
		default:
			if err := s.Store.PutSetting(ctx, want); err != nil {
				return err
			}
		}
	}
	s.forget()
	// Read once now, so that a database away later finds a last read.
	_, err = s.all(ctx)
	return err
}

// all returns every stored setting, from the cache when it is fresh.
func (s *Service) all(ctx context.Context) (map[string]Setting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && time.Since(s.at) < cacheTTL {
		return s.cached, nil
	}
	all, err := s.Store.Settings(ctx)
	if err != nil {
		// The database is away: the settings last read stand in, so that
		// what needs no other read (origin checks, the environment)
		// carries on, and the rest answers for itself.
		if s.last != nil {
			return s.last, nil
		}
		return nil, err
	}
	s.cached, s.last, s.at = all, all, time.Now()
	s.gen++
	return all, nil
}

// Forget drops the cache: the next read loads the stored settings (as
// when another process tells of a change).
func (s *Service) Forget() { s.forget() }

func (s *Service) forget() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
}

// Get returns a setting's value, or its default when it was never stored.
func (s *Service) Get(ctx context.Context, key string) (string, error) {
	all, err := s.all(ctx)
	if err != nil {
		return "", err
	}
	if v, ok := all[key]; ok {
		return v.Value, nil
	}
	return defaults[key], nil
}

// Source tells where a setting's value comes from (default, env or
// dashboard).
func (s *Service) Source(ctx context.Context, key string) string {
	all, err := s.all(ctx)
	if err != nil {
		return ""
	}
	if v, ok := all[key]; ok {
		return v.Source
	}
	return SourceDefault
}

// AppName returns the application name shown in messages and pages.
func (s *Service) AppName(ctx context.Context) (string, error) { return s.Get(ctx, ApplicationName) }

// Mode returns the sign-up mode.
func (s *Service) Mode(ctx context.Context) (string, error) { return s.Get(ctx, SignUpMode) }

// Set changes a setting as the dashboard does: the value is kept over
// the environment's from then on.
func (s *Service) Set(ctx context.Context, key, value string) error {
	if err := Validate(key, value); err != nil {
		return err
	}
	defer s.forget()
	return s.Store.PutSetting(ctx, Setting{Key: key, Value: value, Source: SourceDashboard, UpdatedAt: s.Now().UnixMilli()})
}

// Secret returns the instance secret name (32 random bytes), creating it
// on first use. Secrets live in the database so that every process of an
// instance shares them.
func (s *Service) Secret(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	rand.Read(b)
	got, err := s.Store.PutSettingIfAbsent(ctx, Setting{Key: "secret:" + name, Value: hex.EncodeToString(b),
		Source: sourceGenerated, UpdatedAt: s.Now().UnixMilli()})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(got.Value)
}
