package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-dev/tributary/shared/telemetry"
)

// metrics implements the watcher's and the publisher's observers.
type metrics struct {
	discovered, archived, rejected prometheus.Counter
	rows, messages, bytes, retries prometheus.Counter
	publishSeconds                 prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: telemetry.Namespace, Subsystem: "watcher", Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	m := &metrics{
		discovered: counter("files_discovered_total", "Files claimed from the input directory."),
		archived:   counter("files_archived_total", "Files published, acknowledged by the stream and archived."),
		rejected:   counter("files_rejected_total", "Files refused as a whole and moved to rejected."),
		rows:       counter("rows_published_total", "Data rows in published files."),
		messages:   counter("messages_published_total", "Messages (file parts) acknowledged by the stream."),
		bytes:      counter("bytes_published_total", "Bytes of published files."),
		retries:    counter("publish_retries_total", "Failed publish attempts that were retried (NATS down, stream full)."),
		publishSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: telemetry.Namespace, Subsystem: "watcher", Name: "publish_duration_seconds",
			Help:    "Time to publish all parts of a file and get their acks.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
	}
	reg.MustRegister(m.publishSeconds)
	return m
}

func (m *metrics) FileDiscovered()       { m.discovered.Inc() }
func (m *metrics) FileArchived(rows int) { m.archived.Inc(); m.rows.Add(float64(rows)) }
func (m *metrics) FileRejected()         { m.rejected.Inc() }
func (m *metrics) PublishRetried()       { m.retries.Inc() }
func (m *metrics) Published(parts int, bytes int64, took time.Duration) {
	m.messages.Add(float64(parts))
	m.bytes.Add(float64(bytes))
	m.publishSeconds.Observe(took.Seconds())
}
