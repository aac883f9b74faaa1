package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
)

// Business codes the emulator answers with (HTTP 200, as the platform does).
const (
	codeOK           = 200
	codeUserNotFound = 10000
	codeBadParam     = 10002
	codeTokenMissing = 10003
	codeTokenInvalid = 10008
	codeNoPermission = 10010
	codeAppNotFound  = 40000
)

type apiReply struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

func (e *Emulator) fail(w http.ResponseWriter, code int, msg string) {
	e.count(&e.stats.BusinessErrors)
	writeJSON(w, http.StatusOK, apiReply{Code: code, Message: msg})
}

// authorize checks the headers every API call needs; it answers and
// returns false when they are wrong.
func (e *Emulator) authorize(w http.ResponseWriter, r *http.Request) bool {
	e.count(&e.stats.APIRequests)
	switch app := r.Header.Get("app_id"); {
	case app == "":
		e.fail(w, codeAppNotFound, "app_id header missing")
	case app != e.cfg.AppID:
		e.fail(w, codeAppNotFound, "app_id does not exist")
	case r.Header.Get("access-token") == "":
		e.fail(w, codeTokenMissing, "access-token missing")
	case r.Header.Get("access-token") != e.cfg.AccessToken:
		e.fail(w, codeTokenInvalid, "access-token invalid")
	default:
		return true
	}
	return false
}

func (e *Emulator) userExists(id int64) bool {
	if id == e.cfg.AdminUserID || id == e.cfg.ChatbotID {
		return true
	}
	for bot, admin := range e.cfg.Chatbots {
		if id == bot || id == admin {
			return true
		}
	}
	for _, u := range e.cfg.OtherUsers {
		if u == id {
			return true
		}
	}
	return false
}

// adminCode says whether user may feed chatbot: codeOK, or the business
// code and message the platform answers with.
func (e *Emulator) adminCode(user, chatbot int64) (int, string) {
	switch {
	case !e.userExists(user):
		return codeUserNotFound, "user does not exist: " + strconv.FormatInt(user, 10)
	case !e.userExists(chatbot):
		return codeUserNotFound, "user does not exist: " + strconv.FormatInt(chatbot, 10)
	case chatbot == e.cfg.ChatbotID && user != e.cfg.AdminUserID:
		return codeNoPermission, "user has no permission: not a knowledge-base admin of the chatbot"
	}
	if admin, ok := e.cfg.Chatbots[chatbot]; ok && user != admin {
		return codeNoPermission, "user has no permission: not a knowledge-base admin of the chatbot"
	}
	return codeOK, ""
}

// handleSlot serves GET /file/upload/chat.
func (e *Emulator) handleSlot(w http.ResponseWriter, r *http.Request) {
	if !e.authorize(w, r) {
		return
	}
	q := r.URL.Query()
	user, err := strconv.ParseInt(r.Header.Get("user_id"), 10, 64)
	if err != nil {
		e.fail(w, codeBadParam, "user_id header missing or not a number")
		return
	}
	if q.Get("file_type") != "100" || q.Get("to_type") != "1" {
		e.fail(w, codeBadParam, "file_type must be 100 and to_type 1 for a chat file to a user")
		return
	}
	to, err := strconv.ParseInt(q.Get("to_id"), 10, 64)
	if err != nil {
		e.fail(w, codeBadParam, "to_id missing or not a number")
		return
	}
	if code, msg := e.adminCode(user, to); code != codeOK {
		e.fail(w, code, msg)
		return
	}
	s := e.newSlot(r, user, to)
	e.count(&e.stats.SlotRequests)
	writeJSON(w, http.StatusOK, apiReply{Code: codeOK, Message: "ok", Data: s.dto})
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baseURL is the address the client reached us at.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
