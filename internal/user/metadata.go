package user

import (
	"bytes"
	"encoding/json"

	"github.com/conciergehq/concierge/internal/errs"
)

// MaxMetadataBytes bounds each metadata object, as Clerk's 8 KB limit.
const MaxMetadataBytes = 8 * 1024

var emptyObject = json.RawMessage(`{}`)

// objectOrEmpty validates a metadata value for create: absent or null
// becomes {}, anything else must be a JSON object within the size limit.
func objectOrEmpty(param string, raw json.RawMessage) (json.RawMessage, error) {
	if raw == nil || string(raw) == "null" {
		return emptyObject, nil
	}
	m, err := decodeObject(param, raw)
	if err != nil {
		return nil, err
	}
	return encodeObject(param, m)
}

func decodeObject(param string, raw json.RawMessage) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep large integers exact
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errs.ParamFormat(param, param+" must be a JSON object.")
	}
	return m, nil
}

func encodeObject(param string, m map[string]any) (json.RawMessage, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, errs.ParamFormat(param, param+" must be a JSON object.")
	}
	if len(b) > MaxMetadataBytes {
		return nil, errs.New(errs.Invalid, "form_param_exceeds_allowed_size", "is too large",
			param+" must be at most 8 KB once encoded as JSON.").WithParam(param)
	}
	return b, nil
}

// mergeMetadata deep-merges patch into stored: nested objects merge, a
// null at any level removes the key, anything else replaces.
func mergeMetadata(param string, stored, patch json.RawMessage) (json.RawMessage, error) {
	p, err := decodeObject(param, patch)
	if err != nil {
		return nil, err
	}
	base := map[string]any{}
	if len(stored) > 0 && string(stored) != "null" {
		if base, err = decodeObject(param, stored); err != nil {
			// Stored data is ours and always an object; start afresh if not.
			base = map[string]any{}
		}
	}
	mergeInto(base, p)
	return encodeObject(param, base)
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				mergeInto(dv, sv)
				continue
			}
			// A new nested object: drop its null leaves too.
			fresh := map[string]any{}
			mergeInto(fresh, sv)
			dst[k] = fresh
			continue
		}
		dst[k] = v
	}
}

// replaceMetadata validates a PUT value: null is stored as JSON null,
// otherwise it must be an object.
func replaceMetadata(param string, raw json.RawMessage) (json.RawMessage, error) {
	if string(raw) == "null" {
		return json.RawMessage("null"), nil
	}
	m, err := decodeObject(param, raw)
	if err != nil {
		return nil, err
	}
	return encodeObject(param, m)
}

// MetadataObject validates a metadata object given to another resource
// (an invitation's public_metadata, later copied onto a user) by the
// same rules as a user's: absent or null is {}, else a JSON object of at
// most 8 KB.
func MetadataObject(param string, raw json.RawMessage) (json.RawMessage, error) {
	return objectOrEmpty(param, raw)
}

// MergeMetadata deep-merges patch into stored by the rules of the users'
// metadata endpoints, for other resources' metadata (organizations').
func MergeMetadata(param string, stored, patch json.RawMessage) (json.RawMessage, error) {
	return mergeMetadata(param, stored, patch)
}
