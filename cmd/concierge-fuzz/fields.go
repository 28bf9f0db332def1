package main

import (
	"fmt"
	"math/rand/v2"
)

// val is a field whose plausible value is one of a few constants.
func val(xs ...any) func(*rand.Rand, *generator) any {
	return func(rng *rand.Rand, _ *generator) any { return pick(rng, xs) }
}

// ref is a field that names a resource: a real ID from the pool.
func ref(pool string) func(*rand.Rand, *generator) any {
	return func(rng *rand.Rand, g *generator) any { return g.value(rng, pool) }
}

func email(rng *rand.Rand, _ *generator) any {
	return fmt.Sprintf("fz%d@example.com", rng.IntN(1000))
}

// fieldValues are the body fields the Backend and Frontend APIs read,
// each with a plausible value: the fuzzer sends a few per request and
// the mutations break them.
var fieldValues = map[string]func(*rand.Rand, *generator) any{
	"email_address":                func(rng *rand.Rand, g *generator) any { return pick(rng, []any{email(rng, g), []any{email(rng, g)}}) },
	"phone_number":                 val("+14155550101", []any{"+14155550102"}),
	"username":                     val("fuzzer", "fuzz_user"),
	"password":                     val("fuzz-Passw0rd-long!", "short"),
	"current_password":             val("fuzz-Passw0rd-long!"),
	"new_password":                 val("fuzz-Passw0rd-longer!"),
	"first_name":                   val("Fuzz", ""),
	"last_name":                    val("Tester"),
	"name":                         val("Fuzz org", "fuzz"),
	"slug":                         val("fuzz-org", "fuzz"),
	"user_id":                      ref("user_id"),
	"organization_id":              ref("organization_id"),
	"session_id":                   ref("session_id"),
	"email_address_id":             ref("email_address_id"),
	"inviter_user_id":              ref("user_id"),
	"created_by":                   ref("user_id"),
	"domain_id":                    ref("domain_id"),
	"role":                         val("org:member", "org:admin", "admin", "basic_member"),
	"role_id":                      ref("role_id"),
	"key":                          val("org:fuzz:x", "org:sys_memberships:manage"),
	"description":                  val("fuzz"),
	"permissions":                  val([]any{"org:sys_memberships:read"}),
	"public_metadata":              val(map[string]any{"a": 1}, map[string]any{}),
	"private_metadata":             val(map[string]any{"b": []any{1, 2}}),
	"unsafe_metadata":              val(map[string]any{"c": nil}),
	"identifier":                   func(rng *rand.Rand, g *generator) any { return email(rng, g) },
	"strategy":                     val("password", "email_code", "phone_code", "ticket", "oauth_google", "passkey", "totp", "backup_code", "reset_password_email_code", "email_link"),
	"code":                         val("424242", "000000"),
	"ticket":                       val("eyJhbGciOiJIUzI1NiJ9.e30.x"),
	"token":                        val("eyJhbGciOiJIUzI1NiJ9.e30.x"),
	"url":                          val("https://fuzz.example.com/callback", "myapp://callback"),
	"redirect_url":                 val("https://fuzz.example.com/", "http://127.0.0.1/"),
	"action_complete_redirect_url": val("https://fuzz.example.com/done"),
	"claims":                       val(map[string]any{"x": "{{user.id}}"}),
	"lifetime":                     val(60, 3600),
	"allowed_clock_skew":           val(5),
	"verified":                     val(true, false),
	"primary":                      val(true),
	"reserved_for_second_factor":   val(false),
	"actor":                        func(rng *rand.Rand, g *generator) any { return map[string]any{"sub": g.value(rng, "user_id")} },
	"expires_in_seconds":           val(60, 2592000),
	"max_allowed_memberships":      val(5, 0),
	"enrollment_mode":              val("automatic_invitation", "automatic_suggestion", "manual_invitation"),
	"notify":                       val(false),
	"ignore_existing":              val(true),
	"captcha_token":                val("t"),
	"proof_token":                  val("p"),
	"totp":                         val("123456"),
	"from_email_name":              val("fuzz"),
	"subject":                      val("fuzz"),
	"body":                         val("hello"),
	"message":                      val("hello"),
	"events":                       val([]any{"user.created"}),
	"filter_types":                 val([]any{"user.created"}),
	"enabled":                      val(true, false),
	"legal_accepted":               val(true),
	"sign_out_of_other_sessions":   val(true),
	"banned":                       val(true),
	"skip_password_checks":         val(true),
	"skip_password_requirement":    val(true),
	"external_id":                  val("ext-1"),
	"web3_wallet":                  val("0x0000000000000000000000000000000000000000"),
	"backup_codes":                 val([]any{"abcd1234"}),
	"totp_secret":                  val("JBSWY3DPEHPK3PXP"),
	"created_at":                   val("2024-01-01T00:00:00Z", 1700000000000),
	"custom_action":                val(true),
	"restricted_to_allowlist":      val(true, false),
	"from_email_address":           val("fuzz@example.com"),
	"allowed_origins":              val([]any{"https://fuzz.example.com"}),
	"enable_organizations":         val(true),
	"proxy_url":                    val("https://fuzz.example.com/__clerk"),
	"is_satellite":                 val(false),
	"signing_algorithm":            val("RS256", "HS256"),
	"signing_key":                  val("secret"),
	"custom_signing_key":           val(false),
	"rotation_started_at":          val(1700000000000),
	"file":                         val("data:image/png;base64,iVBORw0KGgo="),
	"emails":                       val([]any{"a@example.com"}),
	"entries":                      val([]any{map[string]any{"email_address": "w@example.com"}}),
	"publicKeyCredential":          val(`{"id":"x","type":"public-key"}`),
	"sign_up_id":                   ref("sign_up_id"),
	"template":                     ref("template"),
	"provider":                     val("oauth_google"),
}
