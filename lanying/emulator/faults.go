package emulator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Faults make the emulator misbehave the way networks and servers do, so
// that a client's retries, de-duplication and timeouts can be proven.
type Faults struct {
	Latency     time.Duration // added before every API and storage request is handled
	FailureRate float64       // share (0..1) of API and storage requests that fail, in a mix of the kinds below
	SlowBody    time.Duration // replies are written in pieces spread over this long
	Seed        uint64        // makes the mix repeatable; 0 picks one at random
}

// faultKind is one way a request fails.
type faultKind int

const (
	faultHTTP500   faultKind = iota // HTTP 500 (XML for storage)
	faultHTTP503                    // HTTP 503
	fault429                        // HTTP 429 with Retry-After: 1
	faultCode20000                  // HTTP 200 {"code": 20000} (API only)
	faultCode10009                  // HTTP 200 {"code": 10009} (API only)
	faultReset                      // the connection is reset before the request is handled
	faultLostAck                    // the request is handled, then the connection drops before the reply
	faultKinds
)

func (k faultKind) String() string {
	return [...]string{"http500", "http503", "http429", "code20000", "code10009", "reset", "lost_ack"}[k]
}

// injector decides, per request, whether and how it fails.
type injector struct {
	f    Faults
	mu   sync.Mutex
	rnd  *rand.Rand
	seen map[string]int // faults injected, by kind
}

func newInjector(f Faults) *injector {
	seed := f.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &injector{f: f, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seen: map[string]int{}}
}

func (in *injector) pick() (faultKind, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.f.FailureRate <= 0 || in.rnd.Float64() >= in.f.FailureRate {
		return 0, false
	}
	k := faultKind(in.rnd.IntN(int(faultKinds)))
	in.seen[k.String()]++
	return k, true
}

func (in *injector) counts() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.seen))
	for k, v := range in.seen {
		out[k] = v
	}
	return out
}

// faulty wraps the handler of an API or storage path.
func (e *Emulator) faulty(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if d := e.cfg.Faults.Latency; d > 0 {
			time.Sleep(d)
		}
		kind, fail := e.faults.pick()
		storage := strings.HasPrefix(r.URL.Path, "/_oss/")
		if !fail {
			e.slowly(w, r, next)
			return
		}
		switch kind {
		case faultReset:
			reset(w)
		case faultLostAck:
			next(httptest.NewRecorder(), r)
			reset(w)
		case faultHTTP500, faultHTTP503, fault429:
			status := map[faultKind]int{faultHTTP500: 500, faultHTTP503: 503, fault429: 429}[kind]
			drain(r.Body)
			if kind == fault429 {
				w.Header().Set("Retry-After", "1")
			}
			if storage {
				e.writeOSSError(w, &ossError{status, "InternalError", fmt.Sprintf("injected fault: HTTP %d", status)})
				return
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, "injected fault: HTTP %d", status)
		default: // business codes
			if storage {
				reset(w)
				return
			}
			drain(r.Body)
			code := map[faultKind]int{faultCode20000: 20000, faultCode10009: 10009}[kind]
			writeJSON(w, http.StatusOK, apiReply{Code: code, Message: "injected fault"})
		}
	}
}

// reset closes the client's connection abruptly (RST, not FIN).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	conn.Close()
}

// slowly serves the request, trickling the reply over Faults.SlowBody.
func (e *Emulator) slowly(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	d := e.cfg.Faults.SlowBody
	if d <= 0 {
		next(w, r)
		return
	}
	rec := httptest.NewRecorder()
	next(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	const pieces = 8
	step := max(1, (len(body)+pieces-1)/pieces)
	for chunk := range chunks(body, step) {
		_, _ = w.Write(chunk)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(d / pieces)
	}
}

func chunks(b []byte, step int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			n := min(step, len(b))
			if !yield(bytes.Clone(b[:n])) {
				return
			}
			b = b[n:]
		}
	}
}
