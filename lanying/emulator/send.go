package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// acceptedExtensions are those the chatbot takes into its knowledge base.
var acceptedExtensions = map[string]bool{
	".html": true, ".htm": true, ".csv": true, ".txt": true, ".md": true, ".pdf": true,
	".docx": true, ".doc": true, ".xlsx": true, ".xls": true, ".pptx": true, ".zip": true,
}

// Document is one document the chatbot received: a file message, or one
// URL of a link message.
type Document struct {
	Seq           int64          `json:"seq"`
	Kind          string         `json:"kind"` // "file" or "link"
	ChatbotID     int64          `json:"chatbot_id"`
	FromUserID    int64          `json:"from_user_id"`
	Name          string         `json:"name,omitempty"` // dName
	URL           string         `json:"url"`            // the download URL, or the page URL
	Size          int64          `json:"size,omitempty"` // fLen
	SHA256        string         `json:"sha256,omitempty"`
	ContentType   string         `json:"content_type,omitempty"` // of the uploaded file part
	Metadata      map[string]any `json:"metadata"`
	TransactionID int64          `json:"transaction_id,omitempty"`
	Accepted      bool           `json:"accepted"`
	Refusal       string         `json:"refusal,omitempty"` // the chatbot's reply when not accepted
	ReceivedAt    time.Time      `json:"received_at"`
}

type sendRequest struct {
	From          int64           `json:"from_user_id"`
	Targets       []int64         `json:"targets"`
	Type          int             `json:"type"`
	ContentType   *int            `json:"content_type"`
	Content       string          `json:"content"`
	Attachment    json.RawMessage `json:"attachment"`
	Ext           json.RawMessage `json:"ext"`
	TransactionID int64           `json:"transaction_id"`
}

// handleSend serves /message/send.
func (e *Emulator) handleSend(w http.ResponseWriter, r *http.Request) {
	defer drain(r.Body)
	if !e.authorize(w, r) {
		return
	}
	var req sendRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		e.fail(w, codeBadParam, "request body is not a JSON MessageRequest: "+err.Error())
		return
	}
	docs, code, msg := e.validate(&req)
	if code != codeOK {
		e.fail(w, code, msg)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	if seen, ok := e.txids[req.TransactionID]; ok && req.TransactionID != 0 &&
		(e.cfg.DedupWindow <= 0 || now.Sub(seen) < e.cfg.DedupWindow) {
		e.stats.Duplicates++
		writeJSON(w, http.StatusOK, apiReply{Code: codeOK, Message: "ok", Data: true})
		return
	}
	if req.TransactionID != 0 {
		e.txids[req.TransactionID] = now
	}
	e.stats.Messages++
	for _, d := range docs {
		e.seq++
		d.Seq = e.seq
		d.ReceivedAt = e.cfg.Now().UTC()
		e.docs = append(e.docs, d)
	}
	writeJSON(w, http.StatusOK, apiReply{Code: codeOK, Message: "ok", Data: true})
}

// validate checks a message as the server and the chatbot do; it returns
// the documents it carries, or a business code and message.
func (e *Emulator) validate(req *sendRequest) ([]Document, int, string) {
	switch {
	case req.ContentType == nil:
		return nil, codeBadParam, "content_type is required"
	case req.Type != 1:
		return nil, codeBadParam, "type must be 1 (to users) for messages to a chatbot"
	case len(req.Targets) == 0:
		return nil, codeBadParam, "targets is empty"
	}
	for _, t := range req.Targets {
		if code, msg := e.adminCode(req.From, t); code != codeOK {
			return nil, code, msg
		}
	}
	meta, msg := parseExt(req.Ext)
	if msg != "" {
		return nil, codeBadParam, msg
	}
	var docs []Document
	var code int
	for _, t := range req.Targets {
		base := Document{ChatbotID: t, FromUserID: req.From, Metadata: meta, TransactionID: req.TransactionID}
		var ds []Document
		switch *req.ContentType {
		case 4:
			ds, code, msg = e.fileDocument(base, req)
		case 0:
			ds = linkDocuments(base, req.Content)
		default:
			return nil, codeBadParam, fmt.Sprintf("content_type %d is not a text (0) or file (4) message", *req.ContentType)
		}
		if code != 0 && code != codeOK {
			return nil, code, msg
		}
		docs = append(docs, ds...)
	}
	return docs, codeOK, ""
}

// parseExt requires ext, when present, to be a string holding a JSON
// object, with ai.metadata an object when present.
func parseExt(raw json.RawMessage) (map[string]any, string) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, "ext must be a string holding JSON, not a nested object"
	}
	if s == "" {
		return nil, ""
	}
	var ext struct {
		AI *struct {
			Metadata json.RawMessage `json:"metadata"`
		} `json:"ai"`
	}
	if err := json.Unmarshal([]byte(s), &ext); err != nil {
		return nil, "ext is not a JSON object: " + err.Error()
	}
	if ext.AI == nil || len(ext.AI.Metadata) == 0 {
		return nil, ""
	}
	var meta map[string]any
	if json.Unmarshal(ext.AI.Metadata, &meta) != nil || meta == nil {
		return nil, "ext.ai.metadata must be a JSON object"
	}
	return meta, ""
}

func (e *Emulator) fileDocument(d Document, req *sendRequest) ([]Document, int, string) {
	var s string
	if json.Unmarshal(req.Attachment, &s) != nil {
		return nil, codeBadParam, "attachment must be a string holding JSON, not a nested object"
	}
	var att struct {
		Name string `json:"dName"`
		URL  string `json:"url"`
		Size *int64 `json:"fLen"`
	}
	if err := json.Unmarshal([]byte(s), &att); err != nil {
		return nil, codeBadParam, "attachment is not a JSON object: " + err.Error()
	}
	e.mu.Lock()
	o := e.objects[att.URL]
	e.mu.Unlock()
	switch {
	case att.Name == "" || att.URL == "":
		return nil, codeBadParam, "attachment needs dName and url"
	case o == nil:
		return nil, codeBadParam, "attachment url is not an uploaded file: " + att.URL
	case att.Size == nil || *att.Size != o.size:
		return nil, codeBadParam, fmt.Sprintf("attachment fLen does not match the uploaded size %d", o.size)
	}
	d.Kind, d.Name, d.URL, d.Size, d.SHA256, d.ContentType = "file", att.Name, att.URL, o.size, o.sha256, o.contentType
	// Older chatbots compare the extension case-sensitively.
	if ext := path.Ext(att.Name); !acceptedExtensions[strings.ToLower(ext)] {
		d.Refusal = fmt.Sprintf("unsupported file type %q: the chatbot accepts .html .htm .csv .txt .md .pdf .docx .doc .xlsx .xls .pptx .zip", ext)
	} else {
		d.Accepted = true
	}
	return []Document{d}, codeOK, ""
}

// linkDocuments finds the URLs in a text message, as the chatbot does:
// each https:// URL becomes a document; http:// ones are refused.
func linkDocuments(d Document, content string) []Document {
	var out []Document
	for _, word := range strings.Fields(content) {
		l := d
		l.Kind, l.URL = "link", word
		switch {
		case strings.HasPrefix(word, "https://"):
			l.Accepted = true
		case strings.HasPrefix(word, "http://"):
			l.Refusal = "only https:// pages are fetched"
		default:
			continue
		}
		out = append(out, l)
	}
	return out
}
