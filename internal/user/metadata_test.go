package user

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMergeMetadata(t *testing.T) {
	cases := []struct{ stored, patch, want string }{
		{`{}`, `{"a":1}`, `{"a":1}`},
		{`{"a":{"b":1,"c":2}}`, `{"a":{"b":null,"d":3}}`, `{"a":{"c":2,"d":3}}`},
		{`{"a":1,"b":2}`, `{"a":null}`, `{"b":2}`},
		{`{"a":[1,2]}`, `{"a":[3]}`, `{"a":[3]}`},
		{`{"a":1}`, `{"a":{"x":null,"y":1}}`, `{"a":{"y":1}}`},
		{`{"big":12345678901234567890}`, `{}`, `{"big":12345678901234567890}`},
	}
	for _, c := range cases {
		got, err := mergeMetadata("public_metadata", json.RawMessage(c.stored), json.RawMessage(c.patch))
		if err != nil {
			t.Fatalf("%s + %s: %v", c.stored, c.patch, err)
		}
		if string(got) != c.want {
			t.Errorf("%s + %s = %s, want %s", c.stored, c.patch, got, c.want)
		}
	}
	if _, err := mergeMetadata("public_metadata", nil, json.RawMessage(`[1]`)); err == nil {
		t.Error("array patch accepted")
	}
	big := `{"x":"` + strings.Repeat("a", MaxMetadataBytes) + `"}`
	if _, err := mergeMetadata("public_metadata", nil, json.RawMessage(big)); err == nil {
		t.Error("oversized metadata accepted")
	}
}
