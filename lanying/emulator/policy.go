package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// policy is a decoded PostObject policy document.
type policy struct {
	expiration time.Time
	conditions []condition
	minSize    int64
	maxSize    int64
}

type condition struct {
	op    string // "eq" or "starts-with"
	field string // lower case, without "$"
	value string
}

func badPolicy(format string, a ...any) *ossError {
	return &ossError{http.StatusBadRequest, "InvalidPolicyDocument", fmt.Sprintf(format, a...)}
}

// parsePolicy decodes base64 JSON with exactly expiration and conditions.
func parsePolicy(p64 string) (*policy, *ossError) {
	raw, err := base64.StdEncoding.DecodeString(p64)
	if err != nil {
		return nil, badPolicy("The policy is not base64: %v", err)
	}
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, badPolicy("The policy is not a valid policy document: %v", err)
	}
	exp, err := time.Parse(time.RFC3339Nano, doc.Expiration)
	if err != nil {
		return nil, badPolicy("The policy expiration %q is not ISO 8601.", doc.Expiration)
	}
	p := &policy{expiration: exp, minSize: 0, maxSize: DefaultMaxObject}
	for _, c := range doc.Conditions {
		if oe := p.addCondition(c); oe != nil {
			return nil, oe
		}
	}
	return p, nil
}

func (p *policy) addCondition(raw json.RawMessage) *ossError {
	var obj map[string]string
	if json.Unmarshal(raw, &obj) == nil {
		for k, v := range obj {
			p.conditions = append(p.conditions, condition{"eq", strings.ToLower(strings.TrimPrefix(k, "$")), v})
		}
		return nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil || len(arr) != 3 {
		return badPolicy("The policy condition %s is not well-formed.", raw)
	}
	var op string
	_ = json.Unmarshal(arr[0], &op)
	switch op = strings.ToLower(op); op {
	case "content-length-range":
		if json.Unmarshal(arr[1], &p.minSize) != nil || json.Unmarshal(arr[2], &p.maxSize) != nil {
			return badPolicy("content-length-range needs two numbers: %s", raw)
		}
	case "eq", "starts-with":
		var field, value string
		if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &value) != nil || !strings.HasPrefix(field, "$") {
			return badPolicy("The policy condition %s is not well-formed.", raw)
		}
		p.conditions = append(p.conditions, condition{op, strings.ToLower(field[1:]), value})
	default:
		return badPolicy("Unknown policy condition %q.", op)
	}
	return nil
}

// checkFields applies every eq and starts-with condition to the form. The
// bucket comes from the address, not from a field.
func (p *policy) checkFields(form map[string]string, bucket string) *ossError {
	for _, c := range p.conditions {
		v, ok := form[c.field]
		if c.field == "bucket" {
			v, ok = bucket, true
		}
		switch {
		case !ok:
			return denied(fmt.Sprintf("Invalid according to Policy: Policy Condition failed: [%q, \"$%s\", %q] (field missing)", c.op, c.field, c.value))
		case c.op == "eq" && v != c.value, c.op == "starts-with" && !strings.HasPrefix(v, c.value):
			return denied(fmt.Sprintf("Invalid according to Policy: Policy Condition failed: [%q, \"$%s\", %q]", c.op, c.field, c.value))
		}
	}
	return nil
}
