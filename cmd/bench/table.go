package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// row is one line of the results.
type row struct {
	name, ours, comparator, ratio, target string
	ok                                    bool
}

func printTable(w io.Writer, machine string, rows []row, markdown bool) {
	verdict := func(r row) string {
		if r.ok {
			return "met"
		}
		return "NOT MET"
	}
	if markdown {
		fmt.Fprintf(w, "Machine: %s\n\n| scenario | lanying-ingest | comparator | ratio | target | |\n|---|---|---|---|---|---|\n", machine)
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.name, r.ours, r.comparator, r.ratio, r.target, verdict(r))
		}
		return
	}
	fmt.Fprintf(w, "\nmachine: %s\n\n", machine)
	for _, r := range rows {
		fmt.Fprintf(w, "%s\n  lanying-ingest: %s\n", r.name, r.ours)
		if r.comparator != "" {
			fmt.Fprintf(w, "  comparator:     %s\n  ratio:          %s\n", r.comparator, r.ratio)
		}
		fmt.Fprintf(w, "  target:         %s: %s\n\n", r.target, verdict(r))
	}
}

type slotInfo struct {
	url    string
	fields [][2]string
}

// decodeSlot reads an upload slot reply, keeping the fields' order.
func decodeSlot(r io.Reader) (*slotInfo, error) {
	var env struct {
		Code int `json:"code"`
		Data struct {
			UploadURL string          `json:"upload_url"`
			Params    json.RawMessage `json:"oss_body_param"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r).Decode(&env); err != nil || env.Code != 200 {
		return nil, fmt.Errorf("slot: code %d %v", env.Code, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(env.Data.Params)))
	s := &slotInfo{url: env.Data.UploadURL}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	for dec.More() {
		k, _ := dec.Token()
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		s.fields = append(s.fields, [2]string{k.(string), v})
	}
	return s, nil
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
