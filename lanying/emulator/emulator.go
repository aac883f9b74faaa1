// Package emulator is a strict local Lanying app with its object storage:
// upload slots, PostObject and presigned PUT uploads, and /message/send,
// enforcing the headers, business error codes and storage rules of the real
// service. Users try a configuration against it, tests and benchmarks run
// against it, and GET /_emulator/documents shows what the chatbot received.
package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Defaults of a Config left empty. They are documented for users trying the
// emulator; they are not secrets.
const (
	DefaultAppID       = "emulator-app"
	DefaultAccessToken = "emulator-token"
	DefaultAdminUserID = 1001
	DefaultChatbotID   = 2001
	DefaultSlotTTL     = 10 * time.Minute
	DefaultMaxObject   = 5 << 30 // object storage's own limit
)

// Config describes the emulated app.
type Config struct {
	AppID       string
	AccessToken string
	AdminUserID int64   // a knowledge-base admin of the chatbot
	ChatbotID   int64   // the chatbot's user id
	OtherUsers  []int64 // users that exist but administer nothing
	// Chatbots are more chatbots of the app: chatbot id → the user id of
	// its knowledge-base admin.
	Chatbots     map[int64]int64
	UploadMethod string // http.MethodPost (default) or http.MethodPut
	SlotTTL      time.Duration
	MaxObject    int64            // the policy's content-length-range maximum
	Now          func() time.Time // the clock; time.Now when nil
	Logger       *slog.Logger     // request log; none when nil
	Faults       Faults           // injected failures; none when zero
	// DedupWindow is how long a transaction_id is remembered ("a short
	// time" on the platform); 0 remembers it for the emulator's lifetime.
	DedupWindow time.Duration
}

func (c *Config) fill() {
	if c.AppID == "" {
		c.AppID = DefaultAppID
	}
	if c.AccessToken == "" {
		c.AccessToken = DefaultAccessToken
	}
	if c.AdminUserID == 0 {
		c.AdminUserID = DefaultAdminUserID
	}
	if c.ChatbotID == 0 {
		c.ChatbotID = DefaultChatbotID
	}
	if c.UploadMethod == "" {
		c.UploadMethod = http.MethodPost
	}
	if c.SlotTTL <= 0 {
		c.SlotTTL = DefaultSlotTTL
	}
	if c.MaxObject <= 0 {
		c.MaxObject = DefaultMaxObject
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Emulator is an http.Handler serving the emulated app and storage.
type Emulator struct {
	cfg    Config
	secret []byte // signs policies and presigned URLs
	keyID  string // the OSSAccessKeyId handed out
	bucket string
	mux    *http.ServeMux

	faults *injector

	mu        sync.Mutex
	seq       int64
	slots     map[string]*slot   // by object key
	objects   map[string]*object // by download URL
	txids     map[int64]time.Time
	docs      []Document
	stats     Stats
	lastPrune time.Time
}

// Stats counts what the emulator saw.
type Stats struct {
	SlotRequests    int `json:"slot_requests"`
	Uploads         int `json:"uploads"`
	UploadsRefused  int `json:"uploads_refused"`
	Messages        int `json:"messages"`
	Duplicates      int `json:"duplicates"` // sends absorbed by transaction_id
	BusinessErrors  int `json:"business_errors"`
	APIRequests     int `json:"api_requests"` // slot + send requests, whatever their outcome
	StorageRequests int `json:"storage_requests"`

	FaultsInjected map[string]int `json:"faults_injected,omitempty"` // by kind
}

// New returns an emulator for cfg (empty fields take the defaults).
func New(cfg Config) *Emulator {
	cfg.fill()
	e := &Emulator{
		cfg:     cfg,
		secret:  []byte("emulator-oss-secret"),
		keyID:   "LTAIemulator",
		bucket:  "lanying-emulator",
		slots:   map[string]*slot{},
		objects: map[string]*object{},
		txids:   map[int64]time.Time{},
		faults:  newInjector(cfg.Faults),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /file/upload/chat", e.faulty(e.handleSlot))
	mux.HandleFunc("POST /message/send", e.faulty(e.handleSend))
	mux.HandleFunc("PUT /message/send", e.faulty(e.handleSend))
	mux.HandleFunc("POST /_oss/{bucket}", e.faulty(e.handlePostObject))
	mux.HandleFunc("PUT /_oss/{bucket}/{key...}", e.faulty(e.handlePutObject))
	mux.HandleFunc("GET /_emulator/documents", e.handleDocuments)
	mux.HandleFunc("GET /_emulator/stats", e.handleStats)
	mux.HandleFunc("GET /{$}", e.handleIndex)
	e.mux = mux
	return e
}

// Config returns the emulated app's settings (with defaults filled in).
func (e *Emulator) Config() Config { return e.cfg }

// ServeHTTP serves the emulated API and storage.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.cfg.Logger != nil {
		e.cfg.Logger.Debug("emulator request", "method", r.Method, "path", r.URL.Path)
	}
	e.mux.ServeHTTP(w, r)
}

// Documents returns a copy of what the chatbot received, in order.
func (e *Emulator) Documents() []Document {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Document(nil), e.docs...)
}

// count increments one of the counters.
func (e *Emulator) count(field *int) {
	e.mu.Lock()
	*field++
	e.mu.Unlock()
}

// Stats returns the counters.
func (e *Emulator) Stats() Stats {
	e.mu.Lock()
	st := e.stats
	e.mu.Unlock()
	st.FaultsInjected = e.faults.counts()
	return st
}

func (e *Emulator) handleDocuments(w http.ResponseWriter, r *http.Request) {
	docs := e.Documents()
	writeJSON(w, http.StatusOK, map[string]any{"count": len(docs), "documents": docs})
}

func (e *Emulator) handleStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, e.Stats())
}

func (e *Emulator) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "lanying-ingest emulator: a local Lanying app and object store\n\n"+
		"app_id:         %s\nadmin_user_id:  %d\nchatbot_id:     %d\nupload method:  %s\n\n"+
		"GET /_emulator/documents  what the chatbot received\nGET /_emulator/stats      request counters\n",
		e.cfg.AppID, e.cfg.AdminUserID, e.cfg.ChatbotID, e.cfg.UploadMethod)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// drain reads what is left of a request body so the connection can be reused.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<20)) }
