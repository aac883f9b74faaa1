package main

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/watch"
)

// metrics are the daemon's Prometheus metrics, in a registry of their own.
// It implements ingest.Observer.
type metrics struct {
	reg         *prometheus.Registry
	documents   *prometheus.CounterVec
	bytes       prometheus.Counter
	latency     prometheus.Histogram
	lastSuccess atomic.Int64 // unix seconds of the last document sent or found unchanged
	queue       func() int
	started     time.Time
	lastPoll    *prometheus.GaugeVec
	nextPoll    *prometheus.GaugeVec
	pollOK      *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), started: time.Now(), queue: func() int { return 0 }}
	m.documents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "lanying_ingest_documents_total",
		Help: "Documents by outcome: sent, unchanged, skipped, failed, deleted.",
	}, []string{"outcome"})
	m.bytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "lanying_ingest_bytes_sent_total", Help: "Bytes uploaded.",
	})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "lanying_ingest_delivery_seconds",
		Help:    "Time to deliver a sent document: slot, upload and message.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
	})
	m.lastPoll = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lanying_ingest_source_last_poll_timestamp_seconds",
		Help: "When a web or s3 source was last read (unix time)."}, []string{"source"})
	m.nextPoll = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lanying_ingest_source_next_poll_timestamp_seconds",
		Help: "When a web or s3 source is read next (unix time)."}, []string{"source"})
	m.pollOK = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lanying_ingest_source_up",
		Help: "1 when the last reading of a web or s3 source succeeded, else 0."}, []string{"source"})
	m.reg.MustRegister(m.lastPoll, m.nextPoll, m.pollOK)
	for _, o := range []ingest.Outcome{ingest.Sent, ingest.Unchanged, ingest.Skipped, ingest.Failed, ingest.Deleted} {
		m.documents.WithLabelValues(string(o))
	}
	m.reg.MustRegister(m.documents, m.bytes, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lanying_ingest_queue_depth", Help: "Documents waiting to be delivered, and changed paths waiting to settle.",
		}, func() float64 { return float64(m.queue()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lanying_ingest_last_success_timestamp_seconds", Help: "When a document was last sent or confirmed unchanged (unix time).",
		}, func() float64 { return float64(m.lastSuccess.Load()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// polled records one reading of a polled source.
func (m *metrics) polled(p watch.Poll) {
	m.lastPoll.WithLabelValues(p.Source).Set(float64(p.Ended.Unix()))
	m.nextPoll.WithLabelValues(p.Source).Set(float64(p.Next.Unix()))
	up := 1.0
	if p.Err != nil {
		up = 0
	}
	m.pollOK.WithLabelValues(p.Source).Set(up)
}

// depth sets the function that reports the queue depth.
func (m *metrics) depth(f func() int) { m.queue = f }

// Found is not measured.
func (m *metrics) Found(*ingest.Document) {}

// Done counts a result.
func (m *metrics) Done(r ingest.Result) {
	if r.Outcome == ingest.Noop {
		return
	}
	m.documents.WithLabelValues(string(r.Outcome)).Inc()
	switch r.Outcome {
	case ingest.Sent:
		m.bytes.Add(float64(r.Bytes))
		m.latency.Observe(r.Elapsed.Seconds())
		m.lastSuccess.Store(time.Now().Unix())
	case ingest.Unchanged:
		m.lastSuccess.Store(time.Now().Unix())
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// healthz says the daemon is up, with its queue and last success.
func (m *metrics) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	last := ""
	if t := m.lastSuccess.Load(); t > 0 {
		last = time.Unix(t, 0).UTC().Format(time.RFC3339)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "ok", "queue_depth": m.queue(), "last_success": last,
		"uptime_seconds": int(time.Since(m.started).Seconds()),
	})
}
