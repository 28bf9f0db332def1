// Package jwttemplate holds JWT templates (tokens shaped for another
// backend: chosen claims, lifetime, algorithm and key) and the claims
// language they share with the instance's custom session claims: JSON
// whose strings may hold Clerk's shortcodes, {{user.id}},
// {{user.public_metadata.role}}, interpolation and || fallbacks.
package jwttemplate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/conciergehq/concierge/internal/errs"
)

// Reserved are the claims a template cannot set: Concierge sets them.
var Reserved = []string{"azp", "exp", "iat", "iss", "jti", "nbf", "sid", "sub"}

// MaxClaimsBytes bounds a claims template.
const MaxClaimsBytes = 8 << 10

var shortcode = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// known are the shortcode roots and the user fields they reach.
var userFields = map[string]bool{"id": true, "external_id": true, "first_name": true, "last_name": true, "full_name": true,
	"username": true, "primary_email_address": true, "primary_phone_number": true, "primary_web3_wallet": true,
	"email_verified": true, "phone_number_verified": true, "image_url": true, "profile_image_url": true, "has_image": true,
	"created_at": true, "updated_at": true, "last_sign_in_at": true, "two_factor_enabled": true,
	"public_metadata": true, "unsafe_metadata": true}

// Claims is a parsed claims template.
type Claims struct{ doc map[string]any }

// Parse checks a claims template: a JSON object, no reserved claim, and
// every shortcode one Concierge knows. param names the field in errors.
func Parse(param string, raw json.RawMessage) (*Claims, error) {
	if len(raw) > MaxClaimsBytes {
		return nil, errs.ParamFormat(param, fmt.Sprintf("%s must be at most %d bytes.", param, MaxClaimsBytes))
	}
	var doc map[string]any
	if len(raw) == 0 || string(raw) == "null" {
		doc = map[string]any{}
	} else if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return nil, errs.ParamFormat(param, param+" must be a JSON object.")
	}
	for _, r := range Reserved {
		if _, ok := doc[r]; ok {
			return nil, errs.New(errs.Invalid, "form_param_value_invalid", "Reserved claim",
				r+" is set by Concierge and cannot be part of "+param+".").WithParam(param)
		}
	}
	if err := check(param, doc); err != nil {
		return nil, err
	}
	return &Claims{doc: doc}, nil
}

func check(param string, v any) error {
	switch t := v.(type) {
	case string:
		for _, m := range shortcode.FindAllStringSubmatch(t, -1) {
			for _, alt := range strings.Split(m[1], "||") {
				if err := checkTerm(strings.TrimSpace(alt)); err != nil {
					return errs.ParamFormat(param, "In "+param+": "+err.Error())
				}
			}
		}
	case map[string]any:
		for _, x := range t {
			if err := check(param, x); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range t {
			if err := check(param, x); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTerm accepts a literal (quoted string, number, true, false, null)
// or a known user path.
func checkTerm(term string) error {
	if literal(term) != nil {
		return nil
	}
	parts := strings.Split(term, ".")
	switch parts[0] {
	case "user":
		if len(parts) < 2 || !userFields[parts[1]] || (len(parts) > 2 && !strings.HasSuffix(parts[1], "_metadata")) {
			return fmt.Errorf("unknown shortcode {{%s}}", term)
		}
		return nil
	case "org":
		// The active organization's fields (OrgValues); others are null,
		// as templates saved before organizations existed may hold them.
		return nil
	}
	return fmt.Errorf("unknown shortcode {{%s}}", term)
}

// literal reads a term that is a JSON literal, else nil.
func literal(term string) *any {
	if term == "" {
		return nil
	}
	var v any
	if (term[0] == '"' || term[0] == '\'') && len(term) >= 2 && term[len(term)-1] == term[0] {
		v = term[1 : len(term)-1]
		return &v
	}
	if term == "true" || term == "false" || term == "null" {
		json.Unmarshal([]byte(term), &v)
		return &v
	}
	if f, err := strconv.ParseFloat(term, 64); err == nil {
		v = f
		return &v
	}
	return nil
}

// Values is what shortcodes of one kind read: the user's fields, or the
// active organization's.
type Values map[string]any

// Scope is what a token's shortcodes read: {{user.…}} and {{org.…}}
// (nil Org: the session works in no organization, and those are null).
type Scope struct {
	User Values
	Org  Values
}

// Render fills the template's shortcodes from scope.
func (c *Claims) Render(scope Scope) map[string]any {
	out := make(map[string]any, len(c.doc))
	for k, v := range c.doc {
		out[k] = render(v, scope)
	}
	return out
}

func render(v any, user Scope) any {
	switch t := v.(type) {
	case string:
		// A string that is one shortcode takes its value's type.
		if m := shortcode.FindStringSubmatch(t); m != nil && m[0] == t {
			return eval(m[1], user)
		}
		return shortcode.ReplaceAllStringFunc(t, func(s string) string {
			x := eval(s[2:len(s)-2], user)
			switch x := x.(type) {
			case nil:
				return ""
			case string:
				return x
			default:
				b, _ := json.Marshal(x)
				return string(b)
			}
		})
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = render(x, user)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = render(x, user)
		}
		return out
	}
	return v
}

// eval evaluates "a || b || 'c'": the first that is not null or "".
func eval(expr string, user Scope) any {
	var last any
	for _, alt := range strings.Split(expr, "||") {
		term := strings.TrimSpace(alt)
		var v any
		if l := literal(term); l != nil {
			v = *l
		} else {
			v = lookup(term, user)
		}
		if v != nil && v != "" {
			return v
		}
		last = v
	}
	return last
}

func lookup(term string, scope Scope) any {
	parts := strings.Split(term, ".")
	if len(parts) < 2 {
		return nil
	}
	var cur any
	switch parts[0] {
	case "user":
		cur = map[string]any(scope.User)
	case "org":
		if scope.Org == nil {
			return nil
		}
		cur = map[string]any(scope.Org)
	default:
		return nil
	}
	for _, p := range parts[1:] {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}
