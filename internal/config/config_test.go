package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Database != "concierge.db" || c.PublicURL != "http://127.0.0.1:8080" ||
		c.SQLiteSynchronous != "full" || c.SQLiteCache != 32<<20 {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = Load(nil, env(map[string]string{"CONCIERGE_SQLITE_SYNCHRONOUS": "NORMAL", "CONCIERGE_SQLITE_CACHE": "2GiB"}), &bytes.Buffer{})
	if err != nil || c.SQLiteSynchronous != "normal" || c.SQLiteCache != 2<<30 {
		t.Fatalf("sqlite settings: %v %+v", err, c)
	}
}

// TestAuditRetention: a year unless set; days or a duration; 0 keeps
// events for ever.
func TestAuditRetention(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 365 * 24 * time.Hour, "30d": 30 * 24 * time.Hour,
		"720h": 720 * time.Hour, "0": 0} {
		c, err := Load(nil, env(map[string]string{"CONCIERGE_AUDIT_RETENTION": v}), &bytes.Buffer{})
		if err != nil || c.AuditRetention != want {
			t.Errorf("%q: %v %v, want %v", v, c.AuditRetention, err, want)
		}
	}
	if c, err := Load([]string{"-audit-retention", "7d"}, env(nil), &bytes.Buffer{}); err != nil || c.AuditRetention != 7*24*time.Hour {
		t.Errorf("flag: %v %v", c.AuditRetention, err)
	}
}

// TestUserCache: 32 MiB unless set; 0 keeps none; not a size is refused.
func TestUserCache(t *testing.T) {
	for v, want := range map[string]int64{"": 32 << 20, "0": 0, "1GiB": 1 << 30, "512KiB": 512 << 10} {
		c, err := Load(nil, env(map[string]string{"CONCIERGE_USER_CACHE": v}), &bytes.Buffer{})
		if err != nil || c.UserCache != want {
			t.Errorf("%q: %d %v, want %d", v, c.UserCache, err, want)
		}
	}
	for _, v := range []string{"-1", "lots", "1TB"} {
		if _, err := Load(nil, env(map[string]string{"CONCIERGE_USER_CACHE": v}), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "CONCIERGE_USER_CACHE") {
			t.Errorf("%q: %v, want an error naming CONCIERGE_USER_CACHE", v, err)
		}
	}
}

// TestSQLiteMmap: 1 GiB unless set; 0 maps none.
func TestSQLiteMmap(t *testing.T) {
	for v, want := range map[string]int64{"": 1 << 30, "0": 0, "256MiB": 256 << 20} {
		c, err := Load(nil, env(map[string]string{"CONCIERGE_SQLITE_MMAP": v}), &bytes.Buffer{})
		if err != nil || c.SQLiteMmap != want {
			t.Errorf("%q: %d %v, want %d", v, c.SQLiteMmap, err, want)
		}
	}
	if _, err := Load(nil, env(map[string]string{"CONCIERGE_SQLITE_MMAP": "-5"}), &bytes.Buffer{}); err == nil {
		t.Error("a negative size was accepted")
	}
}

// TestEmailLinkSettings: the email-link instance settings' initial
// values come from the environment.
func TestEmailLinkSettings(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"CONCIERGE_EMAIL_LINK": "True", "CONCIERGE_EMAIL_LINK_REQUIRE_SAME_CLIENT": "false"}), &bytes.Buffer{})
	if err != nil || c.EmailLink != "true" || c.EmailLinkSameClient != "false" {
		t.Fatalf("%v %q %q", err, c.EmailLink, c.EmailLinkSameClient)
	}
}

func TestPrecedenceAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte("sk_test_fromfilefromfilefromfilefromfile\n"), 0o600)
	c, err := Load([]string{"-addr", "127.0.0.1:9999"}, env(map[string]string{
		"CONCIERGE_ADDR": "127.0.0.1:7777", "CONCIERGE_SECRET_KEY_FILE": file, "CONCIERGE_PUBLIC_URL": "https://clerk.example.com/",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.SecretKey != "sk_test_fromfilefromfilefromfilefromfile" || c.PublicURL != "https://clerk.example.com" {
		t.Fatalf("got %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	for name, e := range map[string]map[string]string{
		"addr":            {"CONCIERGE_ADDR": "8080"},
		"database":        {"CONCIERGE_DATABASE": "mysql://x"},
		"pg url":          {"CONCIERGE_DATABASE": "postgres://"},
		"key prefix":      {"CONCIERGE_SECRET_KEY": "pk_test_abcdefghijklmnopqrstuvwxyz0123"},
		"key short":       {"CONCIERGE_SECRET_KEY": "sk_test_abc"},
		"public url":      {"CONCIERGE_PUBLIC_URL": "example.com"},
		"log level":       {"CONCIERGE_LOG_LEVEL": "loud"},
		"log format":      {"CONCIERGE_LOG_FORMAT": "xml"},
		"shutdown":        {"CONCIERGE_SHUTDOWN_TIMEOUT": "soon"},
		"sync":            {"CONCIERGE_SQLITE_SYNCHRONOUS": "off"},
		"cache":           {"CONCIERGE_SQLITE_CACHE": "lots"},
		"cache tiny":      {"CONCIERGE_SQLITE_CACHE": "4KiB"},
		"retention":       {"CONCIERGE_AUDIT_RETENTION": "a year"},
		"retention short": {"CONCIERGE_AUDIT_RETENTION": "5m"},
		"mode":            {"CONCIERGE_SIGN_UP_MODE": "everyone"},
		"email link":      {"CONCIERGE_EMAIL_LINK": "maybe"},
		"same client":     {"CONCIERGE_EMAIL_LINK_REQUIRE_SAME_CLIENT": "yes"},
		"app name":        {"CONCIERGE_APP_NAME": "two\nlines"},
		"strict":          {"CONCIERGE_STRICT_ENUMERATION_PROTECTION": "yes"},
		"delete":          {"CONCIERGE_DELETE_SELF": "1"},
		"smtp":            {"CONCIERGE_SMTP_URL": "http://user:hunter2@mail.example.com"},
		"domain":          {"CONCIERGE_EMAIL_DOMAIN": "user@example.com"},
		"webhook":         {"CONCIERGE_SMS_WEBHOOK_URL": "gateway.example.com/sms"},
		"twilio":          {"CONCIERGE_TWILIO_ACCOUNT_SID": "AC123"},
		"sms twice": {"CONCIERGE_TWILIO_ACCOUNT_SID": "AC1", "CONCIERGE_TWILIO_AUTH_TOKEN": "t", "CONCIERGE_TWILIO_FROM": "+15005550006",
			"CONCIERGE_SMS_WEBHOOK_URL": "https://gw.example.com"},
	} {
		_, err := Load(nil, env(e), &bytes.Buffer{})
		if err == nil {
			t.Errorf("%s: accepted %v", name, e)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error repeats a password: %v", name, err)
		}
	}
	if _, err := Load([]string{"extra"}, env(nil), &bytes.Buffer{}); err == nil {
		t.Error("stray argument accepted")
	}
}

func TestDeliveryDefaults(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"CONCIERGE_PUBLIC_URL": "https://auth.example.com"}), &bytes.Buffer{})
	if err != nil || c.EmailDomain != "auth.example.com" || c.SignUpMode != "" || c.TwilioAPIURL != "https://api.twilio.com" {
		t.Fatalf("%v %+v", err, c)
	}
	c, err = Load(nil, env(map[string]string{"CONCIERGE_EMAIL_DOMAIN": "Mail.Example.com", "CONCIERGE_SIGN_UP_MODE": "restricted"}), &bytes.Buffer{})
	if err != nil || c.EmailDomain != "mail.example.com" || c.SignUpMode != "restricted" {
		t.Fatalf("%v %+v", err, c)
	}
	c, err = Load([]string{"-delete-self", "FALSE"}, env(map[string]string{"CONCIERGE_STRICT_ENUMERATION_PROTECTION": "true"}), &bytes.Buffer{})
	if err != nil || c.StrictEnumerationProtection != "true" || c.DeleteSelf != "false" {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), s.env) || !strings.Contains(out.String(), "-"+s.flag) {
			t.Errorf("help lacks %s / -%s", s.env, s.flag)
		}
	}
}
