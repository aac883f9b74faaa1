package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// SidecarSuffix names a metadata sidecar: report.pdf.metadata.json
// describes report.pdf. Sidecars are merged into their document and never
// sent themselves.
const SidecarSuffix = ".metadata.json"

// ParseSidecar decodes a sidecar: a JSON object of metadata, or Amazon
// Bedrock's layout {"metadataAttributes": {...}}, whose typed values
// ({"value": {"type": "STRING", "stringValue": "x"}}) are unwrapped.
func ParseSidecar(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	if dec.More() {
		return nil, errors.New("not a JSON object: more than one value")
	}
	attrs, ok := m["metadataAttributes"]
	if !ok || len(m) != 1 {
		return m, nil
	}
	am, ok := attrs.(map[string]any)
	if !ok {
		return nil, errors.New("metadataAttributes is not a JSON object")
	}
	out := make(map[string]any, len(am))
	for k, v := range am {
		out[k] = unwrapBedrock(v)
	}
	return out, nil
}

// unwrapBedrock turns {"value": {"type": "NUMBER", "numberValue": 3}, ...}
// into 3; any other value is kept as it is.
func unwrapBedrock(v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	inner, ok := obj["value"].(map[string]any)
	if !ok {
		return v
	}
	field := map[string]string{
		"STRING": "stringValue", "NUMBER": "numberValue",
		"BOOLEAN": "booleanValue", "STRING_LIST": "stringListValue",
	}
	typ, _ := inner["type"].(string)
	if name, ok := field[typ]; ok {
		if val, ok := inner[name]; ok {
			return val
		}
	}
	return v
}
