package lanying

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Message content types used for ingestion.
const (
	ContentTypeText = 0 // a text message; a URL in it is fetched by the chatbot
	ContentTypeFile = 4 // a file message
)

// AcceptedExtensions are the file extensions the chatbot takes into its
// knowledge base (lower case). A file message with any other extension in
// its dName is refused with a chat reply, i.e. silently lost for a worker.
var AcceptedExtensions = []string{".html", ".htm", ".csv", ".txt", ".md", ".pdf", ".docx", ".doc", ".xlsx", ".xls", ".pptx", ".zip"}

// Accepted reports whether the chatbot accepts a file named name
// (case-insensitively, as newer chatbots compare).
func Accepted(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	for _, e := range AcceptedExtensions {
		if e == ext {
			return true
		}
	}
	return false
}

// FileMessage tells the chatbot about a file uploaded to a slot.
type FileMessage struct {
	From          int64           // the knowledge-base admin user id
	To            int64           // the chatbot's user id
	Name          string          // dName: the file name the chatbot sees
	URL           string          // the slot's download_url
	Size          int64           // fLen: the uploaded size in bytes
	Metadata      json.RawMessage // a JSON object, sent as ext.ai.metadata
	TransactionID int64           // de-duplication id; see TransactionID
}

// LinkMessage tells the chatbot to fetch a web page by itself.
type LinkMessage struct {
	From          int64
	To            int64
	URL           string // must start with https://
	Metadata      json.RawMessage
	TransactionID int64
}

// messageRequest is the body of /message/send (MessageRequest). attachment
// and ext are strings that hold JSON, not nested objects.
type messageRequest struct {
	From          int64   `json:"from_user_id"`
	Targets       []int64 `json:"targets"`
	Type          int     `json:"type"`
	ContentType   int     `json:"content_type"`
	Content       string  `json:"content"`
	Attachment    string  `json:"attachment,omitempty"`
	Ext           string  `json:"ext,omitempty"`
	TransactionID int64   `json:"transaction_id,omitempty"`
}

type attachment struct {
	Name string `json:"dName"`
	URL  string `json:"url"`
	Size int64  `json:"fLen"`
}

// SendFile posts a file message (content_type 4) to the chatbot.
func (c *Client) SendFile(ctx context.Context, m FileMessage) error {
	const op = "send file message"
	if m.Name == "" || m.URL == "" || m.Size < 0 {
		return &APIError{Op: op, Code: CodeBadParameter, Message: "file message needs a name, a download URL and a size"}
	}
	att, err := json.Marshal(attachment{Name: m.Name, URL: m.URL, Size: m.Size})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ext, err := extJSON(m.Metadata)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, m.Name, err)
	}
	return c.send(ctx, op, messageRequest{
		From: m.From, Targets: []int64{m.To}, Type: 1, ContentType: ContentTypeFile,
		Attachment: string(att), Ext: ext, TransactionID: m.TransactionID,
	})
}

// SendLink posts a text message carrying one https:// URL (content_type 0);
// the chatbot fetches the page and adds it as an HTML document.
func (c *Client) SendLink(ctx context.Context, m LinkMessage) error {
	const op = "send link message"
	if !strings.HasPrefix(m.URL, "https://") || strings.ContainsAny(m.URL, " \t\r\n") {
		return &APIError{Op: op, Code: CodeBadParameter, Message: fmt.Sprintf("link %q is not a single https:// URL", m.URL)}
	}
	ext, err := extJSON(m.Metadata)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, m.URL, err)
	}
	return c.send(ctx, op, messageRequest{
		From: m.From, Targets: []int64{m.To}, Type: 1, ContentType: ContentTypeText,
		Content: m.URL, Ext: ext, TransactionID: m.TransactionID,
	})
}

func (c *Client) send(ctx context.Context, op string, body messageRequest) error {
	return c.call(ctx, op, http.MethodPost, "/message/send", nil, 0, body, nil)
}

// extJSON builds the ext string {"ai":{"metadata":{...}}}.
func extJSON(metadata json.RawMessage) (string, error) {
	if len(metadata) == 0 {
		metadata = json.RawMessage("{}")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(metadata, &probe); err != nil || probe == nil {
		return "", errors.New("metadata is not a JSON object")
	}
	b, err := json.Marshal(map[string]any{"ai": map[string]any{"metadata": metadata}})
	return string(b), err
}

// TransactionID derives a message's de-duplication id from what identifies
// the delivery (for example chatbot, document key and content hash): the
// same parts always give the same positive id, so a retry after a timeout
// or a crash is absorbed by the server instead of posting twice. The id
// keeps 53 bits so that it survives any JSON reader that uses doubles.
func TransactionID(parts ...string) int64 {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	id := int64(binary.BigEndian.Uint64(h.Sum(nil)) & (1<<53 - 1))
	if id == 0 {
		id = 1
	}
	return id
}
